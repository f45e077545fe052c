package nexudus_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// TestRedirectsNeverCarryCredentials: a server (https, as a real one
// would be) that redirects to a plain-http host, or to another https
// host, or one that would turn a create into a read, gets its redirect
// refused with an error naming where it pointed (without the query); the
// target never sees a request, let alone the token. A redirect within the
// same scheme and host that keeps the method is followed.
func TestRedirectsNeverCarryCredentials(t *testing.T) {
	t.Parallel()
	var leaked, reached atomic.Int32
	target := func() *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached.Add(1)
			if r.Header.Get("Authorization") != "" {
				leaked.Add(1)
			}
			w.WriteHeader(http.StatusOK)
		}))
	}
	plain, other := target(), httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
	}))
	t.Cleanup(plain.Close)
	t.Cleanup(other.Close)
	srv, err := sandbox.New(sandbox.Config{Token: testToken, Limits: sandbox.Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var to atomic.Value
	var status atomic.Int32
	redirector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if dest := to.Load().(string); dest != "" && !strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, dest+"/moved"+r.URL.Path+"?secret=q1", int(status.Load()))
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/moved")
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(redirector.Close)
	// The redirector's and the other TLS server's certificates both come
	// from httptest's one test authority.
	client := redirector.Client()

	tests := []struct {
		name      string
		to        string
		status    int
		wantError bool
	}{
		{"to plain http", plain.URL, http.StatusFound, true},
		{"to plain http, keeping the method", plain.URL, http.StatusTemporaryRedirect, true},
		{"to another https host", other.URL, http.StatusMovedPermanently, true},
		{"within the same host, turning a create into a read", redirector.URL, http.StatusFound, true},
		{"within the same host", redirector.URL, http.StatusTemporaryRedirect, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			to.Store(tc.to)
			status.Store(int32(tc.status))
			leaked.Store(0)
			reached.Store(0)
			c := newClient(t, nexudus.Config{BaseURL: redirector.URL, Token: testToken, HTTPClient: client,
				MinInterval: -1, DailyWrites: -1, Rate: nexudus.Rate{N: 1000, Per: time.Second}, WriteRate: nexudus.Rate{N: 1000, Per: time.Second}})
			_, err := c.List(context.Background(), nexudus.ListOptions{Size: 1})
			_, cerr := c.Create(context.Background(), contact("Redirected"))
			if !tc.wantError {
				if err != nil || cerr != nil {
					t.Fatalf("List: %v; Create: %v; want a same-host redirect followed", err, cerr)
				}
				return
			}
			errs := []error{err, cerr}
			if tc.to == redirector.URL {
				if err != nil {
					t.Fatalf("List: %v, want a same-host redirect followed", err)
				}
				errs = errs[1:]
			}
			for _, err := range errs {
				var re *nexudus.RedirectError
				if !errors.As(err, &re) || !nexudus.StopsRun(err) || errors.Is(err, nexudus.ErrAmbiguous) {
					t.Fatalf("err = %v, want a RedirectError that stops the run", err)
				}
				if !strings.Contains(err.Error(), tc.to+"/moved/api/billing/contractcontacts") || strings.Contains(err.Error(), "secret") {
					t.Errorf("err = %q, want it to name the target without its query", err)
				}
			}
			if leaked.Load() != 0 || reached.Load() != 0 {
				t.Errorf("the redirect target got %d requests, %d with credentials; want none", reached.Load(), leaked.Load())
			}
			if got := len(srv.Records()); got != 0 {
				t.Errorf("%d records stored", got)
			}
		})
	}
}

// TestUnreachableServer: a server that refuses connections (or cannot be
// reached) stops a call after a bounded number of attempts or a bounded
// time, with ErrUnreachable, which stops a run; a write is not ambiguous,
// since nothing was sent.
func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	refusing := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: network is unreachable")}
	}}}
	tests := []struct {
		name string
		cfg  nexudus.Config
	}{
		{"refused, bounded by retries", nexudus.Config{BaseURL: closed, MaxRetries: 3}},
		{"unreachable, bounded by time", nexudus.Config{BaseURL: "https://spaces.nexudus.com", HTTPClient: refusing, MaxRetries: 1 << 20,
			MaxUnreachable: 200 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Token, cfg.MinInterval, cfg.DailyWrites = testToken, -1, 10
			cfg.Rate, cfg.WriteRate = nexudus.Rate{N: 1000000, Per: time.Second}, nexudus.Rate{N: 1000000, Per: time.Second}
			cfg.BackoffBase, cfg.BackoffMax = time.Millisecond, 2*time.Millisecond
			c := newClient(t, cfg)
			start := time.Now()
			_, err := c.Create(context.Background(), contact("Nobody Home"))
			if !errors.Is(err, nexudus.ErrUnreachable) || errors.Is(err, nexudus.ErrAmbiguous) || !nexudus.StopsRun(err) {
				t.Fatalf("Create: %v; want ErrUnreachable, not ambiguous", err)
			}
			if _, err := c.List(context.Background(), nexudus.ListOptions{}); !errors.Is(err, nexudus.ErrUnreachable) {
				t.Fatalf("List: %v; want ErrUnreachable", err)
			}
			if used, err := c.WritesUsed(); used != 0 || err != nil {
				t.Errorf("the daily budget counts %d writes (%v), want 0: nothing was sent", used, err)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("gave up after %s", took)
			}
		})
	}
}

// TestTokensAndURLsThatCannotBeSent are refused by New, before anything
// is sent, without showing the token or the URL's user info.
func TestTokensAndURLsThatCannotBeSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     nexudus.Config
		wantErr string
		secret  string
	}{
		{"newline in the token", nexudus.Config{Token: "abc\ndef-s3cret"}, "line break", "s3cret"},
		{"space in the token", nexudus.Config{Token: "abc def-s3cret"}, "space", "s3cret"},
		{"control character", nexudus.Config{Token: "abc\x00def-s3cret"}, "cannot carry", "s3cret"},
		{"saved session", nexudus.Config{Session: &nexudus.Session{AccessToken: "a\tb-s3cret"}}, "sign in again", "s3cret"},
		{"user and password in the URL", nexudus.Config{BaseURL: "https://ann:pa55@spaces.nexudus.com"}, "leave credentials out", "ann"},
		{"user in the URL", nexudus.Config{BaseURL: "https://ann.lee@spaces.nexudus.com"}, "leave credentials out", "ann"},
		{"user info in a URL without scheme", nexudus.Config{BaseURL: "ann:pa55@spaces.nexudus.com"}, "absolute http(s) URL", "ann"},
		// A password holding / ? or # does not parse: none of the user
		// info is shown, neither in the base URL nor in the token URL.
		{"a slash in the password", nexudus.Config{BaseURL: "https://ann:s3cr/et@space.example"}, "absolute http(s) URL", "ann"},
		{"a ? in the password", nexudus.Config{BaseURL: "https://ann:s3cr?et@space.example"}, "absolute http(s) URL", "ann"},
		{"a # in the password", nexudus.Config{BaseURL: "https://ann:s3cr#et@space.example"}, "absolute http(s) URL", "ann"},
		{"a slash in the token URL's password", nexudus.Config{BaseURL: "http://127.0.0.1:1", TokenURL: "https://ann:s3cr/et@space.example"}, "token URL", "ann"},
		{"a ? in the token URL's password", nexudus.Config{BaseURL: "http://127.0.0.1:1", TokenURL: "https://ann:s3cr?et@space.example"}, "token URL", "ann"},
		{"a # in the token URL's password", nexudus.Config{BaseURL: "http://127.0.0.1:1", TokenURL: "https://ann:s3cr#et@space.example"}, "token URL", "ann"},
		{"a scheme-like password", nexudus.Config{BaseURL: "ann:s3cr://et@space.example"}, "absolute http(s) URL", "ann"},
		{"a huge rate", nexudus.Config{Rate: nexudus.Rate{N: 1 << 40, Per: time.Second}}, "at most", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nexudus.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.wantErr)
			}
			if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q shows %q", err, tc.secret)
			}
			if strings.Contains(err.Error(), "s3cr") {
				t.Errorf("error %q shows part of the password", err)
			}
		})
	}
}

// TestForbidden: a 403 (the role is missing) is a typed error naming the
// role, from the message when it says, else from the endpoint and method;
// a create meets it before anything is stored and is never sent again.
func TestForbidden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		method   string
		body     string
		wantRole string
	}{
		{"create, role from the endpoint", http.MethodPost, `{"Message":"You do not have permission."}`, "ContractContact-Create"},
		{"list, role from the endpoint", http.MethodGet, "", "ContractContact-List"},
		{"role from the message", http.MethodPost, `{"Message":"Missing role: ContractContact-Add."}`, "ContractContact-Create"},
		{"role named by the server", http.MethodGet, `{"Message":"The user needs the Coworker-List role."}`, "Coworker-List"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, sandbox.Config{})
			h.srv.Inject(sandbox.Injection{Method: tc.method, Path: collection, Status: http.StatusForbidden, Body: tc.body})
			c := newClient(t, fastConfig(h, nil))
			var err error
			if tc.method == http.MethodPost {
				_, err = c.Create(context.Background(), contact("Not Allowed"))
			} else {
				_, err = c.List(context.Background(), nexudus.ListOptions{})
			}
			var fe *nexudus.ForbiddenError
			if !errors.As(err, &fe) || !nexudus.IsForbidden(err) || !nexudus.StopsRun(err) || errors.Is(err, nexudus.ErrAmbiguous) {
				t.Fatalf("err = %v, want a ForbiddenError", err)
			}
			if fe.Role != tc.wantRole || !strings.Contains(err.Error(), tc.wantRole) {
				t.Errorf("role = %q (%v), want %q", fe.Role, err, tc.wantRole)
			}
			if got := h.requests(tc.method, collection); got != 1 {
				t.Errorf("requests = %d, want 1: a 403 is not sent again", got)
			}
			if n := len(h.srv.Records()); n != 0 {
				t.Errorf("%d records stored", n)
			}
		})
	}
}

// TestQuotaSpentElsewhere: a server that throttles every request (its
// quota spent by another integration) stops the call after MaxThrottled
// with a *ThrottledError saying when to try again; a create is not
// ambiguous and nothing is stored.
func TestQuotaSpentElsewhere(t *testing.T) {
	t.Parallel()
	h := start(t, sandbox.Config{})
	h.srv.Inject(sandbox.Injection{Status: http.StatusConflict, RetryAfter: "1", Body: "You must wait before accessing this url again.", Times: 1000})
	cfg := fastConfig(h, nil)
	cfg.MaxThrottled = 100 * time.Millisecond
	c := newClient(t, cfg)
	_, err := c.Create(context.Background(), contact("Over Quota"))
	var te *nexudus.ThrottledError
	if !errors.As(err, &te) || !nexudus.StopsRun(err) || errors.Is(err, nexudus.ErrAmbiguous) {
		t.Fatalf("err = %v, want a ThrottledError", err)
	}
	if te.Status != http.StatusConflict || te.For < 100*time.Millisecond || !te.RetryAt.After(time.Now()) || !strings.Contains(err.Error(), "try again after") {
		t.Errorf("ThrottledError = %+v (%v)", te, err)
	}
	if n := len(h.srv.Records()); n != 0 {
		t.Errorf("%d records stored", n)
	}
}

// TestServiceUnavailable: a 503 with Retry-After (seconds or an HTTP date)
// is waited out and sent again, a create included (the server says it did
// not act); a create answered 503 without one is of unknown outcome.
func TestServiceUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		write      bool
		wantErr    error
	}{
		{"read, seconds", "1", false, nil},
		{"read, HTTP date", time.Now().Add(time.Second).UTC().Format(http.TimeFormat), false, nil},
		{"create, seconds", "1", true, nil},
		{"create without Retry-After", "", true, nexudus.ErrAmbiguous},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, sandbox.Config{})
			method := map[bool]string{false: http.MethodGet, true: http.MethodPost}[tc.write]
			h.srv.Inject(sandbox.Injection{Method: method, Path: collection, Status: http.StatusServiceUnavailable, RetryAfter: tc.retryAfter, Times: 2})
			var log logBuffer
			c := newClient(t, fastConfig(h, &log))
			var err error
			if tc.write {
				_, err = c.Create(context.Background(), contact("Later"))
			} else {
				_, err = c.List(context.Background(), nexudus.ListOptions{})
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if got := h.requests(method, collection); got != 1 {
					t.Errorf("requests = %d, want 1", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.requests(method, collection); got != 3 {
				t.Errorf("requests = %d, want 3 (two 503s, then the same again)", got)
			}
			if strings.Count(log.String(), "server unavailable (503), waiting") != 2 {
				t.Errorf("log = %q, want two waits", log.String())
			}
			if tc.write && len(h.srv.Records()) != 1 {
				t.Errorf("%d records stored, want 1", len(h.srv.Records()))
			}
		})
	}
}

// TestCreateAnswerShapes: a create answer whose Id is text, or whose
// Value is the bare Id, is a success with that Id, at once.
func TestCreateAnswerShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		wantID int64
	}{
		{"documented", `{"Status":200,"Value":{"Id":87654399},"WasSuccessful":true}`, 87654399},
		{"Id as text", `{"Status":200,"Value":{"Id":"87654399"},"WasSuccessful":true}`, 87654399},
		{"bare number", `{"Status":200,"Value":87654399,"WasSuccessful":true}`, 87654399},
		{"bare text", `{"Status":200,"Value":"87654399","WasSuccessful":"true"}`, 87654399},
		{"lower-case id", `{"Value":{"id":87654399}}`, 87654399},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, sandbox.Config{})
			h.srv.Inject(sandbox.Injection{Method: http.MethodPost, Path: collection, Status: 200, Body: tc.body})
			cfg := fastConfig(h, nil)
			cfg.Timeout = time.Second
			start := time.Now()
			id, err := newClient(t, cfg).Create(context.Background(), contact("Shape"))
			if err != nil || id != tc.wantID {
				t.Fatalf("Create = %d, %v; want %d", id, err, tc.wantID)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}
