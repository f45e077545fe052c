package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// seedThree inserts three records whose every filterable property differs.
func seedThree(h *harness) {
	h.srv.Insert(Record{
		ID: 1, CoworkerContractID: 1001, CoworkerContractQuantity: ip(1),
		CoworkerContractFloorPlanDeskIds: sp("301,302"), CoworkerContractFloorPlanDeskNames: sp("Desk 301"),
		CoworkerContractTariffName: sp("Virtual Office"), CoworkerID: ip(2001), CoworkerFullName: sp("Ada Lovelace"),
		CoworkerCompanyName: sp("Analytical Engines"), CoworkerBillingName: sp("AE Billing"), CoworkerEmail: sp("ada@x.example"),
		CoworkerActive: bp(true), Email: sp("a@one.example"), FullName: "Alice Example", DateOfBirth: sp("1980-05-17T00:00:00"),
		Address: sp("1 High Street"), PostCode: sp("SW1A 1AA"), CityName: sp("London"), State: sp("Greater London"),
		CountryID: ip(1), CountryName: sp("United Kingdom"), PhoneNumber: sp("+44 20 7946 0000"), Notes: sp("VIP client"),
		ContractContactType: 1, CreatedOn: "2025-01-10T08:00:00Z", UpdatedOn: "2025-01-15T10:30:00Z",
	})
	h.srv.Insert(Record{
		ID: 2, CoworkerContractID: 1002, CoworkerContractQuantity: ip(3), CoworkerContractTariffName: sp("Mail Handling"),
		Email: sp("b@two.example"), FullName: "bob Builder", DateOfBirth: sp("1990-01-01T00:00:00"),
		Address: sp("22 Station Road"), PostCode: sp("M1 1AE"), CityName: sp("Manchester"), State: sp("Lancashire"),
		CountryID: ip(3), CountryName: sp("Spain"), PhoneNumber: sp("+34 91 000 0000"), Notes: sp("call first"),
		ContractContactType: 2, CreatedOn: "2025-03-01T09:00:00Z", UpdatedOn: "2025-12-31T23:59:30Z",
	})
	h.srv.Insert(Record{
		ID: 3, CoworkerContractID: 1003, CoworkerContractQuantity: ip(2),
		CoworkerContractFloorPlanDeskIds: sp("410"), CoworkerContractFloorPlanDeskNames: sp("Window Desk"),
		CoworkerContractTariffName: sp("Registered Address"), CoworkerID: ip(2003), CoworkerFullName: sp("Alan Turing"),
		CoworkerCompanyName: sp("Bletchley"), CoworkerBillingName: sp("A. Turing"), CoworkerEmail: sp("alan@b.example"),
		CoworkerActive: bp(false), FullName: "Carol ALICE", ContractContactType: 0,
		CreatedOn: "2025-06-01T00:00:00Z", UpdatedOn: "2025-06-01T00:00:00Z",
	})
}

func TestListFilters(t *testing.T) {
	h := start(t, Config{})
	seedThree(h)
	tests := []struct {
		param, value string
		want         []int64
	}{
		{"ContractContact_CoworkerContract", "1002", []int64{2}},
		{"ContractContact_CoworkerContract_Quantity", "2", []int64{3}},
		{"ContractContact_CoworkerContract_FloorPlanDeskIds", "30", []int64{1}},
		{"ContractContact_CoworkerContract_FloorPlanDeskNames", "DESK", []int64{1, 3}},
		{"ContractContact_CoworkerContract_Tariff_Name", "office", []int64{1}},
		{"ContractContact_Coworker", "2003", []int64{3}},
		{"ContractContact_Coworker_FullName", "ada", []int64{1}},
		{"ContractContact_Coworker_CompanyName", "bletch", []int64{3}},
		{"ContractContact_Coworker_BillingName", "billing", []int64{1}},
		{"ContractContact_Coworker_Email", "@b.example", []int64{3}},
		{"ContractContact_Coworker_Active", "true", []int64{1}},
		{"ContractContact_Coworker_Active", "False", []int64{3}},
		{"ContractContact_Email", "TWO", []int64{2}},
		{"ContractContact_FullName", "alice", []int64{1, 3}}, // loose: substring, any case
		{"ContractContact_FullName", "Alice Example", []int64{1}},
		{"ContractContact_DateOfBirth", "1990", []int64{2}},
		{"ContractContact_Address", "street", []int64{1}},
		{"ContractContact_PostCode", "m1", []int64{2}},
		{"ContractContact_CityName", "lon", []int64{1}},
		{"ContractContact_State", "shire", []int64{2}},
		{"ContractContact_Country", "3", []int64{2}},
		{"ContractContact_Country_Name", "kingdom", []int64{1}},
		{"ContractContact_PhoneNumber", "+44", []int64{1}},
		{"ContractContact_Notes", "vip", []int64{1}},
		{"ContractContact_ContractContactType", "0", []int64{3}},
		{"from_ContractContact_CoworkerContractQuantity", "2", []int64{2, 3}},
		{"to_ContractContact_CoworkerContractQuantity", "2", []int64{1, 3}},
		{"from_ContractContact_DateOfBirth", "1985-01-01T00:00", []int64{2}},
		{"to_ContractContact_DateOfBirth", "1985-01-01", []int64{1}}, // a plain date is accepted
		{"from_ContractContact_CreatedOn", "2025-03-01T09:00", []int64{2, 3}},
		{"to_ContractContact_CreatedOn", "2025-03-01T09:00", []int64{1, 2}}, // inclusive
		{"from_ContractContact_UpdatedOn", "2025-06-01T00:00", []int64{2, 3}},
		// The bound is the minute itself: 23:59:30 is after 23:59.
		{"to_ContractContact_UpdatedOn", "2025-12-31T23:59", []int64{1, 3}},
		{"ContractContact_FullName", "nobody", []int64{}},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.param] = true
		t.Run(tc.param+"="+tc.value, func(t *testing.T) {
			p := h.list(url.Values{tc.param: {tc.value}})
			if got := ids(p.Records); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			if p.TotalItems != len(tc.want) {
				t.Errorf("TotalItems %d, want %d", p.TotalItems, len(tc.want))
			}
		})
	}
	for _, name := range FilterNames() {
		if !covered[name] {
			t.Errorf("filter %s is not tested", name)
		}
	}
	if n := len(FilterNames()); n != 31 {
		t.Errorf("%d documented filters, want 31 (23 filters, 8 range filters)", n)
	}

	t.Run("combined filters all apply", func(t *testing.T) {
		p := h.list(url.Values{"ContractContact_FullName": {"alice"}, "ContractContact_Coworker_Active": {"false"}})
		if got := ids(p.Records); !slices.Equal(got, []int64{3}) {
			t.Errorf("ids %v, want [3]", got)
		}
	})
	t.Run("empty value is no filter", func(t *testing.T) {
		p := h.list(url.Values{"ContractContact_Coworker": {""}})
		if p.TotalItems != 3 {
			t.Errorf("TotalItems %d, want 3", p.TotalItems)
		}
	})
}

func TestListBadParameters(t *testing.T) {
	h := start(t, Config{})
	seedThree(h)
	tests := []struct{ param, value string }{
		{"ContractContact_CoworkerContract", "abc"},
		{"ContractContact_Coworker_Active", "maybe"},
		{"from_ContractContact_CreatedOn", "yesterday"},
		{"to_ContractContact_CoworkerContractQuantity", "1.5"},
		{"page", "first"},
		{"size", "lots"},
		{"dir", "up"},
		{"orderBy", "Shoe"},
	}
	for _, tc := range tests {
		t.Run(tc.param, func(t *testing.T) {
			status, b := h.do("GET", collectionPath+"?"+url.Values{tc.param: {tc.value}}.Encode(), "")
			if status != 400 {
				t.Fatalf("status %d, want 400: %s", status, b)
			}
			var ans struct {
				Message string
				Errors  []struct{ PropertyName string }
			}
			if err := json.Unmarshal(b, &ans); err != nil {
				t.Fatal(err)
			}
			if len(ans.Errors) != 1 || ans.Errors[0].PropertyName != tc.param || !strings.HasPrefix(ans.Message, tc.param+": ") {
				t.Errorf("answer %s does not name %s", b, tc.param)
			}
		})
	}
}

func TestListSort(t *testing.T) {
	h := start(t, Config{})
	seedThree(h)
	// Same name as 1, different case: a tie broken by Id.
	h.srv.Insert(Record{ID: 4, CoworkerContractID: 1001, FullName: "alice example", CreatedOn: "2025-01-10T08:00:00Z"})
	tests := []struct {
		name    string
		orderBy string
		dir     string
		want    []int64
		echoDir int
		echoBy  string
	}{
		{"default is Id ascending", "", "", []int64{1, 2, 3, 4}, 1, "Id"},
		{"Id descending", "Id", "-1", []int64{4, 3, 2, 1}, -1, "Id"},
		{"FullName ascending ignores case, ties by Id", "fullname", "1", []int64{1, 4, 2, 3}, 1, "FullName"},
		{"FullName descending, ties still by Id", "FullName", "-1", []int64{3, 2, 1, 4}, -1, "FullName"},
		{"nulls first ascending", "CoworkerId", "1", []int64{2, 4, 1, 3}, 1, "CoworkerId"},
		{"dates descending", "UpdatedOn", "-1", []int64{2, 3, 1, 4}, -1, "UpdatedOn"},
		{"CreatedOn ascending ties by Id", "CreatedOn", "1", []int64{1, 4, 2, 3}, 1, "CreatedOn"},
		{"booleans", "CoworkerActive", "-1", []int64{1, 3, 2, 4}, -1, "CoworkerActive"},
		{"unknown dir value is ascending", "Id", "7", []int64{1, 2, 3, 4}, 1, "Id"},
		{"endpoint convention: 0 is not descending", "Id", "0", []int64{1, 2, 3, 4}, 1, "Id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			if tc.orderBy != "" {
				q.Set("orderBy", tc.orderBy)
			}
			if tc.dir != "" {
				q.Set("dir", tc.dir)
			}
			p := h.list(q)
			if got := ids(p.Records); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			if p.CurrentSortDirection != tc.echoDir || p.CurrentOrderField != tc.echoBy {
				t.Errorf("echo %q %d, want %q %d", p.CurrentOrderField, p.CurrentSortDirection, tc.echoBy, tc.echoDir)
			}
		})
	}
}

func TestListSortSeesWrites(t *testing.T) {
	h := start(t, Config{})
	seedThree(h)
	q := url.Values{"orderBy": {"FullName"}, "dir": {"-1"}}
	if got := ids(h.list(q).Records); !slices.Equal(got, []int64{3, 2, 1}) {
		t.Fatalf("ids %v", got)
	}
	id := h.create(`{"CoworkerContractId": 1001, "FullName": "Zed"}`)
	if got := ids(h.list(q).Records); !slices.Equal(got, []int64{id, 3, 2, 1}) {
		t.Errorf("after create: ids %v", got)
	}
	h.srv.Delete(3)
	if got := ids(h.list(q).Records); !slices.Equal(got, []int64{id, 2, 1}) {
		t.Errorf("after delete: ids %v", got)
	}
	h.do("PUT", collectionPath, `{"Id": 1, "CoworkerContractId": 1001, "FullName": "Zzz"}`)
	if got := ids(h.list(q).Records); !slices.Equal(got, []int64{1, id, 2}) {
		t.Errorf("after update: ids %v", got)
	}
}

func TestContainsFold(t *testing.T) {
	tests := []struct {
		s, needle string
		want      bool
	}{
		{"Alice Example", "alice", true},
		{"Alice Example", "ce ex", true},
		{"Alice", "alicex", false},
		{"", "", true},
		{"abc", "", true},
		{"ZOË Núñez", "zoë", true},
		{"ZOË Núñez", "núñ", true},
		{"ZOE", "zoë", false},
	}
	for _, tc := range tests {
		if got := containsFold(tc.s, tc.needle); got != tc.want {
			t.Errorf("containsFold(%q, %q) = %v", tc.s, tc.needle, got)
		}
	}
}

func TestListLegacyDirection(t *testing.T) {
	h := start(t, Config{Behaviour: Behaviour{Direction: DirLegacy}})
	seedThree(h)
	tests := []struct {
		dir     string
		want    []int64
		echoDir int
	}{
		{"", []int64{1, 2, 3}, 0},
		{"0", []int64{1, 2, 3}, 0},
		{"1", []int64{3, 2, 1}, 1}, // 1 means descending here
		{"-1", []int64{1, 2, 3}, 0},
	}
	for _, tc := range tests {
		t.Run("dir="+tc.dir, func(t *testing.T) {
			q := url.Values{"orderBy": {"FullName"}}
			if tc.dir != "" {
				q.Set("dir", tc.dir)
			}
			p := h.list(q)
			if got := ids(p.Records); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			if p.CurrentSortDirection != tc.echoDir {
				t.Errorf("CurrentSortDirection %d, want %d", p.CurrentSortDirection, tc.echoDir)
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	h := start(t, Config{MaxPageSize: 10})
	h.srv.Generate(23, 1001)
	all := h.srv.Records()
	tests := []struct {
		name                    string
		page, size              string
		wantIDs                 []int64
		wantSize, wantPage      int
		first, last, totalPages int
		hasNext, hasPrev        bool
	}{
		{"default size is 25, capped at 10", "", "", ids(all[:10]), 10, 1, 1, 10, 3, true, false},
		{"middle page", "2", "5", ids(all[5:10]), 5, 2, 6, 10, 5, true, true},
		{"last page is short", "3", "10", ids(all[20:]), 10, 3, 21, 23, 3, false, true},
		{"page past the end is empty", "9", "10", []int64{}, 10, 9, 81, 23, 3, false, true},
		{"size above the maximum is the cap", "1", "1000", ids(all[:10]), 10, 1, 1, 10, 3, true, false},
		{"page 0 is page 1", "0", "4", ids(all[:4]), 4, 1, 1, 4, 6, true, false},
		{"size 0 is the default (then the cap)", "1", "0", ids(all[:10]), 10, 1, 1, 10, 3, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			if tc.page != "" {
				q.Set("page", tc.page)
			}
			if tc.size != "" {
				q.Set("size", tc.size)
			}
			p := h.list(q)
			if got := ids(p.Records); !slices.Equal(got, tc.wantIDs) {
				t.Errorf("ids %v, want %v", got, tc.wantIDs)
			}
			got := fmt.Sprintf("size %d/%d page %d/%d items %d-%d of %d pages %d next %v prev %v",
				p.CurrentPageSize, p.PageSize, p.CurrentPage, p.PageNumber, p.FirstItem, p.LastItem, p.TotalItems, p.TotalPages, p.HasNextPage, p.HasPreviousPage)
			want := fmt.Sprintf("size %d/%d page %d/%d items %d-%d of %d pages %d next %v prev %v",
				tc.wantSize, tc.wantSize, tc.wantPage, tc.wantPage, tc.first, tc.last, 23, tc.totalPages, tc.hasNext, tc.hasPrev)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	t.Run("descending pages by Id", func(t *testing.T) {
		p := h.list(url.Values{"page": {"3"}, "size": {"10"}, "dir": {"-1"}})
		want := []int64{all[2].ID, all[1].ID, all[0].ID}
		if got := ids(p.Records); !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
	})
	t.Run("empty store", func(t *testing.T) {
		e := start(t, Config{})
		p := e.list(url.Values{})
		if len(p.Records) != 0 || p.TotalItems != 0 || p.TotalPages != 0 || p.FirstItem != 0 || p.LastItem != 0 || p.HasNextPage {
			t.Errorf("empty page %+v", p)
		}
	})
}

// TestListShape checks the listing's JSON against the documented example:
// the same keys, and partial records.
func TestListShape(t *testing.T) {
	h := start(t, Config{})
	seedThree(h)
	status, b := h.do("GET", collectionPath+"?page=1&size=15&orderBy=FullName&dir=1", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"Records", "CurrentPageSize", "CurrentPage", "CurrentOrderField", "CurrentSortDirection", "FirstItem",
		"HasNextPage", "HasPreviousPage", "LastItem", "PageNumber", "PageSize", "TotalItems", "TotalPages"}
	if keys := sortedKeys(got); !slices.Equal(keys, sorted(wantKeys)) {
		t.Errorf("page keys %v, want %v", keys, sorted(wantKeys))
	}
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(got["Records"], &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if keys := sortedKeys(recs[0]); !slices.Equal(keys, sorted(recordKeys())) {
		t.Errorf("record keys %v, want %v", keys, sorted(recordKeys()))
	}
	for _, r := range recs {
		for _, k := range []string{"Address", "PostCode", "CityName", "State", "Notes"} {
			if string(r[k]) != "null" {
				t.Errorf("listing record %s: %s is %s, want null", r["Id"], k, r[k])
			}
		}
	}
	if string(recs[0]["Email"]) != `"a@one.example"` {
		t.Errorf("Email %s, want it in listings", recs[0]["Email"])
	}
}

func TestGetFull(t *testing.T) {
	h := start(t, Config{})
	seedThree(h)
	t.Run("one record has every field", func(t *testing.T) {
		status, b := h.do("GET", collectionPath+"/1", "")
		if status != 200 {
			t.Fatalf("status %d", status)
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Address == nil || *r.Address != "1 High Street" || r.Notes == nil || *r.Notes != "VIP client" || r.State == nil || r.PostCode == nil || r.CityName == nil {
			t.Errorf("full record lacks fields: %s", b)
		}
	})
	t.Run("missing record is 404", func(t *testing.T) {
		if status, _ := h.do("GET", collectionPath+"/999", ""); status != 404 {
			t.Errorf("status %d, want 404", status)
		}
		if status, _ := h.do("GET", collectionPath+"/abc", ""); status != 404 {
			t.Errorf("status %d, want 404", status)
		}
	})
	t.Run("several at once", func(t *testing.T) {
		for _, q := range []string{"[3,1,999]", "3,1,999", "[3, 1, 999]"} {
			status, b := h.do("GET", collectionPath+"?id="+url.QueryEscape(q), "")
			if status != 200 {
				t.Fatalf("%s: status %d", q, status)
			}
			var recs []Record
			if err := json.Unmarshal(b, &recs); err != nil {
				t.Fatal(err)
			}
			if got := ids(recs); !slices.Equal(got, []int64{3, 1}) {
				t.Errorf("%s: ids %v, want [3 1]", q, got)
			}
			if recs[1].Notes == nil || recs[1].Address == nil {
				t.Errorf("%s: records are partial", q)
			}
		}
		if status, _ := h.do("GET", collectionPath+"?id="+url.QueryEscape("[1,x]"), ""); status != 400 {
			t.Errorf("bad id list: status %d, want 400", status)
		}
	})
}

func recordKeys() []string {
	return []string{"CoworkerContractId", "CoworkerContractQuantity", "CoworkerContractFloorPlanDeskIds", "CoworkerContractFloorPlanDeskNames",
		"CoworkerContractTariffName", "CoworkerId", "CoworkerFullName", "CoworkerCompanyName", "CoworkerBillingName", "CoworkerEmail",
		"CoworkerActive", "Email", "FullName", "DateOfBirth", "Address", "PostCode", "CityName", "State", "CountryId", "CountryName",
		"PhoneNumber", "Notes", "ContractContactType", "Id", "UpdatedOn", "CreatedOn", "UniqueId", "UpdatedBy", "IsNew", "SystemId",
		"ToStringText", "LocalizationDetails", "CustomFields"}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
