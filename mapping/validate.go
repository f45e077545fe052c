package mapping

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
	c, _, problems := l.Read(cells, problems)
	return c, problems
}

// Read is Contact and Given in one pass over the cells: the contact, the
// fields the row gives, and problems with the row's problems appended.
func (l *Layout) Read(cells []string, problems []Problem) (c Contact, given [NumFields]bool, _ []Problem) {
	for fi := 0; fi < NumFields; fi++ {
		var v string
		switch {
		case l.hasConst[fi]:
			v = strings.TrimSpace(l.constant[fi])
			given[fi] = true
		case l.column[fi] >= 0 && l.column[fi] < len(cells):
			v = cells[l.column[fi]]
			if !trimmed(v) {
				v = strings.TrimSpace(v)
			}
			v = Unquote(v)
			given[fi] = v != "" && (trimmed(v) || strings.TrimSpace(v) != "")
			plain, question := scanCell(v)
			if !plain || v != "" && (v[0] == '#' || v[0] == 'E') {
				if msg := CheckText(v); msg != "" {
					problems = append(problems, Problem{Column: FieldName(fi), Message: msg})
					continue
				}
			}
			if k := l.kinds[fi]; question && (k == KindText || k == KindEmail) && LostLetters(v) {
				problems = append(problems, Problem{Column: FieldName(fi), Message: fmt.Sprintf("%q has \"?\" where letters were lost: %s", v, l.lostHint())})
				continue
			}
		}
		if msg := l.set(&c, fi, v); msg != "" {
			problems = append(problems, Problem{Column: FieldName(fi), Message: msg})
		}
	}
	return c, given, problems
}

// lostHint says how to mend a cell whose letters were lost as "?".
func (l *Layout) lostHint() string {
	if l.singleByte != "" {
		return "the file is " + l.singleByte + " text, which cannot hold letters such as Ł or 王; save the sheet as \"CSV UTF-8\" or XLSX and import that"
	}
	return "they were lost before this file was saved; type them again"
}

// CheckText says what is wrong with a cell's text that no field can take,
// or "" when nothing is: bytes that are not text in the file's encoding
// (or the U+FFFD that decoding left for them), a NUL byte, or a
// spreadsheet's error value such as #N/A in place of a value.
func CheckText(v string) string {
	if plainText(v) {
		if spreadsheetError(v) {
			return fmt.Sprintf("%q is a spreadsheet error, not a value; fix the formula or the cell in the sheet", v)
		}
		return ""
	}
	ascii := true
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
		if v[i] == 0 {
			return fmt.Sprintf("%q holds a NUL byte; delete it from the cell", v)
		}
	}
	if !ascii && (!utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError)) {
		return fmt.Sprintf("%q holds bytes that are not text in the file's encoding; retype the cell, or save the sheet as \"CSV UTF-8\" or XLSX", v)
	}
	if !ascii && strings.IndexByte(v, 0) >= 0 {
		return fmt.Sprintf("%q holds a NUL byte; delete it from the cell", v)
	}
	if spreadsheetError(v) {
		return fmt.Sprintf("%q is a spreadsheet error, not a value; fix the formula or the cell in the sheet", v)
	}
	return ""
}

// plainText reports whether v is ASCII without a NUL: the common cell,
// which needs no closer look.
func plainText(v string) bool {
	plain, _ := scanCell(v)
	return plain
}

// scanCell reports in one look at v whether it is ASCII without a NUL and
// whether it holds a "?", eight bytes at a time (the byte loads combine
// into one) with the usual tests for a zero byte in a word.
func scanCell(v string) (plain, question bool) {
	const ones, highs, marks = 0x0101010101010101, 0x8080808080808080, 0x3F3F3F3F3F3F3F3F
	var bad, q uint64
	for len(v) >= 8 {
		w := uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
			uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
		bad |= w | (w-ones)&^w // a byte beyond ASCII, or a zero byte
		x := w ^ marks
		q |= (x - ones) &^ x // a zero byte where w holds "?"
		v = v[8:]
	}
	plain, question = bad&highs == 0, q&highs != 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c-1 >= 0x7F: // NUL, or beyond ASCII
			plain = false
		case c == '?':
			question = true
		}
	}
	return plain, question
}

// trimmed reports whether v has no space to trim at either end, by its
// first and last bytes when they are ASCII.
func trimmed(v string) bool {
	return v == "" || v[0] > ' ' && v[0] < utf8.RuneSelf && v[len(v)-1] > ' ' && v[len(v)-1] < utf8.RuneSelf
}

// spreadsheetError reports whether v is an error value that Excel or
// LibreOffice shows, and saves, in place of a formula's result.
func spreadsheetError(v string) bool {
	if len(v) < 3 || (v[0] != '#' && v[0] != 'E') {
		return false
	}
	switch v {
	case "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
		"#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!":
		return true
	}
	// LibreOffice's Err:502 and the like.
	if len(v) == 7 && strings.HasPrefix(v, "Err:") {
		_, err := strconv.Atoi(v[4:])
		return err == nil
	}
	return false
}

// LostLetters reports whether v looks like text whose letters a
// single-byte encoding could not hold and wrote as "?" ("Łukasz Żółkiewski"
// saved as Windows-1252 is "?ukasz ?ó?kiewski", "王芳" is "??"): a "?"
// followed by a letter, or a word made only of two or more "?". A question
// mark ending a word ("Why?") or in a web address ("page?id=3") is not.
func LostLetters(v string) bool {
	if strings.IndexByte(v, '?') < 0 || strings.Contains(v, "://") || strings.Contains(v, "www.") {
		return false
	}
	var prev rune = ' ' // the rune before the current run of "?"
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		if r != '?' {
			prev = r
			i += size
			continue
		}
		j := i
		for j < len(v) && v[j] == '?' {
			j++
		}
		next, _ := utf8.DecodeRuneInString(v[j:])
		if j == len(v) {
			next = ' '
		}
		switch {
		case unicode.IsLetter(next) && prev != '/' && prev != '=' && prev != '&':
			return true
		case j-i >= 2 && !unicode.IsLetter(prev) && !unicode.IsDigit(prev) && !unicode.IsLetter(next) && !unicode.IsDigit(next):
			return true
		}
		prev = '?'
		i = j
	}
	return false
}

// set stores the value v of field fi in c, or says what is wrong with it.
func (l *Layout) set(c *Contact, fi int, v string) string {
	switch fi {
	case FieldCoworkerContractID:
		if v == "" {
			if l.lookups.gives(fi) {
				return "" // a lookup may give it: Lookups checks the row
			}
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
		api, msg := parseDateBefore(v, l.order, l.ty, l.tm, l.td)
		if msg != "" {
			return msg
		}
		if l.inferred != "" {
			if o := DateOrderOf(v); o != OrderUnknown && o != l.order {
				return fmt.Sprintf("%q can only be %s, but this column is %s (%s); check the date", v, orderWords(o), orderWords(l.order), l.inferred)
			}
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
	if len(v) > 0 && len(v) <= 18 {
		// The common case, digits only, without strconv's generality.
		n := int64(0)
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int64(c-'0')
		}
		if n > 0 {
			return n, ""
		}
	}
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
// The common address (letters, digits and the like, dots between) is
// told without parsing.
func validEmail(v string) bool {
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || strings.IndexByte(v[at+1:], '.') < 0 {
		return false
	}
	if plainAddress(v[:at], v[at+1:]) {
		return true
	}
	if strings.ContainsAny(v, " <>\"(),;") {
		return false
	}
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v && a.Name == ""
}

// plainAddress reports whether local@domain is an address that net/mail
// takes as it is: both dot-atoms of ASCII atext, no dot at either end of
// either, none doubled. false means "parse it", not "invalid".
func plainAddress(local, domain string) bool {
	return dotAtom(local) && dotAtom(domain)
}

func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
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
