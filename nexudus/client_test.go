package nexudus_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

const testToken = "test-token-5ecret"

// harness is a sandbox behind a real HTTP server that counts requests.
type harness struct {
	srv   *sandbox.Server
	ts    *httptest.Server
	mu    sync.Mutex
	count map[string]int // "METHOD /path" -> requests seen
}

// start runs a sandbox with cfg (limits off unless set) in httptest.
func start(t *testing.T, cfg sandbox.Config) *harness {
	t.Helper()
	if cfg.Limits == (sandbox.Limits{}) {
		cfg.Limits = sandbox.Limits{Off: true}
	}
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	h := &harness{srv: srv, count: map[string]int{}}
	h.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.count[r.Method+" "+r.URL.Path]++
		h.mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		h.ts.Close()
		srv.Close()
	})
	return h
}

// requests returns how many requests of method to path arrived.
func (h *harness) requests(method, path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count[method+" "+path]
}

// logBuffer collects Logf lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) Logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// fastConfig paces and backs off in milliseconds so tests run quickly.
func fastConfig(h *harness, log *logBuffer) nexudus.Config {
	cfg := nexudus.Config{
		BaseURL:       h.ts.URL,
		HTTPClient:    h.ts.Client(), // not http.DefaultTransport, whose idle connections every test's Close closes
		Token:         testToken,
		Rate:          nexudus.Rate{N: 1000, Per: time.Second},
		WriteRate:     nexudus.Rate{N: 1000, Per: time.Second},
		MinInterval:   -1,
		DailyWrites:   -1,
		Timeout:       5 * time.Second,
		BackoffBase:   time.Millisecond,
		BackoffMax:    5 * time.Millisecond,
		MaxRetryAfter: 20 * time.Millisecond,
	}
	if log != nil {
		cfg.Logf = log.Logf
	}
	return cfg
}

func newClient(t *testing.T, cfg nexudus.Config) *nexudus.Client {
	t.Helper()
	c, err := nexudus.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func contact(name string) mapping.Contact {
	return mapping.Contact{CoworkerContractID: 1001, FullName: name, Email: "x@example.com", ContractContactType: mapping.TypeDirector}
}

const collection = "/api/billing/contractcontacts"

func TestThrottledRequestsAreSentAgain(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		status     int
		retryAfter string
	}{
		{"409 on a list", http.MethodGet, http.StatusConflict, "1"},
		{"429 on a list", http.MethodGet, http.StatusTooManyRequests, "1"},
		{"429 with an HTTP date", http.MethodGet, http.StatusTooManyRequests, time.Now().Add(time.Second).UTC().Format(http.TimeFormat)},
		{"409 without Retry-After", http.MethodGet, http.StatusConflict, ""},
		{"409 on a create", http.MethodPost, http.StatusConflict, "1"},
		{"429 on a create", http.MethodPost, http.StatusTooManyRequests, "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, sandbox.Config{})
			h.srv.Inject(sandbox.Injection{Method: tc.method, Path: collection, Status: tc.status, RetryAfter: tc.retryAfter,
				Body: "You must wait before accessing this url again.", Times: 2})
			var log logBuffer
			c := newClient(t, fastConfig(h, &log))
			ctx := context.Background()
			if tc.method == http.MethodGet {
				if _, err := c.List(ctx, nexudus.ListOptions{Size: 1}); err != nil {
					t.Fatalf("List: %v", err)
				}
			} else {
				id, err := c.Create(ctx, contact("Ada Lovelace"))
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if got := len(h.srv.Records()); got != 1 || h.srv.Records()[0].ID != id {
					t.Fatalf("records after create = %d, want exactly the one created (id %d)", got, id)
				}
			}
			if got := h.requests(tc.method, collection); got != 3 {
				t.Errorf("requests = %d, want 3 (two throttled, then the same again)", got)
			}
			want := fmt.Sprintf("throttled (%d), waiting", tc.status)
			if strings.Count(log.String(), want) != 2 {
				t.Errorf("log = %q, want two %q notes", log.String(), want)
			}
		})
	}
}

func TestThrottleWaitsAreBounded(t *testing.T) {
	h := start(t, sandbox.Config{})
	h.srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: http.StatusConflict, RetryAfter: "1", Times: 10})
	cfg := fastConfig(h, nil)
	cfg.MaxThrottleWaits = 3
	_, err := newClient(t, cfg).List(context.Background(), nexudus.ListOptions{})
	var ae *nexudus.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict || !strings.Contains(err.Error(), "still throttled") {
		t.Fatalf("err = %v, want a 409 APIError saying it is still throttled", err)
	}
	if got := h.requests(http.MethodGet, collection); got != 4 {
		t.Errorf("requests = %d, want 4 (the first and 3 waits)", got)
	}
}

func TestThrottleWaitHonoursContext(t *testing.T) {
	h := start(t, sandbox.Config{})
	h.srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: http.StatusConflict, RetryAfter: "3600", Times: 1})
	cfg := fastConfig(h, nil)
	cfg.MaxRetryAfter = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Logf = func(string, ...any) { cancel() } // cancel as the wait begins
	_, err := newClient(t, cfg).List(ctx, nexudus.ListOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestReadsRetryServerErrors(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			h := start(t, sandbox.Config{})
			h.srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: status, Times: 2})
			var log logBuffer
			if _, err := newClient(t, fastConfig(h, &log)).List(context.Background(), nexudus.ListOptions{}); err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := h.requests(http.MethodGet, collection); got != 3 {
				t.Errorf("requests = %d, want 3", got)
			}
			if !strings.Contains(log.String(), "retrying in") {
				t.Errorf("log = %q, want a retry note", log.String())
			}
		})
	}
	t.Run("gives up after MaxRetries", func(t *testing.T) {
		h := start(t, sandbox.Config{})
		h.srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: 503, Times: 10})
		cfg := fastConfig(h, nil)
		cfg.MaxRetries = 2
		_, err := newClient(t, cfg).List(context.Background(), nexudus.ListOptions{})
		var ae *nexudus.APIError
		if !errors.As(err, &ae) || ae.Status != 503 {
			t.Fatalf("err = %v, want a 503 APIError", err)
		}
		if got := h.requests(http.MethodGet, collection); got != 3 {
			t.Errorf("requests = %d, want 3", got)
		}
	})
	t.Run("no retry of a 400", func(t *testing.T) {
		h := start(t, sandbox.Config{})
		_, err := newClient(t, fastConfig(h, nil)).List(context.Background(), nexudus.ListOptions{OrderBy: "NoSuchProperty"})
		var ae *nexudus.APIError
		if !errors.As(err, &ae) || ae.Status != 400 {
			t.Fatalf("err = %v, want a 400 APIError", err)
		}
		if got := h.requests(http.MethodGet, collection); got != 1 {
			t.Errorf("requests = %d, want 1", got)
		}
	})
}

func TestAmbiguousCreatesAreSentOnce(t *testing.T) {
	tests := []struct {
		name        string
		cfg         sandbox.Config
		inject      *sandbox.Injection
		timeout     time.Duration
		wantStored  int
		wantInError string
	}{
		{name: "connection dropped after storing", inject: &sandbox.Injection{Method: http.MethodPost, Drop: true}, wantStored: 1, wantInError: "EOF"},
		{name: "500 on a create", inject: &sandbox.Injection{Method: http.MethodPost, Status: 500, Body: `{"Message":"An error has occurred."}`}, wantStored: 0, wantInError: "An error has occurred"},
		{name: "502 on a create", inject: &sandbox.Injection{Method: http.MethodPost, Status: 502}, wantStored: 0, wantInError: "502"},
		{name: "stalled create hits the timeout", cfg: sandbox.Config{Faults: sandbox.Faults{Stalls: 1, StallFor: 300 * time.Millisecond}},
			timeout: 50 * time.Millisecond, wantStored: 1, wantInError: "no answer within the request timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, tc.cfg)
			if tc.inject != nil {
				h.srv.Inject(*tc.inject)
			}
			cfg := fastConfig(h, nil)
			if tc.timeout > 0 {
				cfg.Timeout = tc.timeout
			}
			_, err := newClient(t, cfg).Create(context.Background(), contact("Grace Hopper"))
			if !errors.Is(err, nexudus.ErrAmbiguous) {
				t.Fatalf("err = %v, want ErrAmbiguous", err)
			}
			if !strings.Contains(err.Error(), tc.wantInError) {
				t.Errorf("err = %q, want the cause %q in it", err, tc.wantInError)
			}
			if got := h.requests(http.MethodPost, collection); got != 1 {
				t.Errorf("creates sent = %d, want exactly 1", got)
			}
			if tc.timeout > 0 {
				// The stalled create lands after the client gave up.
				deadline := time.Now().Add(5 * time.Second)
				for len(h.srv.Records()) < tc.wantStored && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
			}
			if got := len(h.srv.Records()); got != tc.wantStored {
				t.Errorf("records stored = %d, want %d", got, tc.wantStored)
			}
		})
	}
}

func TestCreateCancelledInFlightIsAmbiguous(t *testing.T) {
	h := start(t, sandbox.Config{Faults: sandbox.Faults{Stalls: 1, StallFor: 300 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(t, fastConfig(h, nil)).Create(ctx, contact("Cancelled"))
	if !errors.Is(err, nexudus.ErrAmbiguous) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrAmbiguous and the context's error", err)
	}
}

// flakyDialer refuses the first n dials, then dials for real.
type flakyDialer struct {
	refuse atomic.Int32
	d      net.Dialer
}

func (f *flakyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if f.refuse.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
	}
	return f.d.DialContext(ctx, network, addr)
}

func TestCreateRetriesDialFailures(t *testing.T) {
	h := start(t, sandbox.Config{})
	dialer := &flakyDialer{}
	dialer.refuse.Store(2)
	cfg := fastConfig(h, nil)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	id, err := newClient(t, cfg).Create(context.Background(), contact("Dial Retry"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if recs := h.srv.Records(); len(recs) != 1 || recs[0].ID != id {
		t.Fatalf("records = %d, want the one created", len(recs))
	}
	if got := h.requests(http.MethodPost, collection); got != 1 {
		t.Errorf("creates arrived = %d, want 1", got)
	}
}

func TestUnreachableServerIsNotAmbiguous(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	cfg := nexudus.Config{BaseURL: url, Token: testToken, MinInterval: -1, DailyWrites: -1, MaxRetries: 2,
		Rate: nexudus.Rate{N: 1000, Per: time.Second}, WriteRate: nexudus.Rate{N: 1000, Per: time.Second},
		BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond}
	_, err = newClient(t, cfg).Create(context.Background(), contact("Nobody Home"))
	if err == nil || errors.Is(err, nexudus.ErrAmbiguous) {
		t.Fatalf("err = %v, want a plain error: nothing was sent", err)
	}
	if !strings.Contains(err.Error(), "gave up after 2 retries") {
		t.Errorf("err = %q, want it to say it gave up", err)
	}
}

func TestCreateAnswers(t *testing.T) {
	t.Run("success returns the new Id", func(t *testing.T) {
		h := start(t, sandbox.Config{})
		id, err := newClient(t, fastConfig(h, nil)).Create(context.Background(), contact("Ok"))
		if err != nil {
			t.Fatal(err)
		}
		if recs := h.srv.Records(); len(recs) != 1 || recs[0].ID != id || recs[0].FullName != "Ok" {
			t.Fatalf("stored %+v, want one record with Id %d", recs, id)
		}
	})
	t.Run("validation refusal is an APIError with fields", func(t *testing.T) {
		h := start(t, sandbox.Config{})
		_, err := newClient(t, fastConfig(h, nil)).Create(context.Background(), mapping.Contact{CoworkerContractID: 1001})
		var ae *nexudus.APIError
		if !errors.As(err, &ae) || ae.Status != 400 || len(ae.Fields) == 0 || errors.Is(err, nexudus.ErrAmbiguous) {
			t.Fatalf("err = %#v, want a 400 APIError with fields", err)
		}
		if ae.Fields[0].PropertyName != "FullName" {
			t.Errorf("field = %q, want FullName", ae.Fields[0].PropertyName)
		}
	})
	t.Run("WasSuccessful false on a 200 is a failure", func(t *testing.T) {
		h := start(t, sandbox.Config{})
		h.srv.Inject(sandbox.Injection{Method: http.MethodPost, Status: 200,
			Body: `{"Status":400,"Message":"FullName: too long","Value":null,"WasSuccessful":false,"Errors":[{"AttemptedValue":"x","Message":"too long","PropertyName":"FullName"}]}`})
		_, err := newClient(t, fastConfig(h, nil)).Create(context.Background(), contact("X"))
		var ae *nexudus.APIError
		if !errors.As(err, &ae) || ae.Status != 400 || len(ae.Fields) != 1 || errors.Is(err, nexudus.ErrAmbiguous) {
			t.Fatalf("err = %v, want a 400 APIError", err)
		}
	})
	t.Run("200 without an Id is ambiguous", func(t *testing.T) {
		h := start(t, sandbox.Config{})
		h.srv.Inject(sandbox.Injection{Method: http.MethodPost, Status: 200, Body: `{"WasSuccessful":true}`})
		_, err := newClient(t, fastConfig(h, nil)).Create(context.Background(), contact("X"))
		if !errors.Is(err, nexudus.ErrAmbiguous) {
			t.Fatalf("err = %v, want ErrAmbiguous", err)
		}
	})
}

func TestUnauthorized(t *testing.T) {
	h := start(t, sandbox.Config{})
	cfg := fastConfig(h, nil)
	cfg.Token = "wrong-" + testToken
	_, err := newClient(t, cfg).List(context.Background(), nexudus.ListOptions{})
	if !nexudus.IsUnauthorized(err) {
		t.Fatalf("err = %v, want a 401", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "contactbulk login") || !strings.Contains(msg, "NEXUDUS_TOKEN") || strings.Contains(msg, testToken) {
		t.Errorf("err = %q, want a fix hint and no token", msg)
	}
}

func TestRefresh(t *testing.T) {
	user := sandbox.User{Email: "admin@example.com", Password: "pa55word!"}
	signIn := func(t *testing.T, h *harness) nexudus.Session {
		c := newClient(t, fastConfig(h, nil))
		sess, err := c.SignIn(context.Background(), user.Email, user.Password, "")
		if err != nil {
			t.Fatalf("SignIn: %v", err)
		}
		return sess
	}
	t.Run("after a 401", func(t *testing.T) {
		h := start(t, sandbox.Config{User: user})
		sess := signIn(t, h)
		sess.AccessToken = "revoked"
		var saved []nexudus.Session
		var log logBuffer
		cfg := fastConfig(h, &log)
		cfg.Token, cfg.Session = "", &sess
		cfg.SaveSession = func(s nexudus.Session) error { saved = append(saved, s); return nil }
		c := newClient(t, cfg)
		if _, err := c.List(context.Background(), nexudus.ListOptions{}); err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(saved) != 1 || saved[0].AccessToken == "revoked" || saved[0].RefreshToken == sess.RefreshToken {
			t.Fatalf("saved %d sessions, want one with rotated tokens", len(saved))
		}
		if got := h.requests(http.MethodPost, "/api/token"); got != 2 {
			t.Errorf("token requests = %d, want 2 (sign-in and one refresh)", got)
		}
		if strings.Contains(log.String(), saved[0].AccessToken) || strings.Contains(log.String(), saved[0].RefreshToken) {
			t.Errorf("log %q shows a token", log.String())
		}
	})
	t.Run("after a 401 from an access token the server let expire", func(t *testing.T) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		h := start(t, sandbox.Config{User: user, TokenTTL: 10 * time.Minute, Now: clock})
		sess := signIn(t, h)
		var saved []nexudus.Session
		cfg := fastConfig(h, nil)
		cfg.Token, cfg.Session = "", &sess
		cfg.SaveSession = func(s nexudus.Session) error { saved = append(saved, s); return nil }
		c := newClient(t, cfg)
		if _, err := c.List(context.Background(), nexudus.ListOptions{}); err != nil {
			t.Fatalf("List with a fresh token: %v", err)
		}
		mu.Lock()
		now = now.Add(20 * time.Minute) // the server's clock passes the token's life
		mu.Unlock()
		if _, err := c.List(context.Background(), nexudus.ListOptions{}); err != nil {
			t.Fatalf("List after the token expired: %v", err)
		}
		if len(saved) != 1 {
			t.Fatalf("saved %d sessions, want the one refresh", len(saved))
		}
		if got := h.requests(http.MethodGet, collection); got != 3 {
			t.Errorf("list requests = %d, want 3 (ok, 401, the same again)", got)
		}
	})
	t.Run("when expired, before sending", func(t *testing.T) {
		h := start(t, sandbox.Config{User: user, TokenTTL: time.Hour})
		sess := signIn(t, h)
		var saved []nexudus.Session
		cfg := fastConfig(h, nil)
		cfg.Token, cfg.Session = "", &sess
		cfg.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		cfg.SaveSession = func(s nexudus.Session) error { saved = append(saved, s); return nil }
		c := newClient(t, cfg)
		if _, err := c.List(context.Background(), nexudus.ListOptions{}); err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(saved) != 1 || c.Session().AccessToken != saved[0].AccessToken {
			t.Fatalf("saved %d sessions, want the refreshed one", len(saved))
		}
	})
	t.Run("refresh refused says to log in again", func(t *testing.T) {
		h := start(t, sandbox.Config{User: user})
		sess := signIn(t, h)
		sess.AccessToken, sess.RefreshToken = "revoked", "also-revoked"
		cfg := fastConfig(h, nil)
		cfg.Token, cfg.Session = "", &sess
		_, err := newClient(t, cfg).List(context.Background(), nexudus.ListOptions{})
		if !nexudus.IsUnauthorized(err) || !strings.Contains(err.Error(), "contactbulk login") {
			t.Fatalf("err = %v, want a 401 saying to log in again", err)
		}
		if strings.Contains(err.Error(), "also-revoked") {
			t.Errorf("err shows the refresh token")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		h := start(t, sandbox.Config{User: user})
		_, err := newClient(t, fastConfig(h, nil)).SignIn(context.Background(), user.Email, "nope-"+user.Password, "")
		var ae *nexudus.APIError
		if !errors.As(err, &ae) || strings.Contains(err.Error(), user.Password) {
			t.Fatalf("err = %v, want an APIError without the password", err)
		}
	})
	t.Run("two-factor code required", func(t *testing.T) {
		h := start(t, sandbox.Config{User: sandbox.User{Email: user.Email, Password: user.Password, TOTPSecret: "JBSWY3DPEHPK3PXP"}})
		c := newClient(t, fastConfig(h, nil))
		_, err := c.SignIn(context.Background(), user.Email, user.Password, "")
		if !errors.Is(err, nexudus.ErrTOTPRequired) {
			t.Fatalf("err = %v, want ErrTOTPRequired", err)
		}
		code, err := sandbox.TOTP("JBSWY3DPEHPK3PXP", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SignIn(context.Background(), user.Email, user.Password, code); err != nil {
			t.Fatalf("SignIn with code: %v", err)
		}
	})
}

func TestDailyBudgetIsSharedAcrossClients(t *testing.T) {
	h := start(t, sandbox.Config{})
	file := nexudus.BudgetPath(t.TempDir(), h.ts.URL)
	cfg := fastConfig(h, nil)
	cfg.DailyWrites, cfg.BudgetFile = 2, file
	first := newClient(t, cfg)
	for i := range 2 {
		if _, err := first.Create(context.Background(), contact(fmt.Sprint("Row ", i))); err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
	}
	start := time.Now()
	second := newClient(t, cfg)
	if used, err := second.WritesUsed(); err != nil || used != 2 {
		t.Fatalf("WritesUsed = %d, %v; want 2", used, err)
	}
	_, err := second.Create(context.Background(), contact("Over budget"))
	var be *nexudus.BudgetError
	if !errors.As(err, &be) || be.Limit != 2 {
		t.Fatalf("err = %v, want a BudgetError of 2", err)
	}
	if be.ResumeAt.Before(start.Add(23*time.Hour)) || be.ResumeAt.After(start.Add(25*time.Hour)) {
		t.Errorf("ResumeAt = %s, want about a day from now", be.ResumeAt)
	}
	if got := h.requests(http.MethodPost, collection); got != 2 {
		t.Errorf("creates sent = %d, want 2: nothing over budget", got)
	}
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("budget file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	// A create cancelled before it is sent is not counted.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newClient(t, cfg).Create(cancelled, contact("Never sent")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Create: %v", err)
	}
	// A day later the window has moved on.
	cfg.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if _, err := newClient(t, cfg).Create(context.Background(), contact("Next day")); err != nil {
		t.Fatalf("Create a day later: %v", err)
	}
}

func TestGet(t *testing.T) {
	setup := func(t *testing.T) (*harness, []int64) {
		h := start(t, sandbox.Config{})
		addr := "1 High Street"
		var ids []int64
		for i := range 3 {
			ids = append(ids, h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: fmt.Sprint("P", i), Address: &addr}))
		}
		return h, ids
	}
	check := func(t *testing.T, recs []nexudus.Record, ids []int64) {
		t.Helper()
		if len(recs) != len(ids) {
			t.Fatalf("got %d records, want %d", len(recs), len(ids))
		}
		for i, r := range recs {
			if r.ID != ids[i] || r.Address == nil || *r.Address != "1 High Street" {
				t.Errorf("record %d = Id %d Address %v, want the full record %d", i, r.ID, r.Address, ids[i])
			}
		}
	}
	t.Run("several at once in one request", func(t *testing.T) {
		h, ids := setup(t)
		recs, err := newClient(t, fastConfig(h, nil)).Get(context.Background(), append(ids, 999))
		if err != nil {
			t.Fatal(err)
		}
		check(t, recs, ids)
		if got := h.requests(http.MethodGet, collection); got != 1 {
			t.Errorf("requests = %d, want 1", got)
		}
	})
	for _, tc := range []struct {
		name   string
		inject sandbox.Injection
	}{
		{"falls back when refused", sandbox.Injection{Method: http.MethodGet, Path: collection, Status: 400, Body: `{"Message":"bad id"}`}},
		{"falls back on an odd answer", sandbox.Injection{Method: http.MethodGet, Path: collection, Status: 200, Body: `{"Records":[]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, ids := setup(t)
			h.srv.Inject(tc.inject)
			var log logBuffer
			recs, err := newClient(t, fastConfig(h, &log)).Get(context.Background(), append(ids, 999))
			if err != nil {
				t.Fatal(err)
			}
			check(t, recs, ids)
			for _, id := range append(ids, 999) {
				if got := h.requests(http.MethodGet, fmt.Sprint(collection, "/", id)); got != 1 {
					t.Errorf("GET /%d requests = %d, want 1", id, got)
				}
			}
			if !strings.Contains(log.String(), "one at a time") {
				t.Errorf("log = %q, want a fallback note", log.String())
			}
		})
	}
}

func TestListSendsOptions(t *testing.T) {
	h := start(t, sandbox.Config{})
	h.srv.Generate(30, 1001)
	h.srv.Generate(5, 1002)
	asc := 1
	page, err := newClient(t, fastConfig(h, nil)).List(context.Background(), nexudus.ListOptions{
		Page: 2, Size: 10, OrderBy: "Id", Dir: &asc,
		Filters: map[string][]string{"ContractContact_CoworkerContract": {"1001"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if page.CurrentPage != 2 || page.CurrentPageSize != 10 || page.TotalItems != 30 || len(page.Records) != 10 {
		t.Fatalf("page %d size %d total %d records %d; want page 2 of 10 from 30", page.CurrentPage, page.CurrentPageSize, page.TotalItems, len(page.Records))
	}
	for i := 1; i < len(page.Records); i++ {
		if page.Records[i-1].ID >= page.Records[i].ID {
			t.Fatalf("records not ascending by Id")
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     nexudus.Config
		wantErr string
	}{
		{"plain http elsewhere", nexudus.Config{BaseURL: "http://spaces.nexudus.com"}, "use https"},
		{"not a URL", nexudus.Config{BaseURL: "spaces.nexudus.com"}, "absolute http(s) URL"},
		{"ftp", nexudus.Config{BaseURL: "ftp://example.com"}, "absolute http(s) URL"},
		{"credentials in URL", nexudus.Config{BaseURL: "https://me:pw@example.com"}, "leave credentials out"},
		{"bad rate", nexudus.Config{Rate: nexudus.Rate{N: -1, Per: time.Second}}, "must be positive"},
		{"https", nexudus.Config{BaseURL: "https://spaces.nexudus.com"}, ""},
		{"default", nexudus.Config{}, ""},
		{"http localhost", nexudus.Config{BaseURL: "http://localhost:8080"}, ""},
		{"http 127.0.0.1", nexudus.Config{BaseURL: "http://127.0.0.1:8080/"}, ""},
		{"http ::1", nexudus.Config{BaseURL: "http://[::1]:8080"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nexudus.New(tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("New: %v, want an error containing %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
}

func TestPacingDefaults(t *testing.T) {
	c, err := nexudus.New(nexudus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := nexudus.Pacing{
		Requests:    nexudus.Rate{N: 120, Per: time.Minute},
		MinInterval: 100 * time.Millisecond,
		Writes:      nexudus.Rate{N: 60, Per: time.Minute},
		DailyWrites: 2500,
	}
	if got := c.Pacing(); got != want {
		t.Fatalf("Pacing = %+v, want %+v", got, want)
	}
	if c.BaseURL() != nexudus.DefaultBaseURL {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    nexudus.Rate
		wantErr bool
	}{
		{"60/min", nexudus.Rate{N: 60, Per: time.Minute}, false},
		{"2/s", nexudus.Rate{N: 2, Per: time.Second}, false},
		{"5000/h", nexudus.Rate{N: 5000, Per: time.Hour}, false},
		{" 10 / minute ", nexudus.Rate{N: 10, Per: time.Minute}, false},
		{"1/sec", nexudus.Rate{N: 1, Per: time.Second}, false},
		{"60", nexudus.Rate{}, true},
		{"0/min", nexudus.Rate{}, true},
		{"-5/s", nexudus.Rate{}, true},
		{"x/s", nexudus.Rate{}, true},
		{"5/day", nexudus.Rate{}, true},
		{"", nexudus.Rate{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := nexudus.ParseRate(tc.in)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "like 60/min") {
					t.Fatalf("ParseRate(%q) = %v, %v; want an error showing the form", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if back, err := nexudus.ParseRate(got.String()); err != nil || back != got {
				t.Errorf("String %q does not parse back", got.String())
			}
		})
	}
}

func TestSessionStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "contactbulk")
	store := nexudus.SessionStore{Dir: dir}
	const url = "https://spaces.nexudus.com"
	if s, err := store.Load(url); err != nil || s != nil {
		t.Fatalf("Load before Save = %v, %v; want nothing", s, err)
	}
	want := nexudus.Session{AccessToken: "a", RefreshToken: "r", ClientID: "me@example.com", Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := store.Save(url, want); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(store.Path(url))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("session file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	if dinfo, err := os.Stat(dir); err != nil || dinfo.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, %v; want 0700", dinfo.Mode().Perm(), err)
	}
	got, err := store.Load(url + "/")
	if err != nil || got == nil || got.AccessToken != "a" || got.RefreshToken != "r" || !got.Expiry.Equal(want.Expiry) || got.BaseURL != url {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if other, _ := store.Load("https://other.example.com"); other != nil {
		t.Errorf("a session for one URL was found under another")
	}
	if removed, err := store.Remove(url); err != nil || !removed {
		t.Fatalf("Remove = %v, %v", removed, err)
	}
	if removed, err := store.Remove(url); err != nil || removed {
		t.Fatalf("second Remove = %v, %v; want nothing removed", removed, err)
	}
	if err := os.WriteFile(store.Path(url), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(url); err == nil || !strings.Contains(err.Error(), "contactbulk login") {
		t.Errorf("Load of a damaged file = %v, want a hint", err)
	}
}

func TestClockSkew(t *testing.T) {
	h := start(t, sandbox.Config{})
	cfg := fastConfig(h, nil)
	cfg.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	c := newClient(t, cfg)
	if _, ok := c.ClockSkew(); ok {
		t.Fatal("ClockSkew known before any answer")
	}
	if _, err := c.List(context.Background(), nexudus.ListOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	skew, ok := c.ClockSkew()
	if !ok || skew < 9*time.Minute || skew > 11*time.Minute {
		t.Fatalf("ClockSkew = %s, %v; want about 10m", skew, ok)
	}
}

// BenchmarkPacedList measures the request rate the pacer lets through when
// set to 20/s: the figure should stay under 20 req/s (about 16: each
// 50 ms spacing gets a quarter more as margin).
func BenchmarkPacedList(b *testing.B) {
	srv, err := sandbox.New(sandbox.Config{Token: testToken, Limits: sandbox.Limits{Off: true}})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := nexudus.New(nexudus.Config{BaseURL: ts.URL, HTTPClient: ts.Client(), Token: testToken, Rate: nexudus.Rate{N: 20, Per: time.Second}, MinInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := c.List(ctx, nexudus.ListOptions{Size: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// TestUpdateAndDelete sends a whole record with PUT, then deletes it; both
// report a record that is not there as not found.
func TestUpdateAndDelete(t *testing.T) {
	t.Parallel()
	h := start(t, sandbox.Config{})
	c := newClient(t, fastConfig(h, nil))
	ctx := context.Background()
	ct := contact("Ann Lee")
	ct.Email, ct.Address = "ann@example.com", "1 High St"
	id, err := c.Create(ctx, ct)
	if err != nil {
		t.Fatal(err)
	}
	ct.Email, ct.Address = "ann.lee@example.com", ""
	if err := c.Update(ctx, id, ct); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, err := c.GetOne(ctx, id)
	if err != nil {
		t.Fatalf("GetOne: %v", err)
	}
	if got.Email == nil || *got.Email != "ann.lee@example.com" || got.Address != nil {
		t.Errorf("after update: Email %v, Address %v; want the new email and no address", got.Email, got.Address)
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := c.GetOne(ctx, id); !nexudus.IsNotFound(err) {
		t.Errorf("GetOne after delete: %v, want not found", err)
	}
	if err := c.Delete(ctx, id); !nexudus.IsNotFound(err) {
		t.Errorf("second Delete: %v, want not found", err)
	}
	if err := c.Update(ctx, id, ct); !nexudus.IsNotFound(err) {
		t.Errorf("Update of a deleted record: %v, want not found", err)
	}
}

// TestWriteBudgetCountsOnlyWritesTheServerMayHaveActedOn: a create the
// server refused for credentials, a missing role or a redirect, or that
// the caller cancelled while it waited out a throttle or a refused
// connection, leaves the daily write budget as it was; one the server
// answered, or may have acted on, is counted.
func TestWriteBudgetCountsOnlyWritesTheServerMayHaveActedOn(t *testing.T) {
	t.Parallel()
	refusedURL := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		ln.Close()
		return url
	}
	tests := []struct {
		name     string
		sandbox  sandbox.Config
		inject   *sandbox.Injection
		setup    func(t *testing.T, cfg *nexudus.Config, cancel func())
		wantErr  func(error) bool
		wantUsed int
	}{
		{name: "answered 401", setup: func(_ *testing.T, cfg *nexudus.Config, _ func()) { cfg.Token = "wrong-" + testToken },
			wantErr: nexudus.IsUnauthorized},
		{name: "answered 403", sandbox: sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{"ContractContact-List"}}},
			wantErr: nexudus.IsForbidden},
		{name: "redirect refused", sandbox: sandbox.Config{Behaviour: sandbox.Behaviour{RedirectTo: "http://127.0.0.1:1"}},
			wantErr: func(err error) bool { var re *nexudus.RedirectError; return errors.As(err, &re) }},
		{name: "cancelled during a 409 wait", inject: &sandbox.Injection{Method: http.MethodPost, Status: http.StatusConflict, RetryAfter: "3600"},
			setup: func(_ *testing.T, cfg *nexudus.Config, cancel func()) {
				cfg.MaxRetryAfter = time.Hour
				cfg.Logf = func(string, ...any) { cancel() } // as the wait begins
			},
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) }},
		{name: "cancelled during backoff after refused connections",
			setup: func(t *testing.T, cfg *nexudus.Config, cancel func()) {
				cfg.BaseURL = refusedURL(t)
				cfg.BackoffBase, cfg.BackoffMax = time.Hour, time.Hour
				cfg.Logf = func(string, ...any) { cancel() } // as the backoff begins
			},
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) && !errors.Is(err, nexudus.ErrAmbiguous) }},
		{name: "unreachable", setup: func(t *testing.T, cfg *nexudus.Config, _ func()) { cfg.BaseURL, cfg.MaxRetries = refusedURL(t), 1 },
			wantErr: func(err error) bool { return errors.Is(err, nexudus.ErrUnreachable) }},
		// Counted: the server answered, or may have acted.
		{name: "created", wantErr: func(err error) bool { return err == nil }, wantUsed: 1},
		{name: "answered 400", inject: &sandbox.Injection{Method: http.MethodPost, Status: http.StatusBadRequest, Body: `{"Message":"FullName: required"}`},
			wantErr: func(err error) bool { var ae *nexudus.APIError; return errors.As(err, &ae) && ae.Status == 400 }, wantUsed: 1},
		{name: "answered 500", inject: &sandbox.Injection{Method: http.MethodPost, Status: http.StatusInternalServerError},
			wantErr: func(err error) bool { return errors.Is(err, nexudus.ErrAmbiguous) }, wantUsed: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, tc.sandbox)
			if tc.inject != nil {
				h.srv.Inject(*tc.inject)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := fastConfig(h, nil)
			cfg.DailyWrites, cfg.BudgetFile = 10, nexudus.BudgetPath(t.TempDir(), h.ts.URL)
			if tc.setup != nil {
				tc.setup(t, &cfg, cancel)
			}
			c := newClient(t, cfg)
			_, err := c.Create(ctx, contact("Counted Or Not"))
			if !tc.wantErr(err) {
				t.Fatalf("Create: %v", err)
			}
			if used, err := c.WritesUsed(); err != nil || used != tc.wantUsed {
				t.Errorf("WritesUsed = %d, %v; want %d", used, err, tc.wantUsed)
			}
		})
	}
}

// TestAmbiguousUpdatesAndDeletes: an update or a delete answered 502 is of
// unknown outcome, in words that fit any write (not "created").
func TestAmbiguousUpdatesAndDeletes(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodPut, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			h := start(t, sandbox.Config{})
			c := newClient(t, fastConfig(h, nil))
			id, err := c.Create(context.Background(), contact("Ann Lee"))
			if err != nil {
				t.Fatal(err)
			}
			h.srv.Inject(sandbox.Injection{Method: method, Status: http.StatusBadGateway})
			if method == http.MethodPut {
				err = c.Update(context.Background(), id, contact("Ann Lee-Smith"))
			} else {
				err = c.Delete(context.Background(), id)
			}
			if !errors.Is(err, nexudus.ErrAmbiguous) {
				t.Fatalf("err = %v, want ErrAmbiguous", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "may have taken effect") || strings.Contains(msg, "created") {
				t.Errorf("err = %q, want words for any write", msg)
			}
		})
	}
}
