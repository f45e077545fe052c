package mapping

import (
	"sort"
	"strings"
)

// Kind is the type of value a create field takes.
type Kind int

// The kinds of create field.
const (
	KindText  Kind = iota // free text
	KindID                // a whole number (an Id)
	KindType              // a ContactType, by name or number
	KindEmail             // an email address
	KindDate              // a date, sent as 2006-01-02T00:00:00
)

// Field is one field of the create body.
type Field struct {
	Name     string // the API's name, e.g. "FullName"
	Kind     Kind
	Required bool
}

// Field indexes, in the order of Fields.
const (
	FieldCoworkerContractID = iota
	FieldFullName
	FieldCoworkerID
	FieldEmail
	FieldDateOfBirth
	FieldAddress
	FieldPostCode
	FieldCityName
	FieldState
	FieldCountryID
	FieldPhoneNumber
	FieldNotes
	FieldContractContactType
	NumFields // how many create fields there are
)

// Fields returns the 13 create fields in the order of the Field* indexes.
func Fields() []Field {
	return []Field{
		{"CoworkerContractId", KindID, true},
		{"FullName", KindText, true},
		{"CoworkerId", KindID, false},
		{"Email", KindEmail, false},
		{"DateOfBirth", KindDate, false},
		{"Address", KindText, false},
		{"PostCode", KindText, false},
		{"CityName", KindText, false},
		{"State", KindText, false},
		{"CountryId", KindID, false},
		{"PhoneNumber", KindText, false},
		{"Notes", KindText, false},
		{"ContractContactType", KindType, false},
	}
}

// FieldName returns the API name of the field at index i.
func FieldName(i int) string {
	return [NumFields]string{"CoworkerContractId", "FullName", "CoworkerId", "Email", "DateOfBirth",
		"Address", "PostCode", "CityName", "State", "CountryId", "PhoneNumber", "Notes",
		"ContractContactType"}[i]
}

// alias returns the field a common spreadsheet name (folded) stands for.
func alias(key string) (int, bool) {
	switch key {
	case "name":
		return FieldFullName, true
	case "contract", "contractid":
		return FieldCoworkerContractID, true
	case "type", "role":
		return FieldContractContactType, true
	case "phone":
		return FieldPhoneNumber, true
	case "dob", "birthdate":
		return FieldDateOfBirth, true
	case "zip", "postalcode":
		return FieldPostCode, true
	case "city":
		return FieldCityName, true
	case "countryid":
		return FieldCountryID, true
	}
	return 0, false
}

// readOnly reports whether a folded header is a field an export writes that
// a create does not take.
func readOnly(key string) bool {
	switch key {
	case "id", "createdon", "updatedon", "updatedby", "uniqueid", "isnew", "systemid",
		"tostringtext", "localizationdetails", "customfields", "countryname",
		"coworkercontractquantity", "coworkercontractfloorplandeskids",
		"coworkercontractfloorplandesknames", "coworkercontracttariffname",
		"coworkerfullname", "coworkercompanyname", "coworkerbillingname",
		"coworkeremail", "coworkeractive":
		return true
	}
	return false
}

// LookupField returns the index of the field a header or field name names:
// an API field name ignoring case, spaces, underscores and hyphens, or a
// common spreadsheet name ("DOB", "Postal Code"). ok is false otherwise.
func LookupField(name string) (index int, ok bool) {
	key := foldName(name)
	for i, f := range Fields() {
		if foldName(f.Name) == key {
			return i, true
		}
	}
	return alias(key)
}

// IsReadOnly reports whether a header names a field that exports write but
// creates do not take (Id, CreatedOn, CoworkerFullName, ...).
func IsReadOnly(name string) bool { return readOnly(foldName(name)) }

// Closest returns the field name most like name, for "did you mean" hints.
func Closest(name string) string {
	names := make([]string, 0, NumFields)
	for _, f := range Fields() {
		names = append(names, f.Name)
	}
	return closest(name, names)
}

// closest returns the candidate with the smallest edit distance to s,
// compared folded; ties go to the earlier candidate.
func closest(s string, candidates []string) string {
	key := foldName(s)
	best, bestD := "", -1
	for _, c := range candidates {
		fc := foldName(c)
		d := levenshtein(key, fc)
		if key != "" && (strings.HasPrefix(fc, key) || strings.HasPrefix(key, fc)) {
			d = 0 // "Nominated" means NominatedRecipient
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// fieldList is the field names, for error messages.
func fieldList() string {
	names := make([]string, 0, NumFields)
	for _, f := range Fields() {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
