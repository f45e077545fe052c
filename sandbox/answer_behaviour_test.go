package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rawRecords reads the records of a listing, a one-record read and a
// several-at-once read of id, keyed by where they came from.
func (h *harness) rawRecords(id int64) map[string]map[string]json.RawMessage {
	h.t.Helper()
	out := map[string]map[string]json.RawMessage{}
	var p struct{ Records []map[string]json.RawMessage }
	status, b := h.do("GET", collectionPath+"?"+url.Values{"ContractContact_FullName": {"Dated"}}.Encode(), "")
	if err := json.Unmarshal(b, &p); status != 200 || err != nil || len(p.Records) != 1 {
		h.t.Fatalf("listing: status %d %v: %s", status, err, b)
	}
	out["listing"] = p.Records[0]
	var one map[string]json.RawMessage
	status, b = h.do("GET", fmt.Sprintf("%s/%d", collectionPath, id), "")
	if err := json.Unmarshal(b, &one); status != 200 || err != nil {
		h.t.Fatalf("one: status %d %v: %s", status, err, b)
	}
	out["one"] = one
	var many []map[string]json.RawMessage
	status, b = h.do("GET", fmt.Sprintf("%s?id=[%d]", collectionPath, id), "")
	if err := json.Unmarshal(b, &many); status != 200 || err != nil || len(many) != 1 {
		h.t.Fatalf("several: status %d %v: %s", status, err, b)
	}
	out["several"] = many[0]
	return out
}

func TestCreateIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		style IDStyle
		want  string
	}{
		{IDNumber, `{"Id":87654321}`},
		{IDString, `{"Id":"87654321"}`},
		{IDBare, `87654321`},
	}
	for _, tc := range tests {
		t.Run(tc.style.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: Behaviour{CreateIDs: tc.style}})
			status, b := h.do("POST", collectionPath, `{"CoworkerContractId": 1001, "FullName": "Ann"}`)
			var ans map[string]json.RawMessage
			if err := json.Unmarshal(b, &ans); status != 200 || err != nil {
				t.Fatalf("status %d %v: %s", status, err, b)
			}
			if got := string(ans["Value"]); got != tc.want {
				t.Errorf("Value %s, want %s", got, tc.want)
			}
			if string(ans["WasSuccessful"]) != "true" || h.srv.Count() != 1 {
				t.Errorf("answer %s, %d records", b, h.srv.Count())
			}
		})
	}
}

func TestTypeNames(t *testing.T) {
	t.Parallel()
	for _, names := range []bool{false, true} {
		t.Run(fmt.Sprint(names), func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: Behaviour{TypeNames: names}})
			id := h.create(`{"CoworkerContractId": 1001, "FullName": "Dated", "ContractContactType": 3}`)
			want := `3`
			if names {
				want = `"NominatedRecipient"`
			}
			for where, r := range h.rawRecords(id) {
				if got := string(r["ContractContactType"]); got != want {
					t.Errorf("%s: ContractContactType %s, want %s", where, got, want)
				}
			}
			// The filter still takes the number.
			status, b := h.do("GET", collectionPath+"?ContractContact_ContractContactType=3", "")
			var p struct{ TotalItems int }
			if err := json.Unmarshal(b, &p); status != 200 || err != nil || p.TotalItems != 1 {
				t.Errorf("type filter: status %d %v: %s", status, err, b)
			}
		})
	}
	if typeName(7) != "7" || typeName(0) != "None" {
		t.Errorf("typeName(7) = %q, typeName(0) = %q", typeName(7), typeName(0))
	}
}

func TestNullUpdatedOn(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, Config{Now: clk.Now, Behaviour: Behaviour{NullUpdatedOn: true}})
	id := h.create(`{"CoworkerContractId": 1001, "FullName": "Dated"}`)
	for where, r := range h.rawRecords(id) {
		if string(r["UpdatedOn"]) != "null" || string(r["CreatedOn"]) != `"2025-06-01T12:00:00Z"` {
			t.Errorf("%s: UpdatedOn %s CreatedOn %s, want null and the creation time", where, r["UpdatedOn"], r["CreatedOn"])
		}
	}
	since := func(prop string) int {
		return h.list(url.Values{"from_ContractContact_" + prop: {"2025-06-01T00:00"}}).TotalItems
	}
	if since("UpdatedOn") != 0 || since("CreatedOn") != 1 {
		t.Errorf("since midnight: %d by UpdatedOn, %d by CreatedOn; want 0 and 1", since("UpdatedOn"), since("CreatedOn"))
	}
	clk.Advance(time.Hour)
	if status, b := h.do("PUT", collectionPath, fmt.Sprintf(`{"Id": %d, "CoworkerContractId": 1001, "FullName": "Dated"}`, id)); status != 200 {
		t.Fatalf("update: %d %s", status, b)
	}
	if r := h.record(id); r.UpdatedOn != "2025-06-01T13:00:00Z" {
		t.Errorf("after an update UpdatedOn %q", r.UpdatedOn)
	}
	if since("UpdatedOn") != 1 {
		t.Error("the updated record is not found by UpdatedOn")
	}
	planted := h.srv.Insert(Record{CoworkerContractID: 1001, FullName: "Planted"})
	if r := h.record(planted); r.UpdatedOn != "" || r.CreatedOn == "" {
		t.Errorf("Insert: UpdatedOn %q CreatedOn %q", r.UpdatedOn, r.CreatedOn)
	}
	clk.Advance(10 * 24 * time.Hour) // generated records get updates in their first days
	h.srv.Generate(30, 1002)
	never, updated := 0, 0
	for _, r := range h.srv.Records() {
		switch {
		case r.CoworkerContractID != 1002:
		case r.UpdatedOn == "":
			never++
		case r.UpdatedOn > r.CreatedOn:
			updated++
		default:
			t.Errorf("generated record %d: UpdatedOn %q equals CreatedOn, want null", r.ID, r.UpdatedOn)
		}
	}
	if never == 0 {
		t.Errorf("Generate: %d never updated, %d updated; want some never updated", never, updated)
	}
}

func TestDates(t *testing.T) {
	t.Parallel()
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Logf("no time zone database: %v", err)
	}
	tests := []struct {
		name          string
		style         DateStyle
		zone          *time.Location
		created, dob  string // as served
		written       string // the create answer's UpdatedOn for a create at 2025-06-01T12:00:00Z
		first, second string // a from_ bound that finds the record, one a minute later that does not
	}{
		{"utc", DatesUTC, nil, `"2025-01-15T10:30:00Z"`, `"1980-05-17T00:00:00"`, `"2025-06-01T12:00:00Z"`, "2025-01-15T10:30", "2025-01-15T10:31"},
		{"local-z", DatesLocalZ, nil, `"2025-01-15T05:30:00Z"`, `"1980-05-17T00:00:00Z"`, `"2025-06-01T07:00:00Z"`, "2025-01-15T05:30", "2025-01-15T05:31"},
		{"local-z bound with a Z is local too", DatesLocalZ, nil, `"2025-01-15T05:30:00Z"`, `"1980-05-17T00:00:00Z"`, `"2025-06-01T07:00:00Z"`, "2025-01-15T05:30:00Z", "2025-01-15T05:31:00Z"},
		{"no-zone", DatesNoZone, nil, `"2025-01-15T05:30:00"`, `"1980-05-17T00:00:00"`, `"2025-06-01T07:00:00"`, "2025-01-15T05:30", "2025-01-15T05:31"},
		{"offset", DatesOffset, nil, `"2025-01-15T05:30:00-05:00"`, `"1980-05-17T00:00:00-05:00"`, `"2025-06-01T07:00:00-05:00"`, "2025-01-15T05:30", "2025-01-15T05:31"},
		{"offset bound honoured", DatesOffset, nil, `"2025-01-15T05:30:00-05:00"`, `"1980-05-17T00:00:00-05:00"`, `"2025-06-01T07:00:00-05:00"`, "2025-01-15T10:30:00Z", "2025-01-15T10:31:00+00:00"},
		{"offset in Madrid", DatesOffset, madrid, `"2025-01-15T11:30:00+01:00"`, `"1980-05-17T00:00:00+02:00"`, `"2025-06-01T14:00:00+02:00"`, "2025-01-15T11:30", "2025-01-15T11:31"},
		{"fraction", DatesFraction, nil, `"2025-01-15T10:30:00.7654321Z"`, `"1980-05-17T00:00:00.0000000"`, `"2025-06-01T12:00:00.7654322Z"`, "2025-01-15T10:30", "2025-01-15T10:31"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "offset in Madrid" && madrid == nil {
				t.Skip("no time zone database")
			}
			h := start(t, Config{Now: newClock().Now, Behaviour: Behaviour{Dates: tc.style, Zone: tc.zone}})
			id := h.srv.Insert(Record{ID: 87654321, CoworkerContractID: 1001, FullName: "Dated", DateOfBirth: sp("1980-05-17T00:00:00"),
				CreatedOn: "2025-01-15T10:30:00Z", UpdatedOn: "2025-01-15T10:30:00Z"})
			for where, r := range h.rawRecords(id) {
				if string(r["CreatedOn"]) != tc.created || string(r["UpdatedOn"]) != tc.created || string(r["DateOfBirth"]) != tc.dob {
					t.Errorf("%s: CreatedOn %s UpdatedOn %s DateOfBirth %s, want %s and %s", where, r["CreatedOn"], r["UpdatedOn"], r["DateOfBirth"], tc.created, tc.dob)
				}
			}
			status, b := h.do("POST", collectionPath, `{"CoworkerContractId": 1001, "FullName": "New"}`)
			var ans map[string]json.RawMessage
			if err := json.Unmarshal(b, &ans); status != 200 || err != nil || string(ans["UpdatedOn"]) != tc.written {
				t.Errorf("create answer UpdatedOn %s, want %s (%d %v)", ans["UpdatedOn"], tc.written, status, err)
			}
			for _, prop := range []string{"CreatedOn", "UpdatedOn"} {
				found := func(bound string) int {
					return h.list(url.Values{"from_ContractContact_" + prop: {bound}, "ContractContact_FullName": {"Dated"}}).TotalItems
				}
				if found(tc.first) != 1 || found(tc.second) != 0 {
					t.Errorf("from_%s: %s finds %d, %s finds %d; want 1 and 0", prop, tc.first, found(tc.first), tc.second, found(tc.second))
				}
			}
			// A birth date is a day on the calendar in every style.
			dob := h.list(url.Values{"from_ContractContact_DateOfBirth": {"1980-05-17"}, "to_ContractContact_DateOfBirth": {"1980-05-17T00:00"}})
			if dob.TotalItems != 1 {
				t.Errorf("date of birth range: %d records", dob.TotalItems)
			}
			if strings.Contains(tc.name, "utc") {
				return
			}
			// The stored record is unchanged: only answers differ.
			if r := h.srv.Records()[0]; r.CreatedOn != "2025-01-15T10:30:00Z" || *r.DateOfBirth != "1980-05-17T00:00:00" {
				t.Errorf("stored %q %q", r.CreatedOn, *r.DateOfBirth)
			}
		})
	}
}
