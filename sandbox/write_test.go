package sandbox

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got (JSON) with testdata/name, pretty-printed; -update
// rewrites the file.
func golden(t *testing.T, name string, status int, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	fmt.Fprintf(&pretty, "HTTP %d\n", status)
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, got)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	gotLines, wantLines := strings.Split(pretty.String(), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("%s line %d:\n got: %s\nwant: %s\n(run go test -update if the change is intended)", path, i+1, g, w)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty_object", `{}`},
		{"fullname_empty", `{"CoworkerContractId": 1001, "FullName": ""}`},
		{"fullname_blank", `{"CoworkerContractId": 1001, "FullName": "   "}`},
		{"fullname_null", `{"CoworkerContractId": 1001, "FullName": null}`},
		{"fullname_not_text", `{"CoworkerContractId": 1001, "FullName": 42}`},
		{"contract_zero", `{"CoworkerContractId": 0, "FullName": "Ann"}`},
		{"contract_string", `{"CoworkerContractId": "1001", "FullName": "Ann"}`},
		{"contract_fraction", `{"CoworkerContractId": 1001.5, "FullName": "Ann"}`},
		{"contract_unknown", `{"CoworkerContractId": 999, "FullName": "Ann"}`},
		{"coworker_unknown", `{"CoworkerContractId": 1001, "FullName": "Ann", "CoworkerId": 7}`},
		{"coworker_string", `{"CoworkerContractId": 1001, "FullName": "Ann", "CoworkerId": "2001"}`},
		{"type_too_big", `{"CoworkerContractId": 1001, "FullName": "Ann", "ContractContactType": 4}`},
		{"type_negative", `{"CoworkerContractId": 1001, "FullName": "Ann", "ContractContactType": -1}`},
		{"type_name", `{"CoworkerContractId": 1001, "FullName": "Ann", "ContractContactType": "Director"}`},
		{"country_unknown", `{"CoworkerContractId": 1001, "FullName": "Ann", "CountryId": 999}`},
		{"country_string", `{"CoworkerContractId": 1001, "FullName": "Ann", "CountryId": "UK"}`},
		{"date_of_birth_invalid", `{"CoworkerContractId": 1001, "FullName": "Ann", "DateOfBirth": "17/05/1980"}`},
		{"several_errors", `{"CoworkerContractId": "x", "CoworkerId": 9, "ContractContactType": 9}`},
		{"malformed_json", `{"CoworkerContractId": 1001,`},
		{"json_array", `[{"CoworkerContractId": 1001, "FullName": "Ann"}]`},
		{"two_objects", `{"CoworkerContractId": 1001, "FullName": "Ann"} {}`},
	}
	h := start(t, Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, b := h.do("POST", collectionPath, tc.body)
			if status != 400 {
				t.Fatalf("status %d, want 400: %s", status, b)
			}
			golden(t, "create/"+tc.name+".json", status, b)
		})
	}
	if n := h.srv.Count(); n != 0 {
		t.Errorf("%d records stored by invalid creates", n)
	}
}

func TestCreate(t *testing.T) {
	clk := newClock()
	h := start(t, Config{Now: clk.Now})
	status, b := h.do("POST", collectionPath, `{"CoworkerContractId": 1002, "FullName": "Ann Example", "coworkerid": 2001,
		"Email": "ann@example.com", "DateOfBirth": "1980-05-17", "Address": "1 High St", "PostCode": "SW1A 1AA",
		"CityName": "London", "State": "Greater London", "CountryId": 1, "PhoneNumber": "+44 20 7946 0000", "Notes": "=1+2",
		"Unknown": "ignored"}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	golden(t, "create/ok.json", status, b)

	status, b = h.do("GET", collectionPath+"/87654321", "")
	if status != 200 {
		t.Fatalf("get: status %d: %s", status, b)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if _, err := checkUUID(got["UniqueId"]); err != nil {
		t.Error(err)
	}
	got["UniqueId"] = "(random)"
	b, _ = json.Marshal(got)
	golden(t, "create/ok_record.json", 200, b)

	t.Run("type defaults to Director", func(t *testing.T) {
		id := h.create(`{"CoworkerContractId": 1001, "FullName": "No Type"}`)
		if r := h.record(id); r.ContractContactType != 1 || r.CoworkerID != nil || r.CoworkerFullName != nil || r.Email != nil {
			t.Errorf("record %+v", r)
		}
	})
	t.Run("explicit type 0 is kept", func(t *testing.T) {
		id := h.create(`{"CoworkerContractId": 1001, "FullName": "None Type", "ContractContactType": 0}`)
		if r := h.record(id); r.ContractContactType != 0 {
			t.Errorf("type %d, want 0", r.ContractContactType)
		}
	})
	t.Run("ids increase", func(t *testing.T) {
		a := h.create(`{"CoworkerContractId": 1001, "FullName": "A"}`)
		b := h.create(`{"CoworkerContractId": 1001, "FullName": "B"}`)
		if b != a+1 || a <= 87654321 {
			t.Errorf("ids %d then %d", a, b)
		}
	})
}

// checkUUID checks v is a UUID string.
func checkUUID(v any) (string, error) {
	s, ok := v.(string)
	if !ok || len(s) != 36 || strings.Count(s, "-") != 4 {
		return "", fmt.Errorf("UniqueId %v is not a UUID", v)
	}
	return s, nil
}

func (h *harness) record(id int64) Record {
	h.t.Helper()
	status, b := h.do("GET", fmt.Sprintf("%s/%d", collectionPath, id), "")
	if status != 200 {
		h.t.Fatalf("get %d: status %d: %s", id, status, b)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestUpdateAndDelete(t *testing.T) {
	clk := newClock()
	h := start(t, Config{Now: clk.Now})
	id := h.create(`{"CoworkerContractId": 1001, "FullName": "Ann", "Notes": "keep me?", "CoworkerId": 2002, "ContractContactType": 3}`)
	before := h.record(id)
	clk.Advance(90 * time.Minute)

	t.Run("PUT replaces every field", func(t *testing.T) {
		status, b := h.do("PUT", collectionPath, fmt.Sprintf(`{"Id": %d, "CoworkerContractId": 1003, "FullName": "Ann Renamed"}`, id))
		if status != 200 {
			t.Fatalf("status %d: %s", status, b)
		}
		if !strings.Contains(string(b), `"Message":"ContractContact was successfully updated."`) {
			t.Errorf("answer %s", b)
		}
		r := h.record(id)
		if r.FullName != "Ann Renamed" || r.CoworkerContractID != 1003 || r.Notes != nil || r.CoworkerID != nil || r.CoworkerFullName != nil || r.ContractContactType != 1 {
			t.Errorf("after PUT: %+v", r)
		}
		if r.CreatedOn != before.CreatedOn || r.UniqueID != before.UniqueID || r.UpdatedOn == before.UpdatedOn {
			t.Errorf("CreatedOn %s->%s UniqueId %s->%s UpdatedOn %s->%s", before.CreatedOn, r.CreatedOn, before.UniqueID, r.UniqueID, before.UpdatedOn, r.UpdatedOn)
		}
	})
	t.Run("PUT errors", func(t *testing.T) {
		for _, tc := range []struct {
			body   string
			status int
		}{
			{`{"CoworkerContractId": 1001, "FullName": "No Id"}`, 400},
			{`{"Id": "x", "CoworkerContractId": 1001, "FullName": "Bad Id"}`, 400},
			{`{"Id": 5, "CoworkerContractId": 1001, "FullName": "Missing"}`, 404},
			{fmt.Sprintf(`{"Id": %d, "FullName": "No contract"}`, id), 400},
			{`not json`, 400},
		} {
			if status, b := h.do("PUT", collectionPath, tc.body); status != tc.status {
				t.Errorf("%s: status %d, want %d: %s", tc.body, status, tc.status, b)
			}
		}
		if r := h.record(id); r.FullName != "Ann Renamed" {
			t.Errorf("a failed PUT changed the record: %+v", r)
		}
	})
	t.Run("DELETE", func(t *testing.T) {
		path := fmt.Sprintf("%s/%d", collectionPath, id)
		if status, b := h.do("DELETE", path, ""); status != 200 || !strings.Contains(string(b), `"WasSuccessful":true`) {
			t.Errorf("delete: status %d: %s", status, b)
		}
		if status, _ := h.do("DELETE", path, ""); status != 404 {
			t.Errorf("second delete: status %d, want 404", status)
		}
		if status, _ := h.do("GET", path, ""); status != 404 {
			t.Errorf("get deleted: status %d, want 404", status)
		}
	})
	t.Run("methods not allowed", func(t *testing.T) {
		if status, _ := h.do("PATCH", collectionPath, `{}`); status != 405 {
			t.Errorf("PATCH: status %d, want 405", status)
		}
		if status, _ := h.do("POST", collectionPath+"/1", `{}`); status != 405 {
			t.Errorf("POST /1: status %d, want 405", status)
		}
		if status, _ := h.do("GET", "/api/billing/other", ""); status != 404 {
			t.Errorf("other path: status %d, want 404", status)
		}
	})
}

func TestInsertDeleteRecords(t *testing.T) {
	h := start(t, Config{})
	a := h.srv.Insert(Record{CoworkerContractID: 1001, FullName: "A"})
	b := h.srv.Insert(Record{ID: 5, CoworkerContractID: 1001, FullName: "Low id"})
	c := h.srv.Insert(Record{CoworkerContractID: 1001, FullName: "C"})
	if a != 87654321 || b != 5 || c != 87654322 {
		t.Errorf("ids %d %d %d", a, b, c)
	}
	recs := h.srv.Records()
	if got := ids(recs); fmt.Sprint(got) != "[5 87654321 87654322]" {
		t.Errorf("Records ids %v, want ordered by Id", got)
	}
	if recs[0].UniqueID == "" || recs[0].CreatedOn == "" || recs[0].UpdatedOn != recs[0].CreatedOn {
		t.Errorf("Insert did not fill UniqueId/CreatedOn/UpdatedOn: %+v", recs[0])
	}
	// Records is a copy: changing it changes nothing stored.
	recs[0].FullName = "changed"
	if h.srv.Records()[0].FullName != "Low id" {
		t.Error("Records shares storage with the server")
	}
	h.srv.Insert(Record{ID: 5, CoworkerContractID: 1001, FullName: "Replaced"})
	if got := h.srv.Records(); len(got) != 3 || got[0].FullName != "Replaced" {
		t.Errorf("Insert with an existing Id did not replace it: %v", got)
	}
	if !h.srv.Delete(b) || h.srv.Delete(b) {
		t.Error("Delete should report true once, then false")
	}
	if h.srv.Count() != 2 {
		t.Errorf("Count %d, want 2", h.srv.Count())
	}
}

func TestSeeds(t *testing.T) {
	h := start(t, Config{})
	if got := h.srv.Contracts(); len(got) != 14 || got[0].ID != 1001 || got[13].ID != 1014 {
		t.Errorf("default contracts %v", got)
	}
	if got := h.srv.Coworkers(); len(got) != 12 || got[0].ID != 2001 || got[11].ID != 2012 {
		t.Errorf("default coworkers %v", got)
	}
	h.srv.AddContract(Contract{ID: 5000, Quantity: 9, TariffName: "Custom"})
	h.srv.AddCoworker(Coworker{ID: 6000, FullName: "New Person", Email: "new@example.com", Active: true})
	id := h.create(`{"CoworkerContractId": 5000, "FullName": "X", "CoworkerId": 6000}`)
	r := h.record(id)
	if r.CoworkerContractTariffName == nil || *r.CoworkerContractTariffName != "Custom" || r.CoworkerEmail == nil || *r.CoworkerEmail != "new@example.com" {
		t.Errorf("derived fields not filled: %+v", r)
	}

	h.srv.SeedAwkward(1004)
	var sawFormula, sawNewline, sawQuote, sawNonASCII, sawPhone bool
	for _, r := range h.srv.Records() {
		if r.CoworkerContractID != 1004 {
			continue
		}
		all := r.FullName + "|" + deref(r.Notes) + "|" + deref(r.Address) + "|" + deref(r.PhoneNumber)
		sawFormula = sawFormula || strings.HasPrefix(r.FullName, "=") || strings.HasPrefix(r.FullName, "@")
		sawNewline = sawNewline || strings.Contains(all, "\n")
		sawQuote = sawQuote || strings.Contains(all, `"`) && strings.Contains(all, ",")
		sawNonASCII = sawNonASCII || strings.ContainsRune(all, 'ë')
		sawPhone = sawPhone || deref(r.PhoneNumber) == "+44 20 7946 0000"
	}
	if !sawFormula || !sawNewline || !sawQuote || !sawNonASCII || !sawPhone {
		t.Errorf("awkward seeds lack a case: formula %v newline %v quote %v non-ASCII %v phone %v", sawFormula, sawNewline, sawQuote, sawNonASCII, sawPhone)
	}

	before := h.srv.Count()
	h.srv.Generate(500, 0)
	recs := h.srv.Records()
	if len(recs) != before+500 {
		t.Fatalf("Generate added %d, want 500", len(recs)-before)
	}
	contracts, coworkers := map[int64]bool{}, map[int64]bool{}
	for _, r := range recs[before:] {
		contracts[r.CoworkerContractID] = true
		if r.FullName == "" || r.UniqueID == "" || r.CoworkerContractTariffName == nil {
			t.Fatalf("generated record not valid: %+v", r)
		}
		if r.CoworkerID != nil && r.CoworkerFullName == nil {
			t.Fatalf("generated record with coworker but no coworker name: %+v", r)
		}
		if r.CoworkerID != nil {
			coworkers[*r.CoworkerID] = true
		}
	}
	// Every contract but the lookup seeds, which Generate leaves alone.
	wantContracts := []int64{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 5000}
	if got := slices.Sorted(maps.Keys(contracts)); !slices.Equal(got, wantContracts) {
		t.Errorf("Generate(n, 0) used contracts %v, want %v", got, wantContracts)
	}
	for id := range coworkers {
		if id > 2005 && id != 6000 {
			t.Errorf("Generate linked a contact to the lookup seed coworker %d", id)
		}
	}
	h.srv.Generate(10, 4242) // an unknown contract is added
	if p := h.list(map[string][]string{"ContractContact_CoworkerContract": {"4242"}}); p.TotalItems != 10 {
		t.Errorf("Generate on a new contract: %d records listed", p.TotalItems)
	}
}

func TestCountries(t *testing.T) {
	t.Parallel()
	h := start(t, Config{})
	countries := DefaultCountries()
	if len(countries) < 20 || countries[0] != (Country{1, "United Kingdom", "GB", "en-GB"}) {
		t.Fatalf("DefaultCountries() = %v", countries)
	}
	ids, codes, names := map[int64]bool{}, map[string]bool{}, map[string]bool{}
	for i, c := range countries {
		if ids[c.ID] || codes[c.Code] || names[c.Name] || len(c.Code) != 2 || strings.ToUpper(c.Code) != c.Code || !strings.HasSuffix(c.Culture, "-"+c.Code) {
			t.Errorf("country %+v: repeated, or a code or culture that is not ISO", c)
		}
		if i > 0 && countries[i-1].ID >= c.ID {
			t.Errorf("DefaultCountries is not ordered by Id at %+v", c)
		}
		ids[c.ID], codes[c.Code], names[c.Name] = true, true, true
		rid := h.create(fmt.Sprintf(`{"CoworkerContractId": 1001, "FullName": "From %d", "CountryId": %d}`, c.ID, c.ID))
		if r := h.record(rid); r.CountryName == nil || *r.CountryName != c.Name || Countries()[c.ID] != c.Name {
			t.Errorf("CountryId %d: CountryName %v, want %q", c.ID, r.CountryName, c.Name)
		}
	}
	for _, id := range []int64{11, 826, 0, -1} { // between Ids, an ISO number, none
		status, b := h.do("POST", collectionPath, fmt.Sprintf(`{"CoworkerContractId": 1001, "FullName": "X", "CountryId": %d}`, id))
		if status != 400 || !strings.Contains(string(b), "CountryId") {
			t.Errorf("CountryId %d: status %d %s, want 400", id, status, b)
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
