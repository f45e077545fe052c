package mapping

import (
	"strings"
	"testing"
	"time"
)

func TestLookupField(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   string
	}{
		{"Full Name", "FullName"}, {"full_name", "FullName"}, {"FULLNAME", "FullName"}, {"Name", "FullName"},
		{"Contract", "CoworkerContractId"}, {"Contract Id", "CoworkerContractId"}, {"coworker-contract-id", "CoworkerContractId"},
		{"Type", "ContractContactType"}, {"Role", "ContractContactType"}, {"Phone", "PhoneNumber"},
		{"DOB", "DateOfBirth"}, {"Birth Date", "DateOfBirth"}, {"Zip", "PostCode"}, {"Postal Code", "PostCode"},
		{"City", "CityName"}, {"Country Id", "CountryId"}, {"Favourite colour", ""},
	} {
		t.Run(tc.header, func(t *testing.T) {
			i, ok := LookupField(tc.header)
			got := ""
			if ok {
				got = FieldName(i)
			}
			if got != tc.want {
				t.Errorf("LookupField(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, data, format string
		want               Mapping
		err                string
	}{
		{"yaml", "columns:\n  Member: full name\nconstants:\n  Contract: 12345678\n  Type: NominatedRecipient\n", "",
			Mapping{Columns: map[string]string{"Member": "FullName"}, Constants: map[string]string{"CoworkerContractId": "12345678", "ContractContactType": "NominatedRecipient"}}, ""},
		{"json", `{"columns": {"Member": "FullName"}, "constants": {"CoworkerContractId": 12345678}}`, "",
			Mapping{Columns: map[string]string{"Member": "FullName"}, Constants: map[string]string{"CoworkerContractId": "12345678"}}, ""},
		{"unknown field", "columns:\n  Member: FulName\n", "yaml", Mapping{}, `"FulName" is not a ContractContact field (did you mean FullName?)`},
		{"unknown section", "colums:\n  Member: FullName\n", "yaml", Mapping{}, "not valid YAML: line 1: unknown section colums (a mapping file has columns: and constants:)"},
		{"bad json", `{"columns": [1]}`, "json", Mapping{}, "not valid JSON"},
		{"list constant", "constants:\n  Notes: [a, b]\n", "", Mapping{}, "constant Notes: must be a single value, not a list or a map"},
		{"yaml columns as a list", "columns: [a, b]\n", "yaml", Mapping{}, "not valid YAML: line 1: want column: field pairs under columns:"},
		{"yaml field as a list", "columns:\n  Member: [FullName]\n", "", Mapping{}, "not valid YAML: line 2: want column: field pairs"},
		{"json unknown section", `{"colums": {}}`, "json", Mapping{}, `not valid JSON: unknown section "colums" (a mapping file has columns and constants)`},
		{"json field a number", `{"columns": {"a": 1}}`, "json", Mapping{}, "not valid JSON: columns: want column: field pairs"},
		{"json cut short", `{"columns": `, "json", Mapping{}, "not valid JSON: unexpected EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.data), tc.format)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "mapping.") || strings.Contains(msg, "interface") || strings.Contains(msg, "Go value") {
					t.Errorf("err %q: want one line in the file's terms, not Go's", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Columns) != len(tc.want.Columns) || len(m.Constants) != len(tc.want.Constants) {
				t.Fatalf("got %+v, want %+v", m, tc.want)
			}
			for k, v := range tc.want.Columns {
				if m.Columns[k] != v {
					t.Errorf("column %q -> %q, want %q", k, m.Columns[k], v)
				}
			}
			for k, v := range tc.want.Constants {
				if m.Constants[k] != v {
					t.Errorf("constant %s = %q, want %q", k, m.Constants[k], v)
				}
			}
		})
	}
}

func TestFlags(t *testing.T) {
	var m Mapping
	for _, tc := range []struct {
		name string
		add  func(string) error
		spec string
		err  string
	}{
		{"map", m.AddColumn, "Member Name=full name", ""},
		{"map with =", m.AddColumn, "a=b=FullName", ""},
		{"map no field", m.AddColumn, "Member=", "want \"Column Name=Field\""},
		{"map unknown", m.AddColumn, "Member=Emial", "did you mean Email?"},
		{"set", m.AddConstant, "contract=1001", ""},
		{"set no =", m.AddConstant, "1001", "want Field=Value"},
		{"set unknown", m.AddConstant, "Tpye=Director", "did you mean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.add(tc.spec)
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("%q: err = %v, want %q", tc.spec, err, tc.err)
			}
		})
	}
}

func TestLayoutNotes(t *testing.T) {
	m := Mapping{Columns: map[string]string{"Member": "FullName"}, Constants: map[string]string{"CoworkerContractId": "1001"}}
	l, err := NewLayout([]string{"Member", "Name", "Id", "CreatedOn", "Colour", ""}, m, OrderUnknown, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`column "Id": a row with an Id is that record, checked against the space (its changes are applied with --update)`,
		`ignoring columns that are not ContractContact fields: "Colour", column 6 (no header)`,
		`ignoring columns replaced by the mapping: "Name"`,
		`ignoring read-only fields of an export: CreatedOn`,
	}
	if strings.Join(l.Notes(), "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(l.Notes(), "\n"), strings.Join(want, "\n"))
	}
	c, problems := l.Contact([]string{"Ada", "ignored", "9", "x", "y", ""}, nil)
	if len(problems) != 0 || c.FullName != "Ada" || c.CoworkerContractID != 1001 || c.ContractContactType != TypeDirector {
		t.Errorf("contact %+v, problems %v", c, problems)
	}
	for _, tc := range []struct {
		cell string
		id   int64
		msg  string
	}{{"9", 9, ""}, {" 87654321 ", 87654321, ""}, {"", 0, ""}, {"x", 0, `"x" is not a whole number`}, {"-3", 0, `"-3" is not a positive whole number`}} {
		id, msg := l.RecordID([]string{"Ada", "", tc.cell, "", "", ""})
		if given := l.Given([]string{"Ada", "x", tc.cell, "", "", ""}); !given[FieldFullName] || !given[FieldCoworkerContractID] || given[FieldEmail] || given[FieldContractContactType] {
			t.Errorf("Given: %v; want FullName (a column) and CoworkerContractId (a constant) only", given)
		}
		if id != tc.id || msg != tc.msg {
			t.Errorf("RecordID(%q) = %d, %q; want %d, %q", tc.cell, id, msg, tc.id, tc.msg)
		}
	}
}

func TestSuggest(t *testing.T) {
	types := []string{"None", "Director", "CompanyAlias", "NominatedRecipient"}
	tests := []struct {
		name, in   string
		candidates []string
		want       string
	}{
		{"swapped letters", "Emial", nil, "Email"},
		{"alias with swapped letters", "Tpye", nil, "Type"},
		{"spaces and case", "full name", nil, "FullName"},
		{"nothing close", "Bar", nil, ""},
		{"abbreviation", "Nominated", types, "NominatedRecipient"},
		{"a number is no type", "4", types, ""},
		{"unrelated word", "missing name", types, ""},
		{"long name, one letter off", "ContractContact_CoworkerContrat",
			[]string{"ContractContact_Coworker", "ContractContact_CoworkerContract"}, "ContractContact_CoworkerContract"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if tc.candidates == nil {
				got = strings.TrimSuffix(strings.TrimPrefix(FieldHint(tc.in), " (did you mean "), "?)")
			} else {
				got = Suggest(tc.in, tc.candidates)
			}
			if got != tc.want {
				t.Errorf("suggestion for %q = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
