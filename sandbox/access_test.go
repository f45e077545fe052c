package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRoles sends every contacts request with credentials that hold some
// roles: each is answered, or refused with 403 naming the role it needs.
func TestRoles(t *testing.T) {
	t.Parallel()
	requests := []struct {
		method, path, body, role string
	}{
		{"GET", collectionPath + "?size=5", "", "ContractContact-List"},
		{"GET", collectionPath + "/1", "", "ContractContact-Read"},
		{"GET", collectionPath + "?id=[1,2]", "", "ContractContact-Read"},
		{"GET", collectionPath + "/?id=[1,2]", "", "ContractContact-Read"},
		{"POST", collectionPath, `{"CoworkerContractId": 1001, "FullName": "New"}`, "ContractContact-Create"},
		{"PUT", collectionPath, `{"Id": 2, "CoworkerContractId": 1001, "FullName": "Edited"}`, "ContractContact-Edit"},
		{"DELETE", collectionPath + "/3", "", "ContractContact-Delete"},
	}
	tests := []struct {
		name  string
		roles []string
	}{
		{"administrator", nil},
		{"no roles at all", []string{}},
		{"list only", []string{"ContractContact-List"}},
		{"list and read, in other case", []string{" contractcontact-list", "CONTRACTCONTACT-READ"}},
		{"everything but delete", []string{"ContractContact-List", "ContractContact-Read", "ContractContact-Create", "ContractContact-Edit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: Behaviour{Roles: tc.roles}})
			seedThree(h)
			before := h.srv.Records()
			changed := false
			for _, req := range requests {
				allowed := tc.roles == nil || h.srv.hasRole(req.role)
				status, b := h.do(req.method, req.path, req.body)
				switch {
				case allowed && status != 200:
					t.Errorf("%s %s: status %d, want 200: %s", req.method, req.path, status, b)
				case allowed:
					changed = changed || req.method != "GET"
				case status != 403 || !strings.Contains(string(b), "the role "+req.role):
					t.Errorf("%s %s: status %d %s, want 403 naming %s", req.method, req.path, status, b, req.role)
				}
				if status, _ := h.doAuth(req.method, req.path, req.body, ""); status != 401 {
					t.Errorf("%s %s without credentials: status %d, want 401", req.method, req.path, status)
				}
			}
			if !changed && !equalRecords(h.srv.Records(), before) {
				t.Error("a refused write had an effect")
			}
		})
	}
}

func equalRecords(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].FullName != b[i].FullName {
			return false
		}
	}
	return true
}

// TestQuotaSpent writes to a space whose write quota another integration
// has spent: 409 for every write until the time is over; reads go on.
func TestQuotaSpent(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, Config{Now: clk.Now, Behaviour: Behaviour{QuotaSpent: 2 * time.Hour}})
	seedThree(h)
	writes := []struct{ method, path, body string }{
		{"POST", collectionPath, createBody},
		{"PUT", collectionPath, `{"Id": 2, "CoworkerContractId": 1001, "FullName": "Edited"}`},
		{"DELETE", collectionPath + "/3", ""},
	}
	for _, after := range []time.Duration{0, time.Hour, 59*time.Minute + 59*time.Second} {
		clk.Advance(after)
		for _, w := range writes {
			resp := h.send(w.method, w.path, w.body, "Bearer "+h.srv.Token())
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 409 || resp.Header.Get("Retry-After") != "1" || string(b) != throttleBody {
				t.Errorf("%s: status %d Retry-After %q %q, want the throttling answer", w.method, resp.StatusCode, resp.Header.Get("Retry-After"), b)
			}
		}
		if status, _ := h.do("GET", collectionPath, ""); status != 200 {
			t.Errorf("read while the quota is spent: status %d", status)
		}
	}
	if n := h.srv.Count(); n != 3 {
		t.Fatalf("%d records: a refused write had an effect", n)
	}
	clk.Advance(time.Second)
	for _, w := range writes {
		if status, b := h.do(w.method, w.path, w.body); status != 200 {
			t.Errorf("%s after the quota came back: status %d %s", w.method, status, b)
		}
	}
}

// TestUnavailable sends requests to a server that answers some with 503.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("always", func(t *testing.T) {
		t.Parallel()
		h := start(t, Config{User: User{Email: "a@example.com", Password: "pw"}, Behaviour: Behaviour{Unavailable: 1}})
		for _, req := range []struct{ method, path, body string }{
			{"GET", collectionPath, ""}, {"POST", collectionPath, createBody}, {"POST", tokenPath, "grant_type=password&username=a%40example.com&password=pw"},
		} {
			resp := h.send(req.method, req.path, req.body, "Bearer "+h.srv.Token())
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(b), "Unavailable") {
				t.Errorf("%s %s: status %d Retry-After %q %s", req.method, req.path, resp.StatusCode, resp.Header.Get("Retry-After"), b)
			}
		}
		if h.srv.Count() != 0 {
			t.Error("a create answered 503 was stored")
		}
	})
	t.Run("a fraction, repeatably", func(t *testing.T) {
		t.Parallel()
		count := func() (unavailable int) {
			h := start(t, Config{Faults: Faults{Seed: 7}, Behaviour: Behaviour{Unavailable: 0.25}})
			for range 200 {
				if status, _ := h.do("GET", collectionPath, ""); status == 503 {
					unavailable++
				}
			}
			return unavailable
		}
		n := count()
		if n < 25 || n > 75 {
			t.Errorf("%d of 200 answered 503, want about 50", n)
		}
		if again := count(); again != n {
			t.Errorf("the same seed gave %d then %d", n, again)
		}
	})
}

// TestRedirectTo sends requests to a server that redirects them all
// elsewhere, with a client that does not follow.
func TestRedirectTo(t *testing.T) {
	t.Parallel()
	h := start(t, Config{Behaviour: Behaviour{RedirectTo: "http://elsewhere.example:8080/base/"}})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, req := range []struct{ method, path, body string }{
		{"GET", collectionPath + "?page=2&orderBy=FullName", ""},
		{"POST", collectionPath, createBody},
		{"GET", collectionPath + "/12", ""},
		{"POST", tokenPath, "grant_type=password&username=a&password=b"},
	} {
		r, _ := http.NewRequest(req.method, h.ts.URL+req.path, strings.NewReader(req.body))
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := "http://elsewhere.example:8080/base" + req.path; resp.StatusCode != 302 || resp.Header.Get("Location") != want {
			t.Errorf("%s %s: status %d Location %q, want 302 to %s", req.method, req.path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if h.srv.Count() != 0 {
		t.Error("a redirected create was stored")
	}
	for _, bad := range []string{"ftp://elsewhere.example", "elsewhere.example", "/relative", "http://", "https://x.example/?q=1"} {
		if _, err := New(Config{Behaviour: Behaviour{RedirectTo: bad}}); err == nil {
			t.Errorf("New accepted redirect target %q", bad)
		}
	}
}

// TestOtherApp paces requests against a server whose limits another
// integration with the same credentials also spends.
func TestOtherApp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		limits   Limits
		otherApp int
		steps    string // as in TestLimits
	}{
		{"minute window shared", Limits{PerMinute: 3}, 2, // the other app at 30 s, 60 s, 90 s...
			"go +31s go +9s gt +50s gt +1s go"},
		{"alone the same steps pass", Limits{PerMinute: 3}, 0,
			"go +31s go +9s go +50s go +1s go"},
		{"minimum interval after the other app's request", Limits{MinInterval: 100 * time.Millisecond}, 60, // at 1 s, 2 s...
			"go +1050ms gt +50ms go +850ms go +100ms gt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			h := start(t, Config{Limits: tc.limits, Now: clk.Now, Behaviour: Behaviour{OtherApp: tc.otherApp}})
			for i, step := range strings.Fields(tc.steps) {
				if strings.HasPrefix(step, "+") {
					d, _ := time.ParseDuration(step[1:])
					clk.Advance(d)
					continue
				}
				status, _ := h.do("GET", collectionPath, "")
				if want := map[byte]int{'o': 200, 't': 409}[step[1]]; status != want {
					t.Fatalf("step %d (%s): status %d, want %d", i, step, status, want)
				}
			}
		})
	}
	t.Run("pacing exactly at the limit meets throttling", func(t *testing.T) {
		t.Parallel()
		throttles := func(otherApp int) int {
			clk := newClock()
			h := start(t, Config{Limits: DocumentedLimits(), Now: clk.Now, Behaviour: Behaviour{OtherApp: otherApp}})
			n := 0
			for range 240 { // 120 a minute, for two minutes
				if status, _ := h.do("GET", collectionPath, ""); status == 409 {
					n++
				}
				clk.Advance(500 * time.Millisecond)
			}
			return n
		}
		if alone, shared := throttles(0), throttles(10); alone != 0 || shared == 0 {
			t.Errorf("throttles: %d alone, %d beside another app; want 0 and some", alone, shared)
		}
	})
}

// TestRefreshTokensOfAClientID signs in several times: each token issued
// for a client_id invalidates the older refresh tokens of that client_id,
// and only those.
func TestRefreshTokensOfAClientID(t *testing.T) {
	t.Parallel()
	h := start(t, Config{User: User{Email: "admin@example.com", Password: "pw"}})
	signIn := func(clientID string, asForm bool) (access, refresh string) {
		t.Helper()
		form := url.Values{"grant_type": {"password"}, "username": {"admin@example.com"}, "password": {"pw"}}
		header := clientID
		if asForm {
			form.Set("client_id", clientID)
			header = ""
		}
		status, ans := h.postToken(form, "application/x-www-form-urlencoded", header)
		if status != 200 {
			t.Fatalf("sign in as %q: status %d %v", clientID, status, ans)
		}
		return ans["access_token"].(string), ans["refresh_token"].(string)
	}
	refresh := func(rt, clientID string, asForm bool) int {
		t.Helper()
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		header := clientID
		if asForm {
			form.Set("client_id", clientID)
			header = ""
		}
		status, _ := h.postToken(form, "application/x-www-form-urlencoded", header)
		return status
	}
	access1, rt1 := signIn("app-a", false)
	_, rtOther := signIn("app-b", true)
	_, rtEmail := signIn("", false) // the email is the client_id
	_, rt2 := signIn("APP-A", true)
	if status := refresh(rt1, "app-a", false); status != 400 {
		t.Errorf("refresh token of app-a after a newer sign-in of app-a: status %d, want 400", status)
	}
	if status, _ := h.doAuth("GET", collectionPath, "", "Bearer "+access1); status != 200 {
		t.Errorf("the older access token: status %d, want 200 until it expires", status)
	}
	if status := refresh(rtOther, "app-b", true); status != 200 {
		t.Errorf("app-b's refresh token: status %d, want 200", status)
	}
	if status := refresh(rtEmail, "admin@example.com", false); status != 200 {
		t.Errorf("refresh token issued for the email: status %d, want 200", status)
	}
	if status := refresh(rt2, "app-b", false); status != 400 {
		t.Errorf("refresh with another client_id: status %d, want 400", status)
	}
	if status := refresh(rt2, "app-a", true); status != 200 {
		t.Errorf("app-a's newest refresh token, client_id as a form field: status %d, want 200", status)
	}
	// Two apps that both use the email log each other out.
	_, mine := signIn("", false)
	signIn("admin@example.com", true)
	if status := refresh(mine, "admin@example.com", false); status != 400 {
		t.Errorf("refresh after another sign-in with the email: status %d, want 400", status)
	}
}
