package mapping

import (
	"fmt"
	"strings"
	"unicode"
)

// Lookup is a column that names a related record instead of giving its
// Id: the contract by what its holder is called, the coworker by email,
// the country by name or ISO code. It is not a create field: the import
// looks the Id up in the space's own lists and sends the Id.
type Lookup int

// The lookups, in the order of Lookups.
const (
	LookupHolderEmail   Lookup = iota // ContractHolderEmail: the contract whose holder has this email
	LookupHolderName                  // ContractHolderName: the contract whose holder has this full name
	LookupCompanyName                 // CompanyName: the contract whose holder's company has this name
	LookupBillingName                 // BillingName: the contract whose holder's billing name this is
	LookupCoworkerEmail               // CoworkerEmail: the coworker (CoworkerId) with this email
	LookupCountry                     // Country: the country (CountryId) with this name or ISO code
	NumLookups                        // how many lookups there are
)

// lookupDef describes one lookup.
type lookupDef struct {
	name    string   // the lookup's own name, as mappings write it
	what    string   // what it names the record by, for people
	aliases []string // spreadsheet names for it
}

// lookupDefs returns the lookups in Lookup order.
func lookupDefs() [NumLookups]lookupDef {
	return [NumLookups]lookupDef{
		{"ContractHolderEmail", "holder email", []string{"Holder Email", "Contract Email"}},
		{"ContractHolderName", "holder name", []string{"Holder", "Contract Holder"}},
		{"CompanyName", "company name", []string{"Company"}},
		{"BillingName", "billing name", nil},
		{"CoworkerEmail", "email", []string{"Member Email"}},
		{"Country", "name or ISO code", []string{"Country Name", "Country Code"}},
	}
}

// String returns the lookup's name, as mapping files and --map use it:
// "ContractHolderEmail".
func (k Lookup) String() string { return lookupDefs()[k].name }

// Field returns the Field* index of the Id the lookup gives:
// FieldCoworkerContractID, FieldCoworkerID or FieldCountryID.
func (k Lookup) Field() int {
	switch k {
	case LookupCoworkerEmail:
		return FieldCoworkerID
	case LookupCountry:
		return FieldCountryID
	}
	return FieldCoworkerContractID
}

// What says what the lookup names its record by, for people: "holder
// email", "name or ISO code" (of a country).
func (k Lookup) What() string { return lookupDefs()[k].what }

// Key folds a lookup value for comparison, as the importer compares what
// a server may store otherwise: emails by EmailKey, names by NameKey.
func (k Lookup) Key(v string) string {
	if k.email() {
		return EmailKey(v)
	}
	return NameKey(v)
}

// email reports whether the lookup's values are email addresses.
func (k Lookup) email() bool { return k == LookupHolderEmail || k == LookupCoworkerEmail }

// Lookups returns every lookup in order.
func Lookups() [NumLookups]Lookup {
	var out [NumLookups]Lookup
	for i := range out {
		out[i] = Lookup(i)
	}
	return out
}

// LookupByName returns the lookup a header or mapping name names: its own
// name or a spreadsheet name ("Holder Email", "Company", "Country Code"),
// ignoring case, spaces, underscores and hyphens.
func LookupByName(name string) (Lookup, bool) {
	key := foldName(name)
	if key == "" {
		return 0, false
	}
	for k, d := range lookupDefs() {
		if foldName(d.name) == key {
			return Lookup(k), true
		}
		for _, a := range d.aliases {
			if foldName(a) == key {
				return Lookup(k), true
			}
		}
	}
	return 0, false
}

// lookupNames returns the lookups' names and spreadsheet names, for hints.
func lookupNames() []string {
	var out []string
	for _, d := range lookupDefs() {
		out = append(out, d.name)
		out = append(out, d.aliases...)
	}
	return out
}

// LookupValues is what one row gives for each lookup, trimmed; "" for none.
// Its methods take a nil *LookupValues as a row that gives none.
type LookupValues [NumLookups]string

// Any reports whether the row gives a value for some lookup.
func (v *LookupValues) Any() bool {
	if v == nil {
		return false
	}
	for _, s := range v {
		if s != "" {
			return true
		}
	}
	return false
}

// ForField reports whether the row gives a lookup value for field fi (a
// Field* index).
func (v *LookupValues) ForField(fi int) bool {
	if v == nil {
		return false
	}
	for k, s := range v {
		if s != "" && Lookup(k).Field() == fi {
			return true
		}
	}
	return false
}

// IsCountryCode reports whether a Country value is an ISO 3166-1 alpha-2
// code (two ASCII letters) rather than a name.
func IsCountryCode(v string) bool {
	return len(v) == 2 && isASCIILetter(v[0]) && isASCIILetter(v[1])
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// checkLookup says what is wrong with the shape of a lookup value, "" when
// nothing: the emails must be addresses, a country a name or code, not a
// number (that is an Id, for CountryId).
func checkLookup(k Lookup, v string) string {
	switch {
	case k.email() && !validEmail(v):
		return fmt.Sprintf("%q is not an email address", v)
	case k == LookupCountry && strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
		return fmt.Sprintf("%q is a number: give a country name or two-letter ISO code, or put the Id in a CountryId column", v)
	}
	return ""
}

// lookupOnly returns the lookup a canonical mapping name names, when it
// names no create field.
func lookupOnly(name string) (Lookup, bool) {
	if _, ok := LookupField(name); ok {
		return 0, false
	}
	return LookupByName(name)
}

// exportHeader reports whether a header is an export's (it has an Id
// column the mapping does not take or ignore): its CoworkerEmail and
// CountryName columns then describe each record as exported, and stay
// read-only rather than lookups.
func exportHeader(header []string, mapped map[int]bool) bool {
	for ci, h := range header {
		if !mapped[ci] && foldName(h) == "id" {
			return true
		}
	}
	return false
}

// lookupLayout is where a sheet gives each lookup: a column or one value
// for every row.
type lookupLayout struct {
	column   [NumLookups]int // the cell index, -1 if none
	explicit [NumLookups]bool
	constant [NumLookups]string
	hasConst [NumLookups]bool
	any      bool
}

func (ll *lookupLayout) init() {
	for k := range ll.column {
		ll.column[k] = -1
	}
}

// setColumn gives lookup k the column ci of header.
func (ll *lookupLayout) setColumn(k Lookup, ci int, header []string, explicit bool) error {
	if c := ll.column[k]; c >= 0 {
		verb := "give"
		if explicit {
			verb = "map to"
		}
		return fmt.Errorf("columns %q and %q both %s %s; keep one", header[c], header[ci], verb, k)
	}
	ll.column[k], ll.explicit[k], ll.any = ci, explicit, true
	return nil
}

// setConstant gives lookup k one value for every row, checked once.
func (ll *lookupLayout) setConstant(k Lookup, v string, header []string) error {
	if c := ll.column[k]; c >= 0 {
		return fmt.Errorf("%s is given both by column %q and as a constant; drop one", k, header[c])
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return fmt.Errorf("the value for every row of %s (--set or the mapping's constants) is blank; give one, or drop it", k)
	}
	if msg := checkLookup(k, v); msg != "" {
		return fmt.Errorf("the value for every row of %s (--set or the mapping's constants): %s", k, msg)
	}
	ll.constant[k], ll.hasConst[k], ll.any = v, true, true
	return nil
}

// gives reports whether some lookup of the sheet gives field fi.
func (ll *lookupLayout) gives(fi int) bool {
	if !ll.any {
		return false // also the zero Layout, whose columns read 0
	}
	for k := range ll.column {
		if Lookup(k).Field() == fi && (ll.column[k] >= 0 || ll.hasConst[k]) {
			return true
		}
	}
	return false
}

// notes says once which columns are looked up: `looked up when importing:
// the contract by "Holder Email" (holder email), ...`.
func (ll *lookupLayout) notes(header []string) []string {
	var parts []string
	for k, c := range ll.column {
		what := "the contract"
		switch Lookup(k).Field() {
		case FieldCoworkerID:
			what = "the coworker"
		case FieldCountryID:
			what = "the country"
		}
		switch {
		case c >= 0:
			parts = append(parts, fmt.Sprintf("%s by %q (%s)", what, strings.TrimSpace(header[c]), Lookup(k).What()))
		case ll.hasConst[k]:
			parts = append(parts, fmt.Sprintf("%s by %s %q for every row", what, Lookup(k).What(), ll.constant[k]))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return []string{"looked up in the space's lists when importing: " + strings.Join(parts, ", ")}
}

// LookupColumn returns the cell index of the column that holds lookup k,
// or -1 (none, or one value for every row).
func (l *Layout) LookupColumn(k Lookup) int {
	if !l.lookups.any {
		return -1
	}
	return l.lookups.column[k]
}

// HasLookups reports whether the sheet names some related record by a
// lookup column or constant.
func (l *Layout) HasLookups() bool { return l.lookups.any }

// LookedUp returns the fields (Field* indexes) that only lookups give: the
// sheet has a lookup for them and neither a column nor a constant of
// their own.
func (l *Layout) LookedUp() []int {
	var out []int
	for _, fi := range []int{FieldCoworkerContractID, FieldCoworkerID, FieldCountryID} {
		if l.lookups.gives(fi) && l.column[fi] < 0 && !l.hasConst[fi] {
			out = append(out, fi)
		}
	}
	return out
}

// Lookups reads a row's lookup values (trimmed, undone with Unquote), nil
// when it gives none, and checks their shape: emails are addresses, a
// country a name or code. The
// contact c, as Read made it, tells whether the row gives its contract
// by Id: a row that gives neither the Id nor a contract lookup value is
// refused here. Problems are appended to problems and returned.
func (l *Layout) Lookups(cells []string, c *Contact, problems []Problem) (*LookupValues, []Problem) {
	ll := &l.lookups
	if !ll.any {
		return nil, problems
	}
	var v LookupValues
	for k := range v {
		switch col := ll.column[k]; {
		case ll.hasConst[k]:
			v[k] = ll.constant[k]
		case col >= 0 && col < len(cells):
			s := Unquote(strings.TrimSpace(cells[col]))
			if s == "" {
				continue
			}
			if msg := CheckText(s); msg != "" {
				problems = append(problems, Problem{Column: Lookup(k).String(), Message: msg})
				continue
			}
			if msg := checkLookup(Lookup(k), s); msg != "" {
				problems = append(problems, Problem{Column: Lookup(k).String(), Message: msg})
				continue
			}
			v[k] = s
		}
	}
	if c.CoworkerContractID == 0 && ll.gives(FieldCoworkerContractID) && !v.ForField(FieldCoworkerContractID) {
		for _, p := range problems {
			if p.Column == "CoworkerContractId" || isContractLookup(p.Column) {
				return v.orNil(), problems // already said
			}
		}
		var names []string
		for k := range v {
			if Lookup(k).Field() == FieldCoworkerContractID && (ll.column[k] >= 0 || ll.hasConst[k]) {
				names = append(names, Lookup(k).String())
			}
		}
		problems = append(problems, Problem{Column: "CoworkerContractId", Message: "is a required field: give it, or " + strings.Join(names, " or ") + " to look it up"})
	}
	return v.orNil(), problems
}

// orNil returns v, or nil when it holds no value.
func (v LookupValues) orNil() *LookupValues {
	if !v.Any() {
		return nil
	}
	return &v
}

// isContractLookup reports whether a problem's column is a contract
// lookup.
func isContractLookup(column string) bool {
	k, ok := LookupByName(column)
	return ok && k.Field() == FieldCoworkerContractID
}
