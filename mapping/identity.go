package mapping

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Identity is who a contact is, as a person would tell: the contract, the
// contact type and either the coworker it is linked to or its name. Two
// rows, or a row and a record, with the same Identity are the same contact
// whatever their other fields say. Names compare by NameKey, so "Ann Lee",
// " ann  lee" and "ANN LEE" are one person; two real people who share a
// name on one contract must be told apart in the sheet (a middle initial,
// or a CoworkerId each).
type Identity struct {
	Contract int64
	Type     ContactType
	Coworker int64  // the linked coworker's Id; 0 when not linked
	Name     string // NameKey of the full name, when not linked
}

// IdentityOf returns the identity of the contact c: linked to a coworker,
// the contract, the CoworkerId and the type; otherwise the contract, the
// name and the type.
func IdentityOf(c Contact) Identity {
	id := Identity{Contract: c.CoworkerContractID, Type: c.ContractContactType}
	if c.CoworkerID != nil {
		id.Coworker = *c.CoworkerID
	} else {
		id.Name = NameKey(c.FullName)
	}
	return id
}

// Key returns the identity as a string, for maps and the import journal:
// "1001/1/name:ann lee" or "1001/1/coworker:2001".
func (id Identity) Key() string {
	b := make([]byte, 0, 32+len(id.Name))
	b = strconv.AppendInt(b, id.Contract, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(id.Type), 10)
	if id.Coworker != 0 {
		b = append(b, "/coworker:"...)
		b = strconv.AppendInt(b, id.Coworker, 10)
	} else {
		b = append(b, "/name:"...)
		b = append(b, id.Name...)
	}
	return string(b)
}

// String describes the identity for people: `"ann lee" (Director) on
// contract 1001`.
func (id Identity) String() string {
	who := strconv.Quote(id.Name)
	if id.Coworker != 0 {
		who = "coworker " + strconv.FormatInt(id.Coworker, 10)
	}
	return who + " (" + id.Type.String() + ") on contract " + strconv.FormatInt(id.Contract, 10)
}

// NameKey folds a name for comparison the way a person reads it: Unicode
// compatibility form (so a non-breaking space is a space and a decomposed
// é is é), case folded, trimmed, and every run of spaces made one. The
// form is NFKC(fold(NFKC(s))), as Unicode's NFKC_Casefold, so that folding
// a key again changes nothing.
func NameKey(s string) string {
	return collapseSpace(norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s))))
}

// collapseSpace trims s and makes every run of Unicode spaces one ASCII
// space.
func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// The comparisons of fields a server may store differently from how it
// was sent. Each returns the form two values are compared in.

// TextKey is trimmed text with runs of spaces made one, in compatibility
// form: Address, CityName, State, Notes.
func TextKey(s string) string { return collapseSpace(norm.NFKC.String(s)) }

// EmailKey is the address trimmed and lower-cased: servers fold the case
// of email addresses.
func EmailKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// PhoneKey keeps a leading + and the digits: the spacing and punctuation of
// a phone number ("+44 (20) 7946-0000") are not part of it.
func PhoneKey(s string) string {
	s = norm.NFKC.String(strings.TrimSpace(s))
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case unicode.IsLetter(r):
			// An extension ("x123") or a word: keep it, it is not spacing.
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// PostCodeKey is the post code without spaces, upper-cased: "sw1a 1aa" and
// "SW1A1AA" are one post code.
func PostCodeKey(s string) string {
	return strings.ToUpper(strings.Join(strings.FieldsFunc(norm.NFKC.String(s), unicode.IsSpace), ""))
}

// NearName reports whether two names differ only as a corrected name
// does: a few letters (at most a third of the shorter, at least three)
// once both are folded by NameKey. "Ann Lee" and "Ann Leigh" are near;
// "Ann Lee" and "Bob Roe" are not.
func NearName(a, b string) bool {
	ka, kb := NameKey(a), NameKey(b)
	if ka == "" || kb == "" {
		return false
	}
	limit := max(3, min(utf8.RuneCountInString(ka), utf8.RuneCountInString(kb))/3)
	return editDistance(ka, kb) <= limit
}
