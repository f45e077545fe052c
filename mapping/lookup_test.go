package mapping

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLookupByName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want Lookup
		ok   bool
	}{
		{"ContractHolderEmail", LookupHolderEmail, true},
		{"Holder Email", LookupHolderEmail, true},
		{"contract_email", LookupHolderEmail, true},
		{"CONTRACT-HOLDER", LookupHolderName, true},
		{"Holder", LookupHolderName, true},
		{"ContractHolderName", LookupHolderName, true},
		{"Company", LookupCompanyName, true},
		{"Company Name", LookupCompanyName, true},
		{"billing name", LookupBillingName, true},
		{"Coworker Email", LookupCoworkerEmail, true},
		{"Member Email", LookupCoworkerEmail, true},
		{"Country", LookupCountry, true},
		{"Country Name", LookupCountry, true},
		{"country code", LookupCountry, true},
		{"Country Id", 0, false}, // a field
		{"Email", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := LookupByName(tc.name)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("LookupByName(%q) = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLayoutLookups: lookup columns by header, mapping and constant; the
// contract Id not required when a contract lookup is given, but each row
// must give one or the other; shapes checked offline.
func TestLayoutLookups(t *testing.T) {
	t.Parallel()
	today := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		header   []string
		m        Mapping
		row      []string
		want     LookupValues
		contract int64
		problems []string
		looked   []int
	}{
		{"holder email instead of the contract", []string{"Holder Email", "Name"}, Mapping{},
			[]string{" ada@analytical.example ", "Ann"}, LookupValues{LookupHolderEmail: "ada@analytical.example"}, 0, nil,
			[]int{FieldCoworkerContractID}},
		{"neither the Id nor the lookup", []string{"Contract", "Company", "Name"}, Mapping{},
			[]string{"", "", "Ann"}, LookupValues{}, 0,
			[]string{"CoworkerContractId: is a required field: give it, or CompanyName to look it up"}, nil},
		{"the Id and the lookup", []string{"Contract", "Company", "Name"}, Mapping{},
			[]string{"1001", "Acme", "Ann"}, LookupValues{LookupCompanyName: "Acme"}, 1001, nil, nil},
		{"not an email", []string{"Contract Email", "Name"}, Mapping{},
			[]string{"ada at analytical", "Ann"}, LookupValues{}, 0,
			[]string{`ContractHolderEmail: "ada at analytical" is not an email address`}, []int{FieldCoworkerContractID}},
		{"every lookup by header", []string{"ContractHolderEmail", "Holder", "Company Name", "BillingName", "Member Email", "Country Code", "Name"}, Mapping{},
			[]string{"a@b.example", "Ada", "AE Ltd", "AE", "c@d.example", "GB", "Ann"},
			LookupValues{"a@b.example", "Ada", "AE Ltd", "AE", "c@d.example", "GB"}, 0, nil,
			[]int{FieldCoworkerContractID, FieldCoworkerID, FieldCountryID}},
		{"country as a number", []string{"Contract", "Country", "Name"}, Mapping{},
			[]string{"1001", "826", "Ann"}, LookupValues{}, 1001,
			[]string{`Country: "826" is a number: give a country name or two-letter ISO code, or put the Id in a CountryId column`}, []int{FieldCountryID}},
		{"mapped columns and a constant", []string{"Agreement holder", "Member", "Land"},
			Mapping{Columns: map[string]string{"Agreement holder": "ContractHolderEmail", "Land": "Country", "Member": "FullName"},
				Constants: map[string]string{"CoworkerEmail": "c@d.example"}},
			[]string{"a@b.example", "Ann", "España"}, LookupValues{LookupHolderEmail: "a@b.example", LookupCoworkerEmail: "c@d.example", LookupCountry: "España"}, 0, nil,
			[]int{FieldCoworkerContractID, FieldCoworkerID, FieldCountryID}},
		{"a CountryName column outside an export is the country", []string{"Contract", "CountryName", "Name"}, Mapping{},
			[]string{"1001", "Spain", "Ann"}, LookupValues{LookupCountry: "Spain"}, 1001, nil, []int{FieldCountryID}},
		{"an export's own CoworkerEmail and CountryName stay read-only", []string{"Id", "CoworkerContractId", "CoworkerEmail", "CountryId", "CountryName", "FullName"}, Mapping{},
			[]string{"90001", "1001", "a@b.example", "1", "United Kingdom", "Ann"}, LookupValues{}, 1001, nil, nil},
		{"a formula in a lookup cell is read as text", []string{"Contract", "Company", "Name"}, Mapping{},
			[]string{"1001", "'=Acme", "Ann"}, LookupValues{LookupCompanyName: "=Acme"}, 1001, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLayout(tc.header, tc.m, OrderUnknown, today)
			if err != nil {
				t.Fatalf("NewLayout: %v", err)
			}
			c, _, problems := l.Read(tc.row, nil)
			v, problems := l.Lookups(tc.row, &c, problems)
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tc.problems) {
				t.Errorf("problems %q, want %q", got, tc.problems)
			}
			if v != nil && *v == (LookupValues{}) {
				t.Error("Lookups returned values that are all blank rather than nil")
			}
			var values LookupValues
			if v != nil {
				values = *v
			}
			if values != tc.want {
				t.Errorf("values %q, want %q", values, tc.want)
			}
			if c.CoworkerContractID != tc.contract {
				t.Errorf("contract %d, want %d", c.CoworkerContractID, tc.contract)
			}
			if got := l.LookedUp(); !slices.Equal(got, tc.looked) {
				t.Errorf("LookedUp %v, want %v", got, tc.looked)
			}
			export := slices.Contains(tc.header, "Id")
			if l.HasLookups() == export {
				t.Errorf("HasLookups %v for a header with lookups: %v", l.HasLookups(), !export)
			}
		})
	}
}

func TestLayoutLookupNotesAndErrors(t *testing.T) {
	t.Parallel()
	today := time.Now()
	l, err := NewLayout([]string{"Holder Email", "Name", "Country"}, Mapping{}, OrderUnknown, today)
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(l.Notes(), "\n"); !strings.Contains(notes, `the contract by "Holder Email" (holder email), the country by "Country" (name or ISO code)`) {
		t.Errorf("notes %q", notes)
	}
	for _, tc := range []struct {
		header []string
		m      Mapping
		want   string
	}{
		{[]string{"Holder Email", "Contract Email", "Name"}, Mapping{}, `columns "Holder Email" and "Contract Email" both give ContractHolderEmail`},
		{[]string{"Name", "Email"}, Mapping{}, "no column gives CoworkerContractId"},
		{[]string{"Holder Email", "Name"}, Mapping{Constants: map[string]string{"ContractHolderEmail": "a@b.example"}}, "ContractHolderEmail is given both by column"},
		{[]string{"Name", "Contract"}, Mapping{Constants: map[string]string{"Country": "12"}}, `"12" is a number`},
	} {
		if _, err := NewLayout(tc.header, tc.m, OrderUnknown, today); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewLayout(%q, %v) = %v, want %q", tc.header, tc.m, err, tc.want)
		}
	}
	var m Mapping
	for _, tc := range []struct{ spec, want string }{
		{"Holder Email=ada@analytical.example", ""},
		{"country=GB", ""},
		{"ContractHolderEmail=ada", `"ada" is not an email address`},
		{"Country=", "is blank"},
	} {
		err := m.AddConstant(tc.spec)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddConstant(%q) = %v, want %q", tc.spec, err, tc.want)
		}
	}
	if m.Constants["ContractHolderEmail"] != "ada@analytical.example" || m.Constants["Country"] != "GB" {
		t.Errorf("constants %v", m.Constants)
	}
	if err := m.AddColumn("Member=Member Email"); err != nil || m.Columns["Member"] != "CoworkerEmail" {
		t.Errorf("AddColumn: %v, %v", err, m.Columns)
	}
	if _, err := Parse([]byte("columns:\n  Holder: ContractHolderEmial\n"), "yaml"); err == nil || !strings.Contains(err.Error(), "did you mean ContractHolderEmail?") {
		t.Errorf("a misspelt lookup: %v", err)
	}
	if HeaderScore([]string{"Holder Email", "Nom"}, Mapping{}) != 1 {
		t.Error("a lookup header does not count as a header cell")
	}
}
