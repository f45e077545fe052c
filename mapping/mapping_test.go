package mapping

import (
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
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
		{"yaml ignored column unquoted", "columns:\n  Company: -\n  Member: FullName\n", "yaml", Mapping{},
			`line 2: in YAML a bare - starts a list; quote it: Company: "-"`},
		{"yaml ignored column unquoted, spaced, with a comment", "columns:\n  Member: FullName\n  Company:  - # employer\n", "yaml", Mapping{},
			`line 3: in YAML a bare - starts a list; quote it: Company: "-"`},
		{"json ignored column spaced", `{"columns": {"Company": " - "}}`, "json", Mapping{Columns: map[string]string{"Company": Ignore}}, ""},
		{"yaml ignored column", "columns:\n  Company: \"-\"\n", "yaml",
			Mapping{Columns: map[string]string{"Company": Ignore}}, ""},
		{"json ignored constant", `{"constants": {"-": "x"}}`, "json", Mapping{}, `"-" names no field`},
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
		{"map to nothing", m.AddColumn, "Company=-", ""},
		{"set nothing", m.AddConstant, "-=Acme", `"-" names no field`},
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

// TestConstantsOnce checks a constant's value once, as an error naming
// the flag or the mapping, instead of on every row.
func TestConstantsOnce(t *testing.T) {
	t.Parallel()
	var m Mapping
	for _, tc := range []struct{ spec, want string }{
		{"Contract=abc", `--set "Contract=abc": CoworkerContractId "abc" is not a whole number`},
		{"Type=Boss", `"Boss" is not a contact type`},
		{"Email=ann", `"ann" is not an email address`},
		{"FullName=", "FullName is a required field"},
		{"CountryId=826", ""},
		{"DateOfBirth=03/04/1990", ""}, // checked by the layout, which knows --date-format
	} {
		err := m.AddConstant(tc.spec)
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddConstant(%q) = %v, want %q", tc.spec, err, tc.want)
		}
	}
	_, err := NewLayout([]string{"Contract", "Name"}, Mapping{Constants: map[string]string{"DateOfBirth": "03/04/1990"}}, OrderUnknown, time.Now())
	if err == nil || !strings.Contains(err.Error(), `the value for every row of DateOfBirth (--set or the mapping's constants): "03/04/1990" is ambiguous`) {
		t.Errorf("NewLayout with an ambiguous constant date: %v", err)
	}
	if _, err := NewLayout([]string{"Contract", "Name"}, Mapping{Constants: map[string]string{"DateOfBirth": "03/04/1990"}}, DayFirst, time.Now()); err != nil {
		t.Errorf("with DMY: %v", err)
	}
}

// TestMissingColumns names every missing required field at once, the
// headers the sheet has and the nearest to each field.
func TestMissingColumns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header []string
		want   []string
	}{
		{[]string{"Member", "Agreement no."}, []string{"no column gives CoworkerContractId or FullName", `the header has "Member", "Agreement no."`}},
		{[]string{"Contract #", "Nmae", "Email"}, []string{"no column gives CoworkerContractId or FullName", `closest: "Contract #" for CoworkerContractId?, "Nmae" for FullName?`}},
		{[]string{"Contract", "Colour"}, []string{"no column gives FullName (", "add it", `--map "Column=FullName"`}},
		{[]string{"", ""}, []string{"the header row is empty"}},
	} {
		_, err := NewLayout(tc.header, Mapping{}, OrderUnknown, time.Now())
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("header %q: %v, want %q", tc.header, err, w)
			}
		}
	}
}

// TestCommentHint explains a YAML # in a column name.
func TestCommentHint(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		"columns:\n  Contract #: CoworkerContractId\n  Member: FullName\n",
		"columns:\n  Member: FullName\n  Contract #: CoworkerContractId\n",
	} {
		_, err := Parse([]byte(data), "yaml")
		if err == nil || !strings.Contains(err.Error(), `# after a space starts a comment; quote a name that holds one: "Contract #":`) {
			t.Errorf("%q: %v", data, err)
		}
	}
	if m, err := Parse([]byte("columns:\n  \"Contract #\": CoworkerContractId # the agreement\n"), "yaml"); err != nil || m.Columns["Contract #"] != "CoworkerContractId" {
		t.Errorf("quoted: %v, %v", m, err)
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"José", ""}, {"Ann Lee", ""}, {"", ""}, {"#1 fan", ""}, {"Error: none", ""},
		{"Jos\xe9", "holds bytes that are not text"},
		{"Jos\uFFFD", "holds bytes that are not text"},
		{"Ada\x00", "holds a NUL byte"},
		{"Zoë\x00", "holds a NUL byte"},
		{"#N/A", "is a spreadsheet error"}, {"#REF!", "is a spreadsheet error"}, {"#VALUE!", "is a spreadsheet error"},
		{"#DIV/0!", "is a spreadsheet error"}, {"#NAME?", "is a spreadsheet error"}, {"Err:502", "is a spreadsheet error"},
	} {
		if got := CheckText(tc.in); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("CheckText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLostLetters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"?ukasz ?ó?kiewski", true}, {"??", true}, {"Wang ??", true}, {"(??)", true}, {"Dvo?ák", true}, {"?ód?", true},
		{"Why?", false}, {"Really?? Yes", false}, {"what??", false}, {"?", false}, {"Ann Lee", false},
		{"see https://example.com/?id=3", false}, {"www.example.com/page?id=3", false}, {"a/?b", false}, {"x=1&?y", false},
		{"Is it 5? Or 6?", false}, {"Unit 4?B", true},
	} {
		if got := LostLetters(tc.in); got != tc.want {
			t.Errorf("LostLetters(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzLostLetters checks the detector's invariants: no "?", no loss;
// spaces around a cell change nothing; and a letter a single-byte
// encoding wrote as "?" before another letter is always caught.
func FuzzLostLetters(f *testing.F) {
	for _, s := range []string{"Łukasz Żółkiewski", "王芳", "Why?", "José", "a?b", "Dvořák", "x/?y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.Contains(s, "?") && LostLetters(s) {
			t.Fatalf("LostLetters(%q) without a ?", s)
		}
		if LostLetters(s) != LostLetters(" "+s+" ") {
			t.Fatalf("LostLetters(%q) changes with spaces around it", s)
		}
		if strings.ContainsAny(s, "?/=&:") || strings.Contains(s, "www.") {
			return
		}
		// What Windows-1252 makes of s: "?" for what it cannot hold.
		var lossy strings.Builder
		lost := false
		runes := []rune(s)
		for i, r := range runes {
			if r > 0xFF || r == utf8.RuneError {
				lossy.WriteByte('?')
				if unicode.IsLetter(r) && i+1 < len(runes) && runes[i+1] <= 0xFF && unicode.IsLetter(runes[i+1]) {
					lost = true
				}
				continue
			}
			lossy.WriteRune(r)
		}
		if lost && !LostLetters(lossy.String()) {
			t.Fatalf("%q saved as %q: the lost letter was not caught", s, lossy.String())
		}
	})
}

func TestDateOrderOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want DateOrder
	}{
		{"25/01/1967", DayFirst}, {"01/25/1967", MonthFirst}, {"03/04/1990", OrderUnknown}, {"1990-12-31", OrderUnknown},
		{"31.12.1990", DayFirst}, {"12-31-1990", MonthFirst}, {"31 Dec 1990", OrderUnknown}, {"31/02/1990", OrderUnknown},
		{"45/01/1990", OrderUnknown}, {"29/02/1900", OrderUnknown}, {"29/02/2000", DayFirst}, {"25/01/67", OrderUnknown},
		{"25/01/1967 00:00", DayFirst}, {"", OrderUnknown}, {"13/13/1990", OrderUnknown},
	} {
		if got := DateOrderOf(tc.in); got != tc.want {
			t.Errorf("DateOrderOf(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzDateOrderOf checks that a date that proves an order is read, with
// either order or none, as the same valid date.
func FuzzDateOrderOf(f *testing.F) {
	for _, s := range []string{"25/01/1967", "01/25/1967", "03/04/1990", "29/02/2000", "31.12.1990"} {
		f.Add(s)
	}
	now := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		o := DateOrderOf(s)
		if o == OrderUnknown {
			return
		}
		s = strings.TrimSpace(s) // as cells are
		api, msg := ParseDate(s, OrderUnknown, now)
		if msg != "" {
			t.Fatalf("%q proves %v but does not parse: %s", s, o, msg)
		}
		for _, order := range []DateOrder{DayFirst, MonthFirst} {
			if again, _ := ParseDate(s, order, now); again != api {
				t.Fatalf("%q reads %q without an order and %q with %v", s, api, again, order)
			}
		}
	})
}

func TestHeaderScore(t *testing.T) {
	t.Parallel()
	m := Mapping{Columns: map[string]string{"Member": "FullName"}}
	for _, tc := range []struct {
		row  []string
		want int
	}{
		{[]string{"Contract contacts, June 2024", "", ""}, 0},
		{[]string{"1001", "Ada", "ada@example.com"}, 0},
		{[]string{"Contract", "Name", "Colour"}, 2},
		{[]string{"member", "Agreement"}, 1},
		{[]string{"row", "status", "id", "error"}, 4},
	} {
		if got := HeaderScore(tc.row, m); got != tc.want {
			t.Errorf("HeaderScore(%q) = %d, want %d", tc.row, got, tc.want)
		}
	}
}

// FuzzEmail checks that the quick path for plain addresses agrees with
// net/mail on every address it takes.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", "a.b+c@x.co.uk", "a..b@x.com", "-@x.y", "é@x.com", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		at := strings.LastIndexByte(v, '@')
		if at < 0 || !plainAddress(v[:at], v[at+1:]) {
			return
		}
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || a.Name != "" {
			t.Fatalf("%q: quick path takes it, net/mail says %v, %v", v, a, err)
		}
	})
}

// FuzzCheckText checks that a cell that passes holds valid UTF-8 without
// NUL or U+FFFD, and that the quick ASCII test agrees with a plain loop.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"José", "Ada\x00", "#N/A", "abcdefgh\x80", "abcdefghij"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if CheckText(v) == "" && (!utf8.ValidString(v) || strings.ContainsRune(v, 0) || strings.ContainsRune(v, utf8.RuneError)) {
			t.Fatalf("CheckText(%q) passes it", v)
		}
		ascii := true
		for i := 0; i < len(v); i++ {
			if v[i] == 0 || v[i] >= utf8.RuneSelf {
				ascii = false
			}
		}
		if plainText(v) != ascii {
			t.Fatalf("plainText(%q) = %v, want %v", v, plainText(v), ascii)
		}
	})
}

// FuzzScanCell checks the word-at-a-time look at a cell against a plain
// loop.
func FuzzScanCell(f *testing.F) {
	for _, s := range []string{"José", "Ada\x00", "abcdefgh?", "abcdefgh\x80ijklmnop", "????????", "\x00\x00\x00\x00\x00\x00\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		plain, question := true, strings.Contains(v, "?")
		for i := 0; i < len(v); i++ {
			if v[i] == 0 || v[i] >= utf8.RuneSelf {
				plain = false
			}
		}
		if p, q := scanCell(v); p != plain || q != question {
			t.Fatalf("scanCell(%q) = %v, %v; want %v, %v", v, p, q, plain, question)
		}
	})
}

// TestIgnoredColumn: a column mapped to "-" is not read, though its
// header names a lookup ("Company": CompanyName) or a field ("Email"), and
// the note says so.
func TestIgnoredColumn(t *testing.T) {
	m := Mapping{Columns: map[string]string{"Company": Ignore, "email": Ignore}}
	l, err := NewLayout([]string{"CoworkerContractId", "FullName", "Company", "Email"}, m, OrderUnknown, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(l.Notes(), "\n"); !strings.Contains(notes, `ignoring columns as the mapping says: "Company", "Email"`) {
		t.Errorf("notes:\n%s", notes)
	}
	// A column to ignore may be absent: one mapping serves several sheets.
	if _, err := NewLayout([]string{"CoworkerContractId", "FullName"}, m, OrderUnknown, time.Now()); err != nil {
		t.Errorf("ignoring a column the sheet lacks: %v", err)
	}
	// An ignored Id column does not make the sheet an export, whose
	// CoworkerEmail column would be read-only: it is a lookup.
	for _, tc := range []struct {
		m      Mapping
		lookup bool
	}{{Mapping{}, false}, {Mapping{Columns: map[string]string{"Id": Ignore}}, true}} {
		l, err := NewLayout([]string{"FullName", "CoworkerContractId", "Id", "CoworkerEmail"}, tc.m, OrderUnknown, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := l.LookupColumn(LookupCoworkerEmail) >= 0; got != tc.lookup {
			t.Errorf("mapping %v: CoworkerEmail a lookup: %v, want %v", tc.m.Columns, got, tc.lookup)
		}
	}
	cells := []string{"1001", "Ann Lee", "Acme Ltd", "not an email"}
	c, problems := l.Contact(cells, nil)
	if v, _ := l.Lookups(cells, &c, nil); v != nil {
		t.Errorf("an ignored Company column is still a lookup: %+v", v)
	}
	if len(problems) != 0 || c.Email != "" || c.FullName != "Ann Lee" {
		t.Errorf("contact %+v, problems %v; want the ignored cells unread", c, problems)
	}
}
