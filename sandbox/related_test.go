package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// listOf fetches one page of the list at path and decodes its records
// into T.
func listOf[T any](h *harness, path string, q url.Values) page[T] {
	h.t.Helper()
	status, b := h.do("GET", path+"?"+q.Encode(), "")
	var p page[T]
	if err := json.Unmarshal(b, &p); status != 200 || err != nil {
		h.t.Fatalf("GET %s?%s: status %d %v: %s", path, q.Encode(), status, err, b)
	}
	return p
}

func idsOf[T any](recs []T, id func(T) int64) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = id(r)
	}
	return out
}

func contractID(c contractRecord) int64 { return c.ID }
func coworkerID(c coworkerRecord) int64 { return c.ID }
func countryID(c countryRecord) int64   { return c.ID }

// TestRelatedShape reads each list a lookup uses: the listing envelope of
// the contacts listing, and records with the fields NOTES.md names.
func TestRelatedShape(t *testing.T) {
	t.Parallel()
	h := start(t, Config{})
	tests := []struct {
		path  string
		total int
		keys  []string
	}{
		{contractsPath, 14, []string{"Id", "CoworkerId", "CoworkerFullName", "CoworkerEmail", "CoworkerCompanyName", "CoworkerBillingName",
			"CoworkerActive", "TariffId", "TariffName", "StartDate", "Active", "MainContract", "Cancelled", "CancellationDate", "Quantity", "Notes",
			"UniqueId", "CreatedOn", "UpdatedOn", "UpdatedBy", "IsNew", "SystemId", "ToStringText"}},
		{coworkersPath, 12, []string{"Id", "FullName", "Email", "CompanyName", "BillingName", "Active",
			"UniqueId", "CreatedOn", "UpdatedOn", "UpdatedBy", "IsNew", "SystemId", "ToStringText"}},
		{countriesPath, len(DefaultCountries()), []string{"Id", "Name", "TwoDigitsCode", "Culture",
			"UniqueId", "CreatedOn", "UpdatedOn", "UpdatedBy", "IsNew", "SystemId", "ToStringText"}},
	}
	for _, tc := range tests {
		for _, path := range []string{tc.path, tc.path + "/"} {
			status, b := h.do("GET", path+"?size=100", "")
			var got map[string]json.RawMessage
			if err := json.Unmarshal(b, &got); status != 200 || err != nil {
				t.Fatalf("%s: status %d %v: %s", path, status, err, b)
			}
			wantKeys := []string{"Records", "CurrentPageSize", "CurrentPage", "CurrentOrderField", "CurrentSortDirection", "FirstItem",
				"HasNextPage", "HasPreviousPage", "LastItem", "PageNumber", "PageSize", "TotalItems", "TotalPages"}
			if keys := sortedKeys(got); !slices.Equal(keys, sorted(wantKeys)) {
				t.Errorf("%s: page keys %v", path, keys)
			}
			var recs []map[string]json.RawMessage
			if err := json.Unmarshal(got["Records"], &recs); err != nil || len(recs) != tc.total || string(got["TotalItems"]) != fmt.Sprint(tc.total) {
				t.Fatalf("%s: %d records, TotalItems %s, want %d (%v)", path, len(recs), got["TotalItems"], tc.total, err)
			}
			if keys := sortedKeys(recs[0]); !slices.Equal(keys, sorted(tc.keys)) {
				t.Errorf("%s: record keys %v, want %v", path, keys, sorted(tc.keys))
			}
			if _, err := checkUUID(strings.Trim(string(recs[0]["UniqueId"]), `"`)); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
	t.Run("one record and several", func(t *testing.T) {
		for _, tc := range []struct {
			path, one, many, want string
		}{
			{contractsPath, "/1011", "?id=[1013,999,1001]", "Second contract of Ada Lovelace"},
			{coworkersPath, "/2010", "?id=[2007,2001]", "Hedy.Lamarr@FrequencyHopping.example"},
			{countriesPath, "/60", "?id=[67,1]", "Côte d'Ivoire"},
		} {
			status, b := h.do("GET", tc.path+tc.one, "")
			if status != 200 || !strings.Contains(string(b), tc.want) {
				t.Errorf("GET %s%s: status %d %s", tc.path, tc.one, status, b)
			}
			var many []map[string]any
			status, b = h.do("GET", tc.path+"/"+tc.many, "")
			if err := json.Unmarshal(b, &many); status != 200 || err != nil || len(many) != 2 {
				t.Errorf("GET %s/%s: status %d %v %s", tc.path, tc.many, status, err, b)
			} else if want := strings.Split(strings.Trim(tc.many, "?id=[]"), ","); fmt.Sprint(many[0]["Id"]) != want[0] {
				t.Errorf("GET %s/%s: first Id %v, want %s (the order asked)", tc.path, tc.many, many[0]["Id"], want[0])
			}
			if status, _ := h.do("GET", tc.path+"/99999", ""); status != 404 {
				t.Errorf("GET %s/99999: status %d, want 404", tc.path, status)
			}
			if status, _ := h.do("GET", tc.path+"/abc", ""); status != 404 {
				t.Errorf("GET %s/abc: status %d, want 404", tc.path, status)
			}
			if status, _ := h.do("POST", tc.path, `{"Id": 1}`); status != 405 {
				t.Errorf("POST %s: status %d, want 405", tc.path, status)
			}
			if status, _ := h.do("GET", tc.path+"?orderBy=Nonsense", ""); status != 400 {
				t.Errorf("orderBy=Nonsense: status %d, want 400", status)
			}
		}
	})
}

// TestContractLookupCases reads the contracts list as a lookup would and
// meets the hard cases the seeds promise.
func TestContractLookupCases(t *testing.T) {
	t.Parallel()
	h := start(t, Config{})
	all := listOf[contractRecord](h, contractsPath, url.Values{"size": {"100"}}).Records
	for i, c := range all[:10] {
		if c.ID != int64(1001+i) || c.CoworkerID != int64(2001+i) || !c.Active || c.Cancelled || c.CoworkerFullName == nil {
			t.Errorf("contract %+v: want 1001..1010 active, held by 2001..2010", c)
		}
	}
	tests := []struct {
		name string
		q    url.Values
		want []int64
	}{
		{"a holder with two active contracts", url.Values{"CoworkerContract_Coworker": {"2001"}, "CoworkerContract_Active": {"true"}}, []int64{1001, 1011}},
		{"a cancelled contract beside an active one", url.Values{"CoworkerContract_Coworker": {"2002"}}, []int64{1002, 1013}},
		{"contracts not active", url.Values{"CoworkerContract_Active": {"false"}}, []int64{1012, 1013, 1014}},
		{"the holder of a cancelled contract has no other", url.Values{"CoworkerContract_Coworker": {"2011"}}, []int64{1012}},
		{"sorted by holder, ties by Id", url.Values{"orderBy": {"CoworkerFullName"}, "size": {"3"}}, []int64{1001, 1011, 1003}},
	}
	for _, tc := range tests {
		if got := idsOf(listOf[contractRecord](h, contractsPath, tc.q).Records, contractID); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	c := listOf[contractRecord](h, contractsPath, url.Values{"CoworkerContract_Coworker": {"2011"}}).Records[0]
	if !c.Cancelled || c.Active || c.CancellationDate == nil || *c.CancellationDate != "2025-03-31T00:00:00" || c.CoworkerActive == nil || *c.CoworkerActive {
		t.Errorf("cancelled contract %+v", c)
	}
	same := listOf[contractRecord](h, contractsPath, url.Values{"orderBy": {"CoworkerFullName"}, "size": {"100"}}).Records
	johns := 0
	for _, c := range same {
		if c.CoworkerFullName != nil && *c.CoworkerFullName == "John Smith" {
			johns++
		}
	}
	if johns != 2 {
		t.Errorf("%d contracts held by a John Smith, want 2 (two coworkers of that name)", johns)
	}
}

func TestCoworkerAndCountryLookupCases(t *testing.T) {
	t.Parallel()
	h := start(t, Config{})
	coworkers := []struct {
		name string
		q    url.Values
		want []int64
	}{
		{"email filter is a loose substring", url.Values{"Coworker_Email": {"smith"}}, []int64{2006, 2007}},
		{"email filter ignores case", url.Values{"Coworker_Email": {"HEDY.lamarr@frequencyhopping.EXAMPLE"}}, []int64{2010}},
		{"two coworkers of one name", url.Values{"Coworker_FullName": {"John Smith"}}, []int64{2006, 2007}},
		{"company names differing in case and spacing", url.Values{"Coworker_CompanyName": {"widgets"}}, []int64{2008, 2009}},
		{"inactive coworkers", url.Values{"Coworker_Active": {"false"}}, []int64{2003, 2011}},
	}
	for _, tc := range coworkers {
		if got := idsOf(listOf[coworkerRecord](h, coworkersPath, tc.q).Records, coworkerID); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	recs := listOf[coworkerRecord](h, coworkersPath, url.Values{"Coworker_CompanyName": {"acme"}}).Records
	if len(recs) != 2 || *recs[0].CompanyName == *recs[1].CompanyName || !strings.EqualFold(strings.Join(strings.Fields(*recs[0].CompanyName), " "), strings.Join(strings.Fields(*recs[1].CompanyName), " ")) {
		t.Errorf("company names %v", recs)
	}

	first := listOf[countryRecord](h, countriesPath, url.Values{})
	second := listOf[countryRecord](h, countriesPath, url.Values{"page": {"2"}})
	var got []Country
	for _, c := range append(first.Records, second.Records...) {
		got = append(got, Country{c.ID, c.Name, c.TwoDigitsCode, c.Culture})
	}
	if !slices.Equal(got, DefaultCountries()) || first.TotalPages != 2 || !first.HasNextPage {
		t.Errorf("countries in two pages of 25: %v, %d pages", got, first.TotalPages)
	}
	countries := []struct {
		name string
		q    url.Values
		want []int64
	}{
		{"a name inside another", url.Values{"Country_Name": {"united states"}}, []int64{2, 67}},
		{"an ISO code in lower case", url.Values{"Country_TwoDigitsCode": {"gb"}}, []int64{1}},
		{"accents", url.Values{"Country_Name": {"CÔTE"}}, []int64{60}},
		{"by name, descending", url.Values{"orderBy": {"Name"}, "dir": {"-1"}, "size": {"2"}}, []int64{72, 67}},
	}
	for _, tc := range countries {
		if got := idsOf(listOf[countryRecord](h, countriesPath, tc.q).Records, countryID); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRelatedBehaviours runs the lists under the behaviours they share
// with the contacts listing: roles, limits, paging, sorting and dates.
func TestRelatedBehaviours(t *testing.T) {
	t.Parallel()
	t.Run("roles", func(t *testing.T) {
		t.Parallel()
		h := start(t, Config{Behaviour: Behaviour{Roles: []string{"ContractContact-List", "Country-Read"}}})
		for path, role := range map[string]string{
			contractsPath: "CoworkerContract-List", contractsPath + "/1001": "CoworkerContract-Read", contractsPath + "?id=[1001]": "CoworkerContract-Read",
			coworkersPath: "Coworker-List", coworkersPath + "/2001": "Coworker-Read", countriesPath: "Country-List",
		} {
			if status, b := h.do("GET", path, ""); status != 403 || !strings.Contains(string(b), role) {
				t.Errorf("GET %s: status %d %s, want 403 naming %s", path, status, b, role)
			}
		}
		if status, _ := h.do("GET", countriesPath+"/1", ""); status != 200 {
			t.Errorf("one country with Country-Read: status %d", status)
		}
	})
	t.Run("limits count every list", func(t *testing.T) {
		t.Parallel()
		h := start(t, Config{Limits: Limits{PerMinute: 2}, Now: newClock().Now})
		for i, path := range []string{contractsPath, countriesPath, coworkersPath} {
			if status, _ := h.do("GET", path, ""); (status == 409) != (i == 2) {
				t.Errorf("request %d (%s): status %d", i+1, path, status)
			}
		}
	})
	t.Run("paging, sorting and dates", func(t *testing.T) {
		t.Parallel()
		h := start(t, Config{MaxPageSize: 5, Behaviour: Behaviour{Direction: DirIgnoredDesc, PagingFields: PagingAsked, Dates: DatesLocalZ}})
		p := listOf[contractRecord](h, contractsPath, url.Values{"size": {"20"}, "dir": {"1"}})
		if got := idsOf(p.Records, contractID); !slices.Equal(got, []int64{1014, 1013, 1012, 1011, 1010}) {
			t.Errorf("ids %v, want the 5 highest, descending", got)
		}
		if p.CurrentPageSize != 20 || p.TotalPages != 1 || p.HasNextPage || p.CurrentSortDirection != 1 {
			t.Errorf("paging %+v, want it computed from the size asked and dir echoed", p.paging)
		}
		c := p.Records[4] // 1010
		if c.StartDate == nil || *c.StartDate != "2024-10-01T00:00:00Z" || !strings.HasSuffix(c.CreatedOn, "Z") {
			t.Errorf("dates %v %q", c.StartDate, c.CreatedOn)
		}
		var stored contractRecord
		for _, r := range h.srv.contractEntity().records() {
			if r.ID == 1010 {
				stored = r
			}
		}
		utc, _ := time.Parse(time.RFC3339, stored.CreatedOn)
		if local := utc.In(defaultZone()).Format(wallLayout) + "Z"; c.CreatedOn != local {
			t.Errorf("CreatedOn %q, want the local time %q", c.CreatedOn, local)
		}
	})
	t.Run("batch reads", func(t *testing.T) {
		t.Parallel()
		for batch, want := range map[BatchRead]int{BatchNotFound: 404, BatchBadRequest: 400} {
			h := start(t, Config{Behaviour: Behaviour{Batch: batch}})
			if status, _ := h.do("GET", coworkersPath+"?id=[2001,2002]", ""); status != want {
				t.Errorf("%s: status %d, want %d", batch, status, want)
			}
		}
		h := start(t, Config{Behaviour: Behaviour{Batch: BatchPartial}})
		var recs []contractRecord
		status, b := h.do("GET", contractsPath+"/?id=[1003,1001,1002]", "")
		if err := json.Unmarshal(b, &recs); status != 200 || err != nil || !slices.Equal(idsOf(recs, contractID), []int64{1003, 1002}) {
			t.Errorf("partial: status %d %v %s", status, err, b)
		}
	})
}

// TestDataFileUpgrade opens a data file written before contracts had
// holders: the default contracts get theirs, and the seeds appear.
func TestDataFileUpgrade(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "old.json")
	old := `{"NextId": 87654322, "Contracts": [
		{"ID": 1001, "Quantity": 7, "TariffName": "Kept Plan", "FloorPlanDeskIds": "", "FloorPlanDeskNames": ""},
		{"ID": 7777, "Quantity": 1, "TariffName": "Custom", "FloorPlanDeskIds": "", "FloorPlanDeskNames": ""}],
		"Coworkers": [{"ID": 2001, "FullName": "Ada Lovelace", "CompanyName": "", "BillingName": "", "Email": "ada@old.example", "Active": true}],
		"Records": [{"Id": 87654321, "CoworkerContractId": 1001, "FullName": "Old Record", "CreatedOn": "2024-01-01T00:00:00Z", "UpdatedOn": "2024-01-01T00:00:00Z"}]}`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{DataFile: path})
	if err != nil {
		t.Fatal(err)
	}
	contracts := srv.Contracts()
	if len(contracts) != 15 || contracts[0].CoworkerID != 2001 || !contracts[0].Active || contracts[0].Quantity != 7 || contracts[0].TariffName != "Kept Plan" {
		t.Errorf("contracts after upgrade: %d, first %+v", len(contracts), contracts[0])
	}
	if c := contracts[14]; c.ID != 7777 || c.CoworkerID != 0 {
		t.Errorf("a contract of the file's own: %+v", c)
	}
	if cw := srv.Coworkers(); len(cw) != 12 || cw[0].Email != "ada@old.example" {
		t.Errorf("coworkers after upgrade: %d, first %+v", len(cw), cw[0])
	}
	if srv.Count() != 1 {
		t.Errorf("%d records, want the file's one", srv.Count())
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"Version":2`) {
		t.Errorf("saved file has no version 2: %.200s", b)
	}
}

// TestRelatedBatchReadRepeatsAnId: an id asked twice in a several-at-once
// read is served twice the same, its dates written once in the space's
// style (the second was written over the first, shifted twice).
func TestRelatedBatchReadRepeatsAnId(t *testing.T) {
	t.Parallel()
	for _, dates := range []DateStyle{DatesLocalZ, DatesOffset} {
		t.Run(dates.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: Behaviour{Dates: dates}})
			for _, list := range []struct{ path, id string }{{contractsPath, "1011"}, {coworkersPath, "2001"}} {
				path, id := list.path, list.id
				status, one := h.do("GET", path+"/"+id, "")
				status2, many := h.do("GET", path+"?id=["+id+","+id+"]", "")
				var got []json.RawMessage
				if status != 200 || status2 != 200 || json.Unmarshal(many, &got) != nil || len(got) != 2 {
					t.Fatalf("%s: status %d and %d, %s", path, status, status2, many)
				}
				for i, g := range got {
					if !jsonEqual(t, g, one) {
						t.Errorf("%s: record %d of the batch\n%s\nwant it as read alone\n%s", path, i+1, g, one)
					}
				}
			}
		})
	}
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatalf("not JSON: %s / %s", a, b)
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}
