package mapping

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a row: the field (or the sheet's column,
// when it maps to no field) and what is wrong with it.
type Problem struct{ Column, Message string }

// String returns the problem as `DateOfBirth: "31/02/1990" is not a date`.
func (p Problem) String() string {
	if p.Column == "" {
		return p.Message
	}
	return p.Column + ": " + p.Message
}

// Contact maps and validates one row's cells. Cells are trimmed and undone
// with Unquote. It appends every problem of the row to problems and returns
// them; the Contact is meaningful only when none were added.
func (l *Layout) Contact(cells []string, problems []Problem) (Contact, []Problem) {
	var c Contact
	for fi := 0; fi < NumFields; fi++ {
		var v string
		switch {
		case l.hasConst[fi]:
			v = strings.TrimSpace(l.constant[fi])
		case l.column[fi] >= 0 && l.column[fi] < len(cells):
			v = Unquote(strings.TrimSpace(cells[l.column[fi]]))
		}
		if msg := l.set(&c, fi, v); msg != "" {
			problems = append(problems, Problem{Column: FieldName(fi), Message: msg})
		}
	}
	return c, problems
}

// set stores the value v of field fi in c, or says what is wrong with it.
func (l *Layout) set(c *Contact, fi int, v string) string {
	switch fi {
	case FieldCoworkerContractID:
		if v == "" {
			return "is a required field"
		}
		n, msg := wholeNumber(v)
		if msg != "" {
			return msg
		}
		c.CoworkerContractID = n
	case FieldFullName:
		if v == "" {
			return "is a required field"
		}
		c.FullName = v
	case FieldCoworkerID, FieldCountryID:
		if v == "" {
			return ""
		}
		n, msg := wholeNumber(v)
		if msg != "" {
			return msg
		}
		if fi == FieldCoworkerID {
			c.CoworkerID = &n
		} else {
			c.CountryID = &n
		}
	case FieldEmail:
		if v != "" && !validEmail(v) {
			return fmt.Sprintf("%q is not an email address", v)
		}
		c.Email = v
	case FieldDateOfBirth:
		if v == "" {
			return ""
		}
		api, msg := ParseDate(v, l.order, l.today)
		if msg != "" {
			return msg
		}
		c.DateOfBirth = api
	case FieldContractContactType:
		if v == "" {
			c.ContractContactType = DefaultType
			return ""
		}
		t, ok := quickType(v)
		var err error
		if !ok {
			t, err = ParseContactType(v)
		}
		if err != nil {
			names := make([]string, 0, 4)
			for _, t := range ContactTypes() {
				names = append(names, t.String())
			}
			msg := fmt.Sprintf("%q is not a contact type (allowed: None, Director, CompanyAlias, NominatedRecipient or 0-3", v)
			if c := Suggest(v, names); c != "" {
				msg += "; did you mean " + c + "?"
			}
			return msg + ")"
		}
		c.ContractContactType = t
	case FieldAddress:
		c.Address = v
	case FieldPostCode:
		c.PostCode = v
	case FieldCityName:
		c.CityName = v
	case FieldState:
		c.State = v
	case FieldPhoneNumber:
		c.PhoneNumber = v
	case FieldNotes:
		c.Notes = v
	}
	return ""
}

// wholeNumber reads a positive whole number.
func wholeNumber(v string) (int64, string) {
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Sprintf("%q is not a whole number", v)
	case n <= 0:
		return 0, fmt.Sprintf("%q is not a positive whole number", v)
	}
	return n, ""
}

// validEmail reports whether v is a plain email address: net/mail parses
// it and the address it finds is v itself (no display name, no comments).
func validEmail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " <>\"(),;") {
		return false
	}
	if !strings.Contains(v[at+1:], ".") {
		return false
	}
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && a.Name == ""
}

// quickType reads a type written exactly as the API names it, or its
// number, without allocating; ok is false for any other spelling.
func quickType(v string) (ContactType, bool) {
	switch v {
	case "None", "0":
		return TypeNone, true
	case "Director", "1":
		return TypeDirector, true
	case "CompanyAlias", "2":
		return TypeCompanyAlias, true
	case "NominatedRecipient", "3":
		return TypeNominatedRecipient, true
	}
	return 0, false
}
