package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

const (
	clientTestToken    = "tok-Zq8v1-secret"
	clientTestEmail    = "admin@example.com"
	clientTestPassword = "hunter2-Pa55!"
)

// syncBuffer is a bytes.Buffer safe for the client's concurrent notes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clientTestApp is an app with buffers for its streams, env as its
// environment and temporary config and cache dirs.
func clientTestApp(t *testing.T, env map[string]string) (*app, *syncBuffer, *syncBuffer) {
	t.Helper()
	return testApp(t, env, "")
}

// startClientSandbox runs a sandbox (limits off unless cfg sets them) with
// the test token and user in httptest.
func startClientSandbox(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string) {
	t.Helper()
	if cfg.Limits == (sandbox.Limits{}) {
		cfg.Limits = sandbox.Limits{Off: true}
	}
	cfg.Token = clientTestToken
	if cfg.User.Email == "" {
		cfg.User = sandbox.User{Email: clientTestEmail, Password: clientTestPassword}
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return srv, ts.URL
}

func TestRegisterFlags(t *testing.T) {
	tests := []struct {
		name      string
		writes    bool
		wantRate  string
		wantDaily bool
	}{
		{"writes", true, "60/min", true},
		{"reads", false, "120/min", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f clientFlags
			cmd := &cobra.Command{Use: "x"}
			f.register(cmd, tc.writes)
			if got := cmd.Flags().Lookup("rate").DefValue; got != tc.wantRate {
				t.Errorf("--rate default = %q, want %q", got, tc.wantRate)
			}
			if got := cmd.Flags().Lookup("daily-writes") != nil; got != tc.wantDaily {
				t.Errorf("--daily-writes registered = %v, want %v", got, tc.wantDaily)
			}
			// Updates and deletes are paced and counted as creates are.
			if tc.writes {
				for _, name := range []string{"rate", "daily-writes"} {
					if usage := cmd.Flags().Lookup(name).Usage; !strings.Contains(usage, "writes (creates, updates, deletes)") {
						t.Errorf("--%s: %q, want it to say writes (creates, updates, deletes)", name, usage)
					}
				}
			}
			for _, name := range []string{"url", "sandbox", "timeout"} {
				if cmd.Flags().Lookup(name) == nil {
					t.Errorf("--%s not registered", name)
				}
			}
			if cmd.Flags().Lookup("token") != nil {
				t.Error("a --token flag would leak into shell history")
			}
			if err := cmd.ParseFlags([]string{"--rate", "2/s", "--timeout", "5s"}); err != nil {
				t.Fatal(err)
			}
			if f.rate != "2/s" || f.timeout != 5*time.Second || f.writes != tc.writes {
				t.Errorf("flags = %+v", f)
			}
		})
	}
}

func TestConnectRefusesBadConfiguration(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-token")
	blank := filepath.Join(t.TempDir(), "blank")
	if err := os.WriteFile(blank, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoLines := filepath.Join(t.TempDir(), "two-lines")
	if err := os.WriteFile(twoLines, []byte("abc\ndef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := clientFlags{rate: "60/min", timeout: time.Second}
	tests := []struct {
		name    string
		flags   clientFlags
		env     map[string]string
		wantErr string
	}{
		{"bad rate", clientFlags{rate: "fast", timeout: time.Second}, map[string]string{"NEXUDUS_TOKEN": "t"}, "--rate"},
		{"zero timeout", clientFlags{rate: "60/min"}, map[string]string{"NEXUDUS_TOKEN": "t"}, "--timeout"},
		{"zero daily writes", clientFlags{rate: "60/min", timeout: time.Second, writes: true}, map[string]string{"NEXUDUS_TOKEN": "t"}, "--daily-writes"},
		{"plain http elsewhere", good, map[string]string{"NEXUDUS_URL": "http://spaces.nexudus.com", "NEXUDUS_TOKEN": "t"}, "use https"},
		{"plain http flag", clientFlags{url: "http://example.com", rate: "60/min", timeout: time.Second}, map[string]string{"NEXUDUS_TOKEN": "t"}, "set --url or NEXUDUS_URL"},
		{"no credentials", good, nil, "run `contactbulk login` or set NEXUDUS_TOKEN"},
		{"token file missing", good, map[string]string{"NEXUDUS_TOKEN_FILE": missing}, "NEXUDUS_TOKEN_FILE"},
		{"token file blank", good, map[string]string{"NEXUDUS_TOKEN_FILE": blank}, "must hold the token"},
		{"sandbox and url", clientFlags{url: "https://x.example.com", rate: "60/min", timeout: time.Second, sandbox: true}, nil, "choose one"},
		{"token with a newline", good, map[string]string{"NEXUDUS_TOKEN": "abc\ndef"}, "NEXUDUS_TOKEN: the token has a space, line break"},
		{"token with a space", good, map[string]string{"NEXUDUS_TOKEN": "abc def"}, "NEXUDUS_TOKEN: the token has a space"},
		{"token file with two lines", good, map[string]string{"NEXUDUS_TOKEN_FILE": twoLines}, "must hold the token alone on one line"},
		{"huge rate", clientFlags{rate: "99999999999999999999/s", timeout: time.Second}, map[string]string{"NEXUDUS_TOKEN": "t"}, "--rate: rate \"99999999999999999999/s\": at most 1000000"},
		{"large rate", clientFlags{rate: "4611686018427387904/s", timeout: time.Second, writes: true, dailyWrites: 1}, map[string]string{"NEXUDUS_TOKEN": "t"}, "at most 1000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := clientTestApp(t, tc.env)
			f := tc.flags
			_, closeFn, err := a.connect(context.Background(), &f)
			if err == nil {
				closeFn()
				t.Fatal("connect succeeded, want a usage error")
			}
			if code := exitCode(err); code != exitCannotRun {
				t.Errorf("exit code = %d, want 2", code)
			}
			if !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestConnectCredentialOrder(t *testing.T) {
	_, url := startClientSandbox(t, sandbox.Config{})
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(clientTestToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongFile := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongFile, []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    map[string]string
		saved  bool
		wantOK bool
	}{
		{"NEXUDUS_TOKEN", map[string]string{"NEXUDUS_TOKEN": clientTestToken}, false, true},
		{"NEXUDUS_TOKEN wins over the file", map[string]string{"NEXUDUS_TOKEN": clientTestToken, "NEXUDUS_TOKEN_FILE": wrongFile}, false, true},
		{"NEXUDUS_TOKEN_FILE", map[string]string{"NEXUDUS_TOKEN_FILE": tokenFile}, false, true},
		{"the file wins over the saved login", map[string]string{"NEXUDUS_TOKEN_FILE": wrongFile}, true, false},
		{"saved login", nil, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"NEXUDUS_URL": url}
			for k, v := range tc.env {
				env[k] = v
			}
			a, _, _ := clientTestApp(t, env)
			if tc.saved {
				store := nexudus.SessionStore{Dir: a.configDir}
				if err := store.Save(url, nexudus.Session{AccessToken: clientTestToken, ClientID: clientTestEmail}); err != nil {
					t.Fatal(err)
				}
			}
			client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: "100/s", timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer closeFn()
			_, err = client.List(context.Background(), nexudus.ListOptions{Size: 1})
			if tc.wantOK && err != nil {
				t.Fatalf("List: %v", err)
			}
			if !tc.wantOK && !nexudus.IsUnauthorized(err) {
				t.Fatalf("List: %v, want 401 from the wrong token", err)
			}
		})
	}
}

func TestConnectPacingFromFlags(t *testing.T) {
	a, _, _ := clientTestApp(t, map[string]string{"NEXUDUS_TOKEN": "t"})
	tests := []struct {
		name  string
		flags clientFlags
		want  nexudus.Pacing
	}{
		{"import", clientFlags{rate: "30/min", dailyWrites: 100, writes: true, timeout: time.Second},
			nexudus.Pacing{Requests: nexudus.Rate{N: 120, Per: time.Minute}, MinInterval: 100 * time.Millisecond, Writes: nexudus.Rate{N: 30, Per: time.Minute}, DailyWrites: 100, PerHour: 5000}},
		{"export", clientFlags{rate: "2/s", timeout: time.Second},
			nexudus.Pacing{Requests: nexudus.Rate{N: 2, Per: time.Second}, MinInterval: 100 * time.Millisecond, Writes: nexudus.Rate{N: 60, Per: time.Minute}, DailyWrites: -1, PerHour: 5000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.flags
			client, closeFn, err := a.connect(context.Background(), &f)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			if got := client.Pacing(); got != tc.want {
				t.Errorf("Pacing = %+v, want %+v", got, tc.want)
			}
			if client.BaseURL() != nexudus.DefaultBaseURL {
				t.Errorf("BaseURL = %q, want the default", client.BaseURL())
			}
		})
	}
}

// TestConnectLiftsRequestPacingOnlyOnThisMachine: an import --rate faster
// than the requests may go lifts the request pacing against a server on
// this machine (a sandbox), up to the largest rate a client takes, and
// never against any other, where a note says the documented limits hold.
func TestConnectLiftsRequestPacingOnlyOnThisMachine(t *testing.T) {
	t.Parallel()
	documented := nexudus.Pacing{Requests: nexudus.DefaultRate(), MinInterval: nexudus.DefaultMinInterval, PerHour: nexudus.DocumentedPerHour}
	lifted := func(r nexudus.Rate) nexudus.Pacing { return nexudus.Pacing{Requests: r, MinInterval: -1} }
	tests := []struct {
		name, url, rate string
		want            nexudus.Pacing // Writes and DailyWrites aside
		wantNote        bool
	}{
		{"a sandbox, fast", "http://127.0.0.1:8080", "1000/s", lifted(nexudus.Rate{N: 2000, Per: time.Second}), false},
		{"a sandbox, as fast as a rate may be", "http://localhost:8080", "600000/s", lifted(nexudus.Rate{N: nexudus.MaxRateCount, Per: time.Second}), false},
		{"a sandbox, the documented rate", "http://127.0.0.1:8080", "60/min", documented, false},
		{"Nexudus, fast", "https://space.example", "3/s", documented, true},
		{"Nexudus, faster than any limit", "https://space.example", "600000/s", documented, true},
		{"Nexudus, the documented rate", "https://space.example", "60/min", documented, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _, stderr := clientTestApp(t, map[string]string{"NEXUDUS_URL": tc.url, "NEXUDUS_TOKEN": "t"})
			client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: tc.rate, dailyWrites: 100, writes: true, timeout: time.Second})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer closeFn()
			got := client.Pacing()
			got.Writes, got.DailyWrites = nexudus.Rate{}, 0
			if got != tc.want {
				t.Errorf("Pacing = %+v, want %+v", got, tc.want)
			}
			if note := strings.Contains(stderr.String(), "--rate "+tc.rate+" asks for more writes than the 120/min requests Nexudus allows"); note != tc.wantNote {
				t.Errorf("stderr = %q; want the note: %v", stderr.String(), tc.wantNote)
			}
		})
	}
}

func TestConnectEmbeddedSandboxKeepsRecords(t *testing.T) {
	a, _, _ := clientTestApp(t, nil)
	f := clientFlags{rate: "60/min", dailyWrites: 10, writes: true, sandbox: true, timeout: 5 * time.Second}
	client, closeFn, err := a.connect(context.Background(), &f)
	if err != nil {
		t.Fatalf("connect --sandbox: %v", err)
	}
	if !strings.HasPrefix(client.BaseURL(), "http://127.0.0.1:") {
		t.Errorf("sandbox URL = %q, want loopback", client.BaseURL())
	}
	id, err := client.Create(context.Background(), mapping.Contact{CoworkerContractID: 1001, FullName: "Kept Across Runs", ContractContactType: mapping.TypeDirector})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	closeFn()
	closeFn() // idempotent

	info, err := os.Stat(filepath.Join(a.cacheDir, "sandbox.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("sandbox.json: %v; want a 0600 file", err)
	}
	reader := clientFlags{rate: "120/min", sandbox: true, timeout: 5 * time.Second}
	client, closeFn, err = a.connect(context.Background(), &reader)
	if err != nil {
		t.Fatalf("second connect --sandbox: %v", err)
	}
	defer closeFn()
	recs, err := client.Get(context.Background(), []int64{id})
	if err != nil || len(recs) != 1 || recs[0].FullName != "Kept Across Runs" {
		t.Fatalf("Get after restart = %+v, %v; want the record created before", recs, err)
	}
	if used, err := client.WritesUsed(); err != nil || used != 0 {
		t.Errorf("a read-only connection counts %d writes (%v)", used, err)
	}
}

func TestConnectLogsThrottlingToStderr(t *testing.T) {
	srv, url := startClientSandbox(t, sandbox.Config{})
	srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: http.StatusConflict, RetryAfter: "0", Times: 1})
	a, stdout, stderr := clientTestApp(t, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken})
	client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: "100/s", timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if _, err := client.List(context.Background(), nexudus.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "contactbulk: throttled (409), waiting") || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr = %q, want one throttle note", got)
	}
	if stdout.String() != "" {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
	if strings.Contains(stderr.String(), clientTestToken) {
		t.Error("stderr shows the token")
	}
}

func TestConnectSavesRefreshedLogin(t *testing.T) {
	_, url := startClientSandbox(t, sandbox.Config{})
	a, _, _ := clientTestApp(t, map[string]string{"NEXUDUS_URL": url})
	store := nexudus.SessionStore{Dir: a.configDir}
	signer, err := nexudus.New(nexudus.Config{BaseURL: url, HTTPClient: testHTTPClient(t), MinInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := signer.SignIn(context.Background(), clientTestEmail, clientTestPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	sess.AccessToken = "revoked"
	if err := store.Save(url, sess); err != nil {
		t.Fatal(err)
	}
	client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: "100/s", timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if _, err := client.List(context.Background(), nexudus.ListOptions{}); err != nil {
		t.Fatalf("List: %v", err)
	}
	saved, err := store.Load(url)
	if err != nil || saved == nil || saved.AccessToken == "revoked" || saved.RefreshToken == sess.RefreshToken {
		t.Fatalf("saved login after refresh = %+v, %v; want rotated tokens", saved, err)
	}
}

// exitText is what main would print for err.
func exitText(err error) string {
	if err == nil {
		return ""
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ""
	}
	return "contactbulk: " + err.Error()
}

func TestLockedStderr(t *testing.T) {
	a, _, stderr := clientTestApp(t, nil)
	logf := a.logger()
	w := a.stderr
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() { defer wg.Done(); logf("note %d", i) }()
		go func() { defer wg.Done(); w.Write([]byte("progress\n")) }()
	}
	wg.Wait()
	if got := strings.Count(stderr.String(), "\n"); got != 16 {
		t.Errorf("lines = %d, want 16", got)
	}
	if a.lockedStderr() != w {
		t.Error("stderr wrapped twice")
	}
	a.stderr = os.Stderr
	if a.lockedStderr() != os.Stderr {
		t.Error("an *os.File was wrapped, hiding the terminal")
	}
}

// TestConnectNeverShowsUserInfo: a URL with a user name (and password) in
// it is refused, exit 2, and no part of the user info is shown.
func TestConnectNeverShowsUserInfo(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"https://ann.lee@spaces.nexudus.com", "https://ann.lee:pa55word@spaces.nexudus.com/x?y=1", "ann.lee:pa55word@spaces.nexudus.com",
		// Passwords that stop a URL parser: / ? #.
		"https://ann.lee:pa55/word@spaces.nexudus.com", "https://ann.lee:pa55?word@spaces.nexudus.com", "https://ann.lee:pa55#word@spaces.nexudus.com"} {
		t.Run(raw, func(t *testing.T) {
			a, stdout, stderr := clientTestApp(t, map[string]string{"NEXUDUS_URL": raw, "NEXUDUS_TOKEN": "t"})
			_, _, err := a.connect(context.Background(), &clientFlags{rate: "60/min", timeout: time.Second})
			if exitCode(err) != exitCannotRun {
				t.Fatalf("connect: %v, want exit 2", err)
			}
			for _, out := range []string{err.Error(), stdout.String(), stderr.String()} {
				if strings.Contains(out, "ann") || strings.Contains(out, "pa55") {
					t.Errorf("output shows the user info: %q", out)
				}
			}
		})
	}
}

// TestConnectChecksTheStateFolder: an unwritable state folder, or a write
// budget dated after the clock, is exit 2 at the start, naming the folder
// or the file to delete.
func TestConnectChecksTheStateFolder(t *testing.T) {
	t.Parallel()
	t.Run("unwritable", func(t *testing.T) {
		a, _, _ := clientTestApp(t, map[string]string{"NEXUDUS_TOKEN": "t"})
		if err := os.WriteFile(a.cacheDir, nil, 0o600); err != nil { // a file where the folder should be
			t.Fatal(err)
		}
		_, _, err := a.connect(context.Background(), &clientFlags{rate: "60/min", dailyWrites: 10, writes: true, timeout: time.Second})
		if exitCode(err) != exitCannotRun || !strings.Contains(err.Error(), a.cacheDir) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("connect: %v, want exit 2 naming %s", err, a.cacheDir)
		}
	})
	t.Run("budget from the future", func(t *testing.T) {
		a, _, _ := clientTestApp(t, map[string]string{"NEXUDUS_TOKEN": "t"})
		path := nexudus.BudgetPath(a.cacheDir, nexudus.DefaultBaseURL)
		if err := os.MkdirAll(a.cacheDir, 0o700); err != nil {
			t.Fatal(err)
		}
		next := time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)
		if err := os.WriteFile(path, []byte(`{"writes":["`+next+`"]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := a.connect(context.Background(), &clientFlags{rate: "60/min", dailyWrites: 10, writes: true, timeout: time.Second})
		if exitCode(err) != exitCannotRun || !strings.Contains(err.Error(), "delete "+path) {
			t.Fatalf("connect: %v, want exit 2 saying to delete %s", err, path)
		}
	})
}

func TestCheckConcurrency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n  int
		ok bool
	}{{1, true}, {4, true}, {nexudus.MaxConcurrency, true}, {0, false}, {-3, false}, {nexudus.MaxConcurrency + 1, false}, {100000000, false}} {
		err := checkConcurrency(tc.n)
		if (err == nil) != tc.ok {
			t.Errorf("checkConcurrency(%d) = %v, want ok %v", tc.n, err, tc.ok)
		}
		if err != nil && (exitCode(err) != exitCannotRun || !strings.Contains(err.Error(), "--concurrency")) {
			t.Errorf("checkConcurrency(%d) = %v, want a usage error naming --concurrency", tc.n, err)
		}
	}
}

// TestExitCodesOfStops: what must be fixed first is exit 2; a lasting
// throttle, like the daily budget, leaves rows pending: exit 1.
func TestExitCodesOfStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"401", &nexudus.APIError{Status: 401}, exitCannotRun},
		{"403", &nexudus.ForbiddenError{Role: "ContractContact-Create", Err: &nexudus.APIError{Status: 403}}, exitCannotRun},
		{"unreachable", fmt.Errorf("create contact: %w: dial refused", nexudus.ErrUnreachable), exitCannotRun},
		{"redirect", fmt.Errorf("list: %w", &nexudus.RedirectError{Status: 302}), exitCannotRun},
		{"state file", &nexudus.StateError{Path: "x"}, exitCannotRun},
		{"throttled", &nexudus.ThrottledError{Status: 409, Err: &nexudus.APIError{Status: 409}}, exitRowsFailed},
		{"budget", &nexudus.BudgetError{Limit: 1}, exitRowsFailed},
	}
	for _, tc := range tests {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}
