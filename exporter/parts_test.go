package exporter

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbulk/nexudus"
)

func TestParseColumns(t *testing.T) {
	tests := []struct {
		name, list string
		want       []string
		wantErr    string
	}{
		{name: "any case, in the order given", list: "fullname, ID,email", want: []string{"FullName", "Id", "Email"}},
		{name: "typo names the closest", list: "Id,FulName", wantErr: `unknown column "FulName" (did you mean FullName?)`},
		{name: "twice", list: "Id,id", wantErr: "column Id is listed twice"},
		{name: "empty", list: " , ", wantErr: "no column named"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cols, err := ParseColumns(tc.list)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ColumnNames(cols); !slices.Equal(got, tc.want) {
				t.Errorf("columns %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseOrderBy(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{in: "fullname", want: "FullName"},
		{in: " Id ", want: "Id"},
		{in: "UpdatedOn", want: "UpdatedOn"},
		{in: "FullNam", wantErr: `"FullNam" is not a field (did you mean FullName?)`},
		{in: "customfields", wantErr: "customfields holds JSON and cannot be sorted"},
		{in: "LocalizationDetails", wantErr: "LocalizationDetails holds JSON and cannot be sorted"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseOrderBy(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseOrderBy(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestColumnsFollowTheAPI checks that the columns are the JSON fields of a
// record, in the documented order, so that headers match what import reads.
func TestColumnsFollowTheAPI(t *testing.T) {
	data, err := json.Marshal(nexudus.Record{})
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var keys []string
	dec.Token() // {
	for dec.More() {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if got := ColumnNames(Columns()); !slices.Equal(got, keys) {
		t.Errorf("columns\n%v\nwant the record's fields\n%v", got, keys)
	}
}

func TestCells(t *testing.T) {
	r := nexudus.Record{
		CoworkerActive:      ptr(false),
		LocalizationDetails: json.RawMessage(`{ "a" : [1, 2] }`),
		CustomFields:        json.RawMessage(`null`),
		ContractContactType: 2,
	}
	want := map[string]string{
		"CoworkerActive": "false", "LocalizationDetails": `{"a":[1,2]}`, "CustomFields": "",
		"Email": "", "CountryId": "", "ContractContactType": "CompanyAlias", "IsNew": "false",
	}
	for _, c := range Columns() {
		if w, ok := want[c.Name]; ok {
			if got := c.cell(&r, false); got != w {
				t.Errorf("%s = %q, want %q", c.Name, got, w)
			}
		}
	}
}

func TestAddFilter(t *testing.T) {
	tests := []struct {
		name, in string
		want     url.Values
		wantErr  string
	}{
		{name: "integer", in: "ContractContact_CoworkerContract=1001", want: url.Values{"ContractContact_CoworkerContract": {"1001"}}},
		{name: "string", in: "contractcontact_fullname=O'Brien, Ann", want: url.Values{"ContractContact_FullName": {"O'Brien, Ann"}}},
		{name: "boolean", in: "ContractContact_Coworker_Active=TRUE", want: url.Values{"ContractContact_Coworker_Active": {"true"}}},
		{name: "date", in: "from_ContractContact_UpdatedOn=2025-01-31", want: url.Values{"from_ContractContact_UpdatedOn": {"2025-01-31T00:00"}}},
		{name: "date and time", in: "to_ContractContact_CreatedOn=2025-01-31T08:30", want: url.Values{"to_ContractContact_CreatedOn": {"2025-01-31T08:30"}}},
		{name: "range integer", in: "from_ContractContact_CoworkerContractQuantity=2", want: url.Values{"from_ContractContact_CoworkerContractQuantity": {"2"}}},
		{name: "typo", in: "ContractContact_CoworkerContrat=1", wantErr: `unknown filter "ContractContact_CoworkerContrat" (did you mean ContractContact_CoworkerContract?)`},
		{name: "no value", in: "ContractContact_Email", wantErr: "want NAME=VALUE"},
		{name: "bad integer", in: "ContractContact_Coworker=abc", wantErr: `filter ContractContact_Coworker: "abc" is not a whole number`},
		{name: "bad boolean", in: "ContractContact_Coworker_Active=yes", wantErr: "is not true or false"},
		{name: "bad date", in: "from_ContractContact_CreatedOn=31/01/2025", wantErr: "use 2025-01-31 or 2025-01-31T08:00"},
		{name: "empty string", in: "ContractContact_Email=", wantErr: "empty value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			err := AddFilter(q, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Encode() != tc.want.Encode() {
				t.Errorf("got %v, want %v", q, tc.want)
			}
		})
	}
}

// TestEveryDocumentedFilterIsAccepted feeds each documented filter a value of its kind.
func TestEveryDocumentedFilterIsAccepted(t *testing.T) {
	sample := map[nexudus.FilterKind]string{nexudus.Integer: "7", nexudus.String: "x", nexudus.Boolean: "false", nexudus.DateTime: "2025-01-31T08:00"}
	for _, f := range nexudus.Filters() {
		q := url.Values{}
		if err := AddFilter(q, f.Name+"="+sample[f.Kind]); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	st, err := LoadState(path)
	if err != nil || !st.LastStart.IsZero() || st.Since(time.Hour) != "" {
		t.Fatalf("missing state: %+v, %v", st, err)
	}
	start := time.Date(2025, 3, 2, 1, 30, 45, 0, time.UTC)
	if err := SaveState(path, State{LastStart: start, Records: 3}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	st, err = LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Since(10 * time.Minute); got != "2025-03-02T01:20" {
		t.Errorf("Since(10m) = %s", got)
	}
	if got := st.Since(DefaultOverlap); got != "2025-03-01T13:20" {
		t.Errorf("Since(default) = %s", got)
	}
	os.WriteFile(path, []byte("not json"), 0o600)
	if _, err := LoadState(path); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("err = %v for a broken state file", err)
	}
}

func TestIDSet(t *testing.T) {
	var s idSet
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[int64]bool{}
	for i := range 20000 {
		id := int64(i * 3)
		if i%5 == 0 {
			id = rng.Int64N(100000)
		}
		if got := s.add(id); got == want[id] {
			t.Fatalf("add(%d) = %v with %v already", id, got, want[id])
		}
		want[id] = true
	}
	for id := range int64(100000) {
		if s.has(id) != want[id] {
			t.Fatalf("has(%d) = %v", id, !want[id])
		}
	}
	if s.len() != len(want) {
		t.Errorf("len %d, want %d", s.len(), len(want))
	}
}
