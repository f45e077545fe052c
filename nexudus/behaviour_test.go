package nexudus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// TestGetWhateverTheBatchReadDoes: Get returns every asked record that
// exists, full, whatever the several-at-once read answers: full records,
// summary records, some left out, 404 or 400; and records that really
// hold none of the five fields listings leave out are not mistaken for
// summary records.
func TestGetWhateverTheBatchReadDoes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		batch sandbox.BatchRead
		empty bool // no record holds Address, PostCode, CityName, State or Notes
		// requests for 120 ids (60 that exist, 60 that do not) in three
		// Get calls of 40:
		wantMany, wantOne func(n int) bool
	}{
		// Ids a full answer leaves out may not exist: each is read once
		// to tell (404).
		{"full", sandbox.BatchFull, false, eq(3), eq(60)},
		{"full, with nothing to show it", sandbox.BatchFull, true, eq(3), eq(120)},
		{"summary", sandbox.BatchSummary, false, eq(1), eq(120)},
		{"partial", sandbox.BatchPartial, false, eq(3), eq(90)},
		{"not found at either URL", sandbox.BatchNotFound, false, eq(2), eq(120)},
		{"bad request", sandbox.BatchBadRequest, false, eq(3), eq(120)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, sandbox.Config{Behaviour: sandbox.Behaviour{Batch: tc.batch}})
			var ids []int64
			for i := range 60 {
				rec := sandbox.Record{CoworkerContractID: 1001, FullName: fmt.Sprint("Person ", i)}
				if !tc.empty && i%4 != 0 { // a quarter hold none of the five
					addr, city := fmt.Sprint(i, " High Street"), "Leeds"
					rec.Address, rec.CityName = &addr, &city
				}
				ids = append(ids, h.srv.Insert(rec), 99000000+int64(i))
			}
			var log logBuffer
			c := newClient(t, fastConfig(h, &log))
			var got []nexudus.Record
			for start := 0; start < len(ids); start += 40 {
				recs, err := c.Get(context.Background(), ids[start:start+40])
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				got = append(got, recs...)
			}
			want := h.srv.Records()
			if len(got) != len(want) {
				t.Fatalf("got %d records, want all %d that exist", len(got), len(want))
			}
			for i, r := range got {
				w := want[i]
				if r.ID != w.ID || str(r.Address) != str(w.Address) || str(r.CityName) != str(w.CityName) {
					t.Errorf("record %d: Id %d Address %q City %q, want Id %d Address %q City %q",
						i, r.ID, str(r.Address), str(r.CityName), w.ID, str(w.Address), str(w.CityName))
				}
			}
			many := h.requests(http.MethodGet, collection) + h.requests(http.MethodGet, collection+"/")
			one := 0
			for _, id := range ids {
				one += h.requests(http.MethodGet, fmt.Sprint(collection, "/", id))
			}
			if !tc.wantMany(many) || !tc.wantOne(one) {
				t.Errorf("%d several-at-once and %d one-record reads; log:\n%s", many, one, log.String())
			}
		})
	}
}

// eq returns a check that n is want.
func eq(want int) func(int) bool { return func(n int) bool { return n == want } }

// str is *s, or "" for nil.
func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestBatchReadAtEitherURL: a server that answers the several-at-once read
// only at /contractcontacts/?id=[..] is read there, after one 404.
func TestBatchReadAtEitherURL(t *testing.T) {
	t.Parallel()
	h := start(t, sandbox.Config{})
	addr := "1 High Street"
	var ids []int64
	for i := range 3 {
		ids = append(ids, h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: fmt.Sprint("P", i), Address: &addr}))
	}
	// A front that knows only the slashed form.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == collection && r.URL.Query().Has("id") {
			http.Error(w, `{"Message":"No HTTP resource was found that matches the request URI."}`, http.StatusNotFound)
			return
		}
		h.ts.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	cfg := fastConfig(h, nil)
	cfg.BaseURL = ts.URL
	c := newClient(t, cfg)
	for range 2 {
		recs, err := c.Get(context.Background(), ids)
		if err != nil || len(recs) != 3 || str(recs[0].Address) != addr {
			t.Fatalf("Get = %d records, %v", len(recs), err)
		}
	}
	if many, slashed := h.requests(http.MethodGet, collection), h.requests(http.MethodGet, collection+"/"); many != 0 || slashed != 2 {
		t.Errorf("reads at ?id= and /?id= that reached the sandbox: %d and %d, want 0 and 2", many, slashed)
	}
}

// TestReadingWhatServersSend: contact types by name, dates in each style
// Nexudus may use, UpdatedOn null on a new record, create Ids as text or
// bare: read without a failed page, and Create answers at once.
func TestReadingWhatServersSend(t *testing.T) {
	t.Parallel()
	for _, dates := range []sandbox.DateStyle{sandbox.DatesUTC, sandbox.DatesLocalZ, sandbox.DatesNoZone, sandbox.DatesOffset, sandbox.DatesFraction} {
		for _, ids := range []sandbox.IDStyle{sandbox.IDNumber, sandbox.IDString, sandbox.IDBare} {
			t.Run(dates.String()+"/"+ids.String(), func(t *testing.T) {
				h := start(t, sandbox.Config{Behaviour: sandbox.Behaviour{TypeNames: true, Dates: dates, CreateIDs: ids, NullUpdatedOn: true}})
				var log logBuffer
				c := newClient(t, fastConfig(h, &log))
				ctx := context.Background()
				ct := contact("Named Type")
				ct.ContractContactType = mapping.TypeNominatedRecipient
				begun := time.Now()
				id, err := c.Create(ctx, ct)
				if err != nil || id != h.srv.Records()[0].ID {
					t.Fatalf("Create = %d, %v; want the stored record's Id", id, err)
				}
				if took := time.Since(begun); took > 5*time.Second {
					t.Errorf("Create took %s", took)
				}
				page, err := c.List(ctx, nexudus.ListOptions{})
				if err != nil || len(page.Records) != 1 {
					t.Fatalf("List = %+v, %v", page, err)
				}
				one, err := c.GetOne(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				many, err := c.Get(ctx, []int64{id})
				if err != nil || len(many) != 1 {
					t.Fatalf("Get = %v, %v", many, err)
				}
				for _, r := range []nexudus.Record{page.Records[0], one, many[0]} {
					if r.ContractContactType != mapping.TypeNominatedRecipient {
						t.Errorf("type = %v, want NominatedRecipient", r.ContractContactType)
					}
					created, ok := nexudus.ParseTime(r.CreatedOn)
					if !ok || created.Sub(begun).Abs() > 24*time.Hour {
						t.Errorf("CreatedOn %q read as %s, %v", r.CreatedOn, created, ok)
					}
					if r.UpdatedOn != "" {
						t.Errorf("UpdatedOn = %q, want empty (null on a new record)", r.UpdatedOn)
					}
				}
				if n := strings.Count(log.String(), "ContractContactType by name"); n != 1 {
					t.Errorf("log = %q, want the type names noted once", log.String())
				}
			})
		}
	}
}

// TestMissingRoles: a request needing a role the user lacks is a 403
// naming it; a create so refused stores nothing and is not sent again.
func TestMissingRoles(t *testing.T) {
	t.Parallel()
	h := start(t, sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{"ContractContact-List"}}})
	c := newClient(t, fastConfig(h, nil))
	if _, err := c.List(context.Background(), nexudus.ListOptions{}); err != nil {
		t.Fatalf("List with the List role: %v", err)
	}
	_, err := c.Create(context.Background(), contact("No Role"))
	var fe *nexudus.ForbiddenError
	if !errors.As(err, &fe) || fe.Role != "ContractContact-Create" || !strings.Contains(err.Error(), "ContractContact-Create role") {
		t.Fatalf("Create: %v, want a 403 naming ContractContact-Create", err)
	}
	if _, err := c.GetOne(context.Background(), 1); !nexudus.IsForbidden(err) || !strings.Contains(err.Error(), "ContractContact-Read") {
		t.Errorf("GetOne: %v, want a 403 naming ContractContact-Read", err)
	}
	if n, sent := len(h.srv.Records()), h.requests(http.MethodPost, collection); n != 0 || sent != 1 {
		t.Errorf("%d stored, %d creates sent; want 0 and 1", n, sent)
	}
}

// TestWriteQuotaSpentElsewhere: writes answered 409 for hours stop after
// MaxThrottled with a ThrottledError; reads go on.
func TestWriteQuotaSpentElsewhere(t *testing.T) {
	t.Parallel()
	h := start(t, sandbox.Config{Behaviour: sandbox.Behaviour{QuotaSpent: 3 * time.Hour}})
	cfg := fastConfig(h, nil)
	cfg.MaxThrottled = 50 * time.Millisecond
	cfg.DailyWrites = 10
	c := newClient(t, cfg)
	_, err := c.Create(context.Background(), contact("Over Quota"))
	var te *nexudus.ThrottledError
	if !errors.As(err, &te) || errors.Is(err, nexudus.ErrAmbiguous) || !nexudus.StopsRun(err) {
		t.Fatalf("Create: %v, want a ThrottledError", err)
	}
	if used, err := c.WritesUsed(); used != 0 || err != nil {
		t.Errorf("the daily budget counts %d writes (%v), want 0: none reached the server", used, err)
	}
	if _, err := c.List(context.Background(), nexudus.ListOptions{}); err != nil {
		t.Errorf("List: %v", err)
	}
	if n := len(h.srv.Records()); n != 0 {
		t.Errorf("%d records stored", n)
	}
}

// TestALastingThrottleIsRiddenOutForMaxThrottled: with the defaults, a
// write quota spent elsewhere (every write answered 409, Retry-After: 1,
// for an hour) is waited out for DefaultMaxThrottled, as the README
// promises, however many waits of a second that takes; in virtual time.
func TestALastingThrottleIsRiddenOutForMaxThrottled(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	h := start(t, sandbox.Config{Now: clock.Now, Behaviour: sandbox.Behaviour{QuotaSpent: time.Hour}})
	cfg := nexudus.Config{BaseURL: h.ts.URL, Token: testToken, HTTPClient: h.ts.Client(), DailyWrites: -1, Now: clock.Now, Sleep: clock.Sleep}
	began := clock.Now()
	_, err := newClient(t, cfg).Create(context.Background(), contact("Over Quota"))
	var te *nexudus.ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("Create: %v, want a ThrottledError", err)
	}
	if te.For < nexudus.DefaultMaxThrottled || te.For > nexudus.DefaultMaxThrottled+10*time.Second {
		t.Errorf("gave up after %d waits over %s, want about %s", te.Waits, te.For, nexudus.DefaultMaxThrottled)
	}
	if took := clock.Now().Sub(began); took < nexudus.DefaultMaxThrottled {
		t.Errorf("the call took %s of virtual time, want at least %s", took, nexudus.DefaultMaxThrottled)
	}
	if n := h.requests(http.MethodPost, collection); n != te.Waits+1 {
		t.Errorf("%d creates sent, want %d (the first and one after each wait)", n, te.Waits+1)
	}
}

// TestUnavailableHalfTheTime: a server answering 503 (an HTML page,
// Retry-After: 1) to half the requests, sign-in included: every call gets
// through, each create stores exactly one record.
func TestUnavailableHalfTheTime(t *testing.T) {
	t.Parallel()
	user := sandbox.User{Email: "admin@example.com", Password: "pa55word!"}
	h := start(t, sandbox.Config{User: user, Faults: sandbox.Faults{Seed: 7}, Behaviour: sandbox.Behaviour{Unavailable: 0.5}})
	var log logBuffer
	cfg := fastConfig(h, &log)
	cfg.Token = ""
	c := newClient(t, cfg)
	ctx := context.Background()
	if _, err := c.SignIn(ctx, user.Email, user.Password, ""); err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	for i := range 10 {
		if _, err := c.Create(ctx, contact(fmt.Sprint("Row ", i))); err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
		if _, err := c.List(ctx, nexudus.ListOptions{Size: 1}); err != nil {
			t.Fatalf("List %d: %v", i, err)
		}
	}
	if n := len(h.srv.Records()); n != 10 {
		t.Errorf("%d records, want 10", n)
	}
	if !strings.Contains(log.String(), "server unavailable (503), waiting") {
		t.Errorf("log = %q, want 503 waits", log.String())
	}
}

// TestRedirectingSandbox: a sandbox that redirects every request to
// another host: refused, and the target never sees a request.
func TestRedirectingSandbox(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	t.Cleanup(target.Close)
	h := start(t, sandbox.Config{Behaviour: sandbox.Behaviour{RedirectTo: target.URL}})
	c := newClient(t, fastConfig(h, nil))
	_, err := c.List(context.Background(), nexudus.ListOptions{})
	var re *nexudus.RedirectError
	if !errors.As(err, &re) || re.To != target.URL+collection {
		t.Fatalf("List: %v, want a RedirectError to %s", err, target.URL+collection)
	}
	if reached.Load() != 0 {
		t.Errorf("the target got %d requests", reached.Load())
	}
}

// TestSignInsOfOtherApps: another application signing in with the same
// email (client_id the email, as Nexudus assumes when none is sent) does
// not invalidate our login, which has a client_id of its own; a login
// saved with the email as client_id (as older versions did) is
// invalidated, which shows the test can tell.
func TestSignInsOfOtherApps(t *testing.T) {
	t.Parallel()
	user := sandbox.User{Email: "admin@example.com", Password: "pa55word!"}
	for _, tc := range []struct {
		name      string
		oldStyle  bool
		wantValid bool
	}{
		{"our own client_id", false, true},
		{"the email as client_id", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, sandbox.Config{User: user})
			otherApp := func(clientID string) {
				form := url.Values{"grant_type": {"password"}, "username": {user.Email}, "password": {user.Password}}
				req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/api/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if clientID != "" {
					req.Header.Set("client_id", clientID)
				}
				resp, err := h.ts.Client().Do(req)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("the other app's sign-in: %v %v", resp, err)
				}
				resp.Body.Close()
			}
			var sess nexudus.Session
			if tc.oldStyle {
				// An older version's login: signed in under the email.
				form := url.Values{"grant_type": {"password"}, "username": {user.Email}, "password": {user.Password}}
				req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/api/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := h.ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var tok struct {
					RefreshToken string `json:"refresh_token"`
				}
				if err := decodeJSON(resp, &tok); err != nil {
					t.Fatal(err)
				}
				sess = nexudus.Session{AccessToken: "revoked", RefreshToken: tok.RefreshToken, ClientID: user.Email}
			} else {
				var err error
				if sess, err = newClient(t, fastConfig(h, nil)).SignIn(context.Background(), user.Email, user.Password, ""); err != nil {
					t.Fatal(err)
				}
				sess.AccessToken = "revoked" // so the next call refreshes
			}
			otherApp("")
			otherApp(user.Email)
			cfg := fastConfig(h, nil)
			cfg.Token, cfg.Session = "", &sess
			_, err := newClient(t, cfg).List(context.Background(), nexudus.ListOptions{})
			if tc.wantValid && err != nil {
				t.Fatalf("List after the other app signed in: %v", err)
			}
			if !tc.wantValid && !nexudus.IsUnauthorized(err) {
				t.Fatalf("List: %v, want the old-style login invalidated (401)", err)
			}
		})
	}
}

// TestAnotherAppSpendingTheLimits: another integration spending half the
// minute's requests with the same credentials, on a fake clock: the
// client is throttled, falls back to even spacing, and every call gets
// through.
func TestAnotherAppSpendingTheLimits(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	h := start(t, sandbox.Config{Limits: sandbox.DocumentedLimits(), Now: clock.Now, Behaviour: sandbox.Behaviour{OtherApp: 60}})
	var log logBuffer
	cfg := nexudus.Config{BaseURL: h.ts.URL, HTTPClient: h.ts.Client(), Token: testToken, DailyWrites: -1, Now: clock.Now, Sleep: clock.Sleep, Logf: log.Logf}
	c := newClient(t, cfg)
	for i := range 300 {
		if _, err := c.List(context.Background(), nexudus.ListOptions{Size: 1}); err != nil {
			t.Fatalf("List %d: %v", i, err)
		}
	}
	if n := strings.Count(log.String(), "spacing requests evenly"); n != 1 {
		t.Errorf("log:\n%s\nwant one note of even spacing", log.String())
	}
}

// decodeJSON reads resp's JSON body into v and closes it.
func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// testClock is a fake clock that moves only when something sleeps on it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep moves the clock on by d.
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(max(d, 0))
	c.mu.Unlock()
	return ctx.Err()
}
