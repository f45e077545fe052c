package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStoringBehaviours creates and then updates a record on servers that
// store names, phone numbers and emails otherwise than sent.
func TestStoringBehaviours(t *testing.T) {
	t.Parallel()
	type stored struct{ name, email, phone string }
	tests := []struct {
		name         string
		b            Behaviour
		body         string
		create, edit stored // what is stored after the create, and after the update that sends the body again with "edit " before the name
	}{
		{"as sent", Behaviour{},
			`"FullName": "  ann  lee ", "Email": "Ann.Lee@Example.COM", "PhoneNumber": "+44 20 7946 0000"`,
			stored{"  ann  lee ", "Ann.Lee@Example.COM", "+44 20 7946 0000"}, stored{"edit   ann  lee ", "Ann.Lee@Example.COM", "+44 20 7946 0000"}},
		{"title case", Behaviour{Names: NamesTitleCase},
			`"FullName": "  ann  lee ", "Email": "Ann.Lee@Example.COM"`,
			stored{"Ann Lee", "Ann.Lee@Example.COM", ""}, stored{"Edit Ann Lee", "Ann.Lee@Example.COM", ""}},
		{"title case lowers the rest of each word", Behaviour{Names: NamesTitleCase},
			`"FullName": "mcDONALD\to'brien-SMITH  zoë ÉLAN"`,
			stored{"Mcdonald O'brien-smith Zoë Élan", "", ""}, stored{"Edit Mcdonald O'brien-smith Zoë Élan", "", ""}},
		{"collapsed", Behaviour{Names: NamesCollapsed},
			`"FullName": " Ann   LEE  "`,
			stored{"Ann LEE", "", ""}, stored{"edit Ann LEE", "", ""}},
		{"phones packed", Behaviour{PackPhones: true},
			`"FullName": "Ann", "PhoneNumber": "+44 20 7946 0000"`,
			stored{"Ann", "", "+442079460000"}, stored{"edit Ann", "", "+442079460000"}},
		{"phone of spaces only", Behaviour{PackPhones: true},
			`"FullName": "Ann", "PhoneNumber": "   "`,
			stored{"Ann", "", ""}, stored{"edit Ann", "", ""}},
		{"emails lower-cased", Behaviour{LowerEmails: true},
			`"FullName": "Ann", "Email": "Ann.Lee@Example.COM"`,
			stored{"Ann", "ann.lee@example.com", ""}, stored{"edit Ann", "ann.lee@example.com", ""}},
		{"coworker's name and email", Behaviour{CoworkerNames: true, Names: NamesTitleCase, LowerEmails: true},
			`"FullName": "someone else", "Email": "Else@Example.com", "CoworkerId": 2002`,
			stored{"Grace Hopper", "grace@compiler.example", ""}, stored{"Grace Hopper", "grace@compiler.example", ""}},
		{"coworker names leave a contact without coworker alone", Behaviour{CoworkerNames: true},
			`"FullName": "someone else", "Email": "Else@Example.com"`,
			stored{"someone else", "Else@Example.com", ""}, stored{"edit someone else", "Else@Example.com", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: tc.b})
			check := func(when string, id int64, want stored) {
				t.Helper()
				r := h.record(id)
				if got := (stored{r.FullName, deref(r.Email), deref(r.PhoneNumber)}); got != want {
					t.Errorf("after %s: stored %+v, want %+v", when, got, want)
				}
				if want.phone == "" && r.PhoneNumber != nil || want.email == "" && r.Email != nil {
					t.Errorf("after %s: an empty value is stored, not null: %v %v", when, r.PhoneNumber, r.Email)
				}
			}
			id := h.create(`{"CoworkerContractId": 1001, ` + tc.body + `}`)
			check("create", id, tc.create)
			edit := strings.Replace(tc.body, `"FullName": "`, `"FullName": "edit `, 1)
			status, b := h.do("PUT", collectionPath, fmt.Sprintf(`{"Id": %d, "CoworkerContractId": 1001, %s}`, id, edit))
			if status != 200 {
				t.Fatalf("update: status %d: %s", status, b)
			}
			check("update", id, tc.edit)
			if r := h.record(id); r.ToStringText == nil || *r.ToStringText != r.FullName {
				t.Errorf("ToStringText %v does not follow the stored name %q", r.ToStringText, r.FullName)
			}
		})
	}
}

// TestBatchRead asks several records at once, in both documented URL
// forms, from servers answering that read in each way the docs allow.
func TestBatchRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		batch    BatchRead
		status   int
		wantIDs  []int64
		summary  bool
		wantBody string
	}{
		{BatchFull, 200, []int64{3, 1, 2}, false, ""},
		{BatchSummary, 200, []int64{3, 1, 2}, true, ""},
		{BatchPartial, 200, []int64{3, 2}, false, ""},
		{BatchNotFound, 404, nil, false, "No HTTP resource"},
		{BatchBadRequest, 400, nil, false, `"PropertyName":"id"`},
	}
	for _, tc := range tests {
		t.Run(tc.batch.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: Behaviour{Batch: tc.batch}})
			seedThree(h)
			for _, path := range []string{collectionPath, collectionPath + "/"} {
				status, b := h.do("GET", path+"?id="+url.QueryEscape("[3,1,999,2]"), "")
				if status != tc.status {
					t.Fatalf("%s: status %d, want %d: %s", path, status, tc.status, b)
				}
				if status != 200 {
					if !strings.Contains(string(b), tc.wantBody) {
						t.Errorf("%s: body %s, want it to contain %s", path, b, tc.wantBody)
					}
					continue
				}
				var recs []Record
				if err := json.Unmarshal(b, &recs); err != nil {
					t.Fatal(err)
				}
				if got := ids(recs); !slices.Equal(got, tc.wantIDs) {
					t.Errorf("%s: ids %v, want %v", path, got, tc.wantIDs)
				}
				for _, r := range recs {
					if r.ID == 3 {
						continue // record 3 has no address or notes
					}
					if full := r.Address != nil && r.Notes != nil && r.PostCode != nil && r.CityName != nil && r.State != nil; full == tc.summary {
						t.Errorf("%s: record %d full %v, want summary %v", path, r.ID, full, tc.summary)
					}
					if r.Email == nil || r.FullName == "" {
						t.Errorf("%s: record %d lacks listing fields", path, r.ID)
					}
				}
			}
			// The one-record read is not affected.
			if r := h.record(1); r.Address == nil || r.Notes == nil {
				t.Errorf("one-record read is partial: %+v", r)
			}
		})
	}
}

// TestStoreDelay creates on a server that stores creates late: a client
// that gives up first still finds the record there later.
func TestStoreDelay(t *testing.T) {
	t.Parallel()
	h := start(t, Config{Behaviour: Behaviour{StoreDelay: 2 * time.Second}})
	client := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest("POST", h.ts.URL+collectionPath, strings.NewReader(`{"CoworkerContractId": 1001, "FullName": "Late"}`))
	req.Header.Set("Authorization", "Bearer "+h.srv.Token())
	req.Header.Set("Content-Type", "application/json")
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the create was answered (%d) before the store delay", resp.StatusCode)
	}
	if n, held := h.srv.Count(), h.srv.Held(); n != 0 || held != 1 {
		t.Fatalf("%d records and %d held right after the client gave up, want the create held", n, held)
	}
	for deadline := time.Now().Add(20 * time.Second); h.srv.Count() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the create whose client gave up never landed")
		}
	}
	if r := h.srv.Records(); len(r) != 1 || r[0].FullName != "Late" {
		t.Errorf("records %+v", r)
	}
	t.Run("a patient client gets the answer", func(t *testing.T) {
		t.Parallel()
		h := start(t, Config{Behaviour: Behaviour{StoreDelay: 50 * time.Millisecond}})
		id := h.create(`{"CoworkerContractId": 1001, "FullName": "Patient"}`)
		if r := h.record(id); r.FullName != "Patient" {
			t.Errorf("record %+v", r)
		}
	})
	t.Run("a held create lands at Close and is saved", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "data.json")
		srv, err := New(Config{Token: "t", Limits: Limits{Off: true}, DataFile: path, Behaviour: Behaviour{StoreDelay: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		answered := make(chan int, 1)
		go func() {
			req, _ := http.NewRequestWithContext(context.Background(), "POST", ts.URL+collectionPath, strings.NewReader(`{"CoworkerContractId": 1001, "FullName": "Held"}`))
			req.Header.Set("Authorization", "Bearer t")
			resp, err := ts.Client().Do(req)
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
		for deadline := time.Now().Add(20 * time.Second); srv.Held() == 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the create was never held")
			}
		}
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case status := <-answered:
			if status != 200 {
				t.Errorf("held create answered %d", status)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the held create was not released by Close")
		}
		ts.Close()
		again, err := New(Config{DataFile: path})
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if r := again.Records(); len(r) != 1 || r[0].FullName != "Held" {
			t.Errorf("saved records %+v, want the held create", r)
		}
	})
}

func TestBehaviourNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		parse func(string) (fmt.Stringer, error)
		names []string
	}{
		{func(s string) (fmt.Stringer, error) { return ParseNameStyle(s) }, []string{"as-sent", "title-case", "collapsed"}},
		{func(s string) (fmt.Stringer, error) { return ParseBatchRead(s) }, []string{"full", "summary", "partial", "not-found", "bad-request"}},
		{func(s string) (fmt.Stringer, error) { return ParseDirection(s) }, []string{"endpoint", "legacy", "ignored-asc", "ignored-desc"}},
		{func(s string) (fmt.Stringer, error) { return ParsePagingFields(s) }, []string{"served", "asked", "zero"}},
		{func(s string) (fmt.Stringer, error) { return ParseDateStyle(s) }, []string{"utc", "local-z", "no-zone", "offset", "fraction"}},
		{func(s string) (fmt.Stringer, error) { return ParseIDStyle(s) }, []string{"number", "string", "bare"}},
	}
	for _, tc := range tests {
		for _, name := range tc.names {
			v, err := tc.parse(" " + strings.ToUpper(name) + " ")
			if err != nil || v.String() != name {
				t.Errorf("parse %q: %v, %v", name, v, err)
			}
		}
		_, err := tc.parse("nonsense")
		if err == nil || !strings.Contains(err.Error(), `"nonsense"`) || !strings.Contains(err.Error(), tc.names[len(tc.names)-1]) {
			t.Errorf("parse nonsense: error %v, want one listing the choices", err)
		}
	}
	if s := NameStyle(9).String(); s != "unknown(9)" {
		t.Errorf("NameStyle(9) = %q", s)
	}
	if _, err := New(Config{Behaviour: Behaviour{Batch: BatchRead(9)}}); err == nil {
		t.Error("New accepted an unknown batch read")
	}
	if _, err := New(Config{Behaviour: Behaviour{StoreDelay: -time.Second}}); err == nil {
		t.Error("New accepted a negative store delay")
	}
}

// TestNewRefusesSettings: a setting New cannot serve is a *SettingError
// naming it and what it wants (the command layer names the flag from it),
// checked once, in New.
func TestNewRefusesSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		setting string
	}{
		{"server errors above 1", Config{Faults: Faults{ServerErrors: 1.5}}, "Faults.ServerErrors"},
		{"negative drops", Config{Faults: Faults{DropAfterCreate: -0.1}}, "Faults.DropAfterCreate"},
		{"stalls above 1", Config{Faults: Faults{Stalls: 2}}, "Faults.Stalls"},
		{"negative latency", Config{Faults: Faults{Latency: -time.Second}}, "Faults.Latency"},
		{"negative stall", Config{Faults: Faults{StallFor: -time.Second}}, "Faults.StallFor"},
		{"negative page size", Config{MaxPageSize: -1}, "MaxPageSize"},
		{"negative token lifetime", Config{TokenTTL: -time.Second}, "TokenTTL"},
		{"bad TOTP secret", Config{User: User{Email: "a@b.c", Password: "p", TOTPSecret: "!!"}}, "User.TOTPSecret"},
		{"unknown batch read", Config{Behaviour: Behaviour{Batch: BatchRead(9)}}, "Behaviour.Batch"},
		{"negative store delay", Config{Behaviour: Behaviour{StoreDelay: -time.Second}}, "Behaviour.StoreDelay"},
		{"negative quota", Config{Behaviour: Behaviour{QuotaSpent: -time.Hour}}, "Behaviour.QuotaSpent"},
		{"unavailable above 1", Config{Behaviour: Behaviour{Unavailable: 2}}, "Behaviour.Unavailable"},
		{"negative other app", Config{Behaviour: Behaviour{OtherApp: -5}}, "Behaviour.OtherApp"},
		// Above 6×10^10 a minute the spacing of its requests would be 0.
		{"other app beyond counting", Config{Behaviour: Behaviour{OtherApp: 100_000_000_000}}, "Behaviour.OtherApp"},
		{"other app above the bound", Config{Behaviour: Behaviour{OtherApp: MaxOtherApp + 1}}, "Behaviour.OtherApp"},
		{"redirect without scheme", Config{Behaviour: Behaviour{RedirectTo: "elsewhere.example"}}, "Behaviour.RedirectTo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(tc.cfg)
			if err == nil {
				srv.Close()
			}
			var se *SettingError
			if !errors.As(err, &se) || se.Setting != tc.setting || se.Want == "" {
				t.Fatalf("New: %v, want a SettingError for %s", err, tc.setting)
			}
		})
	}
	// At the bound, another app's requests are counted, not divided by
	// zero: the request is answered (throttled, once its requests come).
	h := start(t, Config{Limits: DocumentedLimits(), Behaviour: Behaviour{OtherApp: MaxOtherApp}})
	for range 3 {
		if status, _ := h.do("GET", collectionPath, ""); status != http.StatusOK && status != http.StatusConflict {
			t.Errorf("status %d with another app at %d a minute, want 200 or 409", status, MaxOtherApp)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
