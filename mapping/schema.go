package mapping

import (
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

// fieldAlias is a common spreadsheet name of a field.
type fieldAlias struct {
	name  string
	field int
}

// aliases returns the common spreadsheet names of fields, as people write them.
func aliases() []fieldAlias {
	return []fieldAlias{
		{"Name", FieldFullName},
		{"Contract", FieldCoworkerContractID}, {"Contract Id", FieldCoworkerContractID},
		{"Type", FieldContractContactType}, {"Role", FieldContractContactType},
		{"Phone", FieldPhoneNumber},
		{"DOB", FieldDateOfBirth}, {"Birth Date", FieldDateOfBirth},
		{"Zip", FieldPostCode}, {"Postal Code", FieldPostCode},
		{"City", FieldCityName},
		{"Country Id", FieldCountryID},
	}
}

// alias returns the field a common spreadsheet name (folded) stands for.
func alias(key string) (int, bool) {
	for _, a := range aliases() {
		if foldName(a.name) == key {
			return a.field, true
		}
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

// FieldHint is Hint over the field names and their spreadsheet aliases.
func FieldHint(name string) string {
	names := make([]string, 0, NumFields+len(aliases()))
	for _, f := range Fields() {
		names = append(names, f.Name)
	}
	for _, a := range aliases() {
		names = append(names, a.name)
	}
	return Hint(name, names)
}

// Hint returns ` (did you mean X?)` with the candidate Suggest finds, or ""
// when none is close enough to be what was meant.
func Hint(s string, candidates []string) string {
	if c := Suggest(s, candidates); c != "" {
		return " (did you mean " + c + "?)"
	}
	return ""
}

// Suggest returns the candidate s most likely misspells, compared ignoring
// case, spaces, underscores and hyphens: the nearest by edit distance, or
// one that s begins ("Nominated" for NominatedRecipient). It returns ""
// when even the nearest is too far to be a typo, so that no hint points
// somewhere unrelated. Ties go to the earlier candidate.
func Suggest(s string, candidates []string) string {
	key := foldName(s)
	if key == "" {
		return ""
	}
	best, bestD := "", -1
	for _, c := range candidates {
		fc := foldName(c)
		d := editDistance(key, fc)
		if strings.HasPrefix(fc, key) {
			d = 0 // an abbreviation
		}
		if d <= max(1, min(len(key), len(fc))/3) && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance returns the number of insertions, deletions, substitutions
// and swaps of neighbours that turn a into b, counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		before, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, before
	}
	return rows[1][len(rb)]
}
