package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// rowKey is the journal's name for a row: its record ("id:87654321") when
// the sheet names one, else its identity (mapping.Identity.Key).
func rowKey(c mapping.Contact, recordID int64) string {
	if recordID != 0 {
		return "id:" + strconv.FormatInt(recordID, 10)
	}
	return mapping.IdentityOf(c).Key()
}

// recordKeys returns the identities a record answers to: by name always
// (its FullName, or its coworker's when the server left FullName blank),
// and by coworker when it is linked to one. A row without a CoworkerId is
// matched by name, so that a sheet naming a linked person finds them.
func recordKeys(r *nexudus.Record) (byName, byCoworker string) {
	name := r.FullName
	if strings.TrimSpace(name) == "" {
		name = str(r.CoworkerFullName)
	}
	id := mapping.Identity{Contract: r.CoworkerContractID, Type: r.ContractContactType, Name: mapping.NameKey(name)}
	byName = id.Key()
	if r.CoworkerID != nil && *r.CoworkerID != 0 {
		id.Coworker, id.Name = *r.CoworkerID, ""
		byCoworker = id.Key()
	}
	return byName, byCoworker
}

// diff is one field where a row and the record it is disagree.
type diff struct {
	field string
	space string // the record's value, for people
}

// String writes the difference as `Email (space has "a@example.com")`.
func (d diff) String() string {
	if d.space == "" {
		return d.field + " (blank in the space)"
	}
	return d.field + " (space has " + strconv.Quote(shorten(d.space, 40)) + ")"
}

// diffText joins differences for the results file.
func diffText(ds []diff) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return "differs: " + strings.Join(parts, ", ")
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// unlisted reports whether the row gives a field that listings leave out,
// so that comparing it needs the full record.
func unlisted(given *[mapping.NumFields]bool) bool {
	return given[mapping.FieldAddress] || given[mapping.FieldPostCode] || given[mapping.FieldCityName] ||
		given[mapping.FieldState] || given[mapping.FieldNotes]
}

// differences compares the fields a row gives with the record r, after
// normalising what a server may normalise (see mapping's keys); full says
// r is a full record, so the fields listings leave out can be compared.
// A row linked to a coworker is not compared on FullName and Email: the
// API fills them from the coworker.
func differences(c mapping.Contact, given *[mapping.NumFields]bool, r *nexudus.Record, full bool) []diff {
	var out []diff
	add := func(field string, same bool, space string) {
		if !same {
			out = append(out, diff{field: field, space: space})
		}
	}
	linked := c.CoworkerID != nil
	for fi := range mapping.NumFields {
		if !given[fi] {
			continue
		}
		name := mapping.FieldName(fi)
		switch fi {
		case mapping.FieldCoworkerContractID:
			add(name, r.CoworkerContractID == c.CoworkerContractID, strconv.FormatInt(r.CoworkerContractID, 10))
		case mapping.FieldFullName:
			if !linked {
				add(name, mapping.NameKey(r.FullName) == mapping.NameKey(c.FullName), r.FullName)
			}
		case mapping.FieldCoworkerID:
			add(name, sameID(r.CoworkerID, c.CoworkerID), idText(r.CoworkerID))
		case mapping.FieldEmail:
			if !linked {
				add(name, mapping.EmailKey(str(r.Email)) == mapping.EmailKey(c.Email), str(r.Email))
			}
		case mapping.FieldDateOfBirth:
			add(name, sameDate(str(r.DateOfBirth), c.DateOfBirth), datePart(str(r.DateOfBirth)))
		case mapping.FieldCountryID:
			add(name, sameID(r.CountryID, c.CountryID), idText(r.CountryID))
		case mapping.FieldPhoneNumber:
			add(name, mapping.PhoneKey(str(r.PhoneNumber)) == mapping.PhoneKey(c.PhoneNumber), str(r.PhoneNumber))
		case mapping.FieldContractContactType:
			add(name, r.ContractContactType == c.ContractContactType, r.ContractContactType.String())
		case mapping.FieldAddress, mapping.FieldCityName, mapping.FieldState, mapping.FieldNotes, mapping.FieldPostCode:
			if !full {
				continue
			}
			space, sheet := unlistedValue(r, &c, fi)
			key := mapping.TextKey
			if fi == mapping.FieldPostCode {
				key = mapping.PostCodeKey
			}
			add(name, key(space) == key(sheet), space)
		}
	}
	return out
}

// unlistedValue returns field fi (one that listings leave out) of the
// record and of the row.
func unlistedValue(r *nexudus.Record, c *mapping.Contact, fi int) (space, sheet string) {
	switch fi {
	case mapping.FieldAddress:
		return str(r.Address), c.Address
	case mapping.FieldPostCode:
		return str(r.PostCode), c.PostCode
	case mapping.FieldCityName:
		return str(r.CityName), c.CityName
	case mapping.FieldState:
		return str(r.State), c.State
	}
	return str(r.Notes), c.Notes
}

// contactOf returns the writable fields of the full record r: the base of
// an update, which replaces every field.
func contactOf(r *nexudus.Record) mapping.Contact {
	return mapping.Contact{
		CoworkerContractID:  r.CoworkerContractID,
		FullName:            r.FullName,
		CoworkerID:          r.CoworkerID,
		Email:               str(r.Email),
		DateOfBirth:         str(r.DateOfBirth),
		Address:             str(r.Address),
		PostCode:            str(r.PostCode),
		CityName:            str(r.CityName),
		State:               str(r.State),
		CountryID:           r.CountryID,
		PhoneNumber:         str(r.PhoneNumber),
		Notes:               str(r.Notes),
		ContractContactType: r.ContractContactType,
	}
}

// merged returns base with the fields the row gives taken from c: what an
// update sends, so that fields the sheet leaves blank keep their values.
func merged(base, c mapping.Contact, given *[mapping.NumFields]bool) mapping.Contact {
	set := func(fi int, dst *string, v string) {
		if given[fi] {
			*dst = v
		}
	}
	if given[mapping.FieldCoworkerContractID] {
		base.CoworkerContractID = c.CoworkerContractID
	}
	set(mapping.FieldFullName, &base.FullName, c.FullName)
	if given[mapping.FieldCoworkerID] {
		base.CoworkerID = c.CoworkerID
	}
	set(mapping.FieldEmail, &base.Email, c.Email)
	set(mapping.FieldDateOfBirth, &base.DateOfBirth, c.DateOfBirth)
	set(mapping.FieldAddress, &base.Address, c.Address)
	set(mapping.FieldPostCode, &base.PostCode, c.PostCode)
	set(mapping.FieldCityName, &base.CityName, c.CityName)
	set(mapping.FieldState, &base.State, c.State)
	if given[mapping.FieldCountryID] {
		base.CountryID = c.CountryID
	}
	set(mapping.FieldPhoneNumber, &base.PhoneNumber, c.PhoneNumber)
	set(mapping.FieldNotes, &base.Notes, c.Notes)
	if given[mapping.FieldContractContactType] {
		base.ContractContactType = c.ContractContactType
	}
	return base
}

// sameDate compares the date parts of two API dates ("1990-03-04T00:00:00",
// with or without a zone), or two empty ones.
func sameDate(a, b string) bool { return datePart(a) == datePart(b) }

// datePart is the YYYY-MM-DD of an API date.
func datePart(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func idText(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// idList writes Ids for people: "87654321, 87654322".
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// fingerprint sums the fields of c as the space may store them (each
// through its comparison key; the name and email of a contact linked to a
// coworker left out, as the API fills them): what the import last wrote
// to a record, so that undo can tell a record changed since.
func fingerprint(c mapping.Contact) string {
	parts := []string{
		strconv.FormatInt(c.CoworkerContractID, 10),
		idText(c.CoworkerID),
		datePart(c.DateOfBirth),
		mapping.TextKey(c.Address),
		mapping.PostCodeKey(c.PostCode),
		mapping.TextKey(c.CityName),
		mapping.TextKey(c.State),
		idText(c.CountryID),
		mapping.PhoneKey(c.PhoneNumber),
		mapping.TextKey(c.Notes),
		strconv.Itoa(int(c.ContractContactType)),
	}
	if c.CoworkerID == nil {
		parts = append(parts, mapping.NameKey(c.FullName), mapping.EmailKey(c.Email))
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:12])
}
