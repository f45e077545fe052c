package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

func TestDoctor(t *testing.T) {
	tests := []struct {
		name       string
		sandbox    sandbox.Config
		records    int
		env        func(url string) map[string]string
		args       []string
		login      bool
		inject     *sandbox.Injection
		wantExit   int
		wantOut    []string
		wantErr    string
		notWantOut []string
	}{
		{
			name: "healthy", records: 3,
			env: func(url string) map[string]string {
				return map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken}
			},
			wantExit: exitOK,
			wantOut: []string{"ok    url          http://127.0.0.1:", "ok    credentials  NEXUDUS_TOKEN", "ok    reachable", "ok    list role    may list contract contacts (3 visible)",
				"ok    clock", "ok    paging       dir 1 = ascending (endpoint page convention)"},
			notWantOut: []string{"FAIL"},
		},
		{
			name: "legacy direction", records: 3, sandbox: sandbox.Config{Behaviour: sandbox.Behaviour{Direction: sandbox.DirLegacy}},
			env: func(url string) map[string]string {
				return map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken}
			},
			wantExit: exitOK,
			wantOut:  []string{"ok    paging       dir 0/1 legacy convention (1 = descending)"},
		},
		{
			name: "too few records to see the direction",
			env: func(url string) map[string]string {
				return map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken}
			},
			wantExit: exitOK,
			wantOut:  []string{"ok    list role    may list contract contacts (0 visible)", "fewer than 2 records"},
		},
		{
			name: "saved login shows its expiry", records: 2, login: true,
			env:      func(url string) map[string]string { return map[string]string{"NEXUDUS_URL": url} },
			wantExit: exitOK,
			wantOut:  []string{"ok    credentials  saved login (" + clientTestEmail + ")", "ok    expiry       access token valid until"},
		},
		{
			name: "bad token",
			env: func(url string) map[string]string {
				return map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": "wrong-" + clientTestToken}
			},
			wantExit: exitCannotRun,
			wantOut:  []string{"FAIL  list role    credentials refused", "fix: run `contactbulk login` again or set a valid NEXUDUS_TOKEN"},
			wantErr:  "doctor: 1 check(s) failed; see the fixes above",
		},
		{
			name:     "no credentials",
			env:      func(url string) map[string]string { return map[string]string{"NEXUDUS_URL": url} },
			wantExit: exitCannotRun,
			wantOut:  []string{"FAIL  credentials  none found", "fix: run `contactbulk login` or set NEXUDUS_TOKEN"},
			wantErr:  "doctor: 1 check(s) failed",
		},
		{
			name:     "plain http elsewhere",
			env:      func(string) map[string]string { return map[string]string{"NEXUDUS_TOKEN": clientTestToken} },
			args:     []string{"--url", "http://spaces.nexudus.com"},
			wantExit: exitCannotRun,
			wantOut:  []string{"FAIL  url          URL http://spaces.nexudus.com: plain http would send the token in clear", "fix: pass --url https://"},
		},
		{
			name:     "unreachable",
			env:      func(string) map[string]string { return map[string]string{"NEXUDUS_TOKEN": clientTestToken} },
			args:     []string{"--url", "closed"},
			wantExit: exitCannotRun,
			wantOut:  []string{"FAIL  reachable", "fix: check --url or NEXUDUS_URL"},
		},
		{
			name: "server errors",
			env: func(url string) map[string]string {
				return map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken}
			},
			inject:   &sandbox.Injection{Method: http.MethodGet, Status: 503, Times: 5},
			wantExit: exitCannotRun,
			wantOut:  []string{"FAIL  list role    a one-record listing failed: nexudus: HTTP 503"},
		},
		{
			name: "bad rate flag",
			env: func(url string) map[string]string {
				return map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken}
			},
			args:     []string{"--rate", "lots"},
			wantExit: exitCannotRun,
			wantOut:  []string{"FAIL  setup        --rate: rate \"lots\""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := startClientSandbox(t, tc.sandbox)
			srv.Generate(tc.records, 1001)
			if tc.inject != nil {
				srv.Inject(*tc.inject)
			}
			a, stdout, stderr := clientTestApp(t, tc.env(url))
			if tc.login {
				signer, err := nexudus.New(nexudus.Config{BaseURL: url, MinInterval: -1})
				if err != nil {
					t.Fatal(err)
				}
				sess, err := signer.SignIn(context.Background(), clientTestEmail, clientTestPassword, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := (nexudus.SessionStore{Dir: a.configDir}).Save(url, sess); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"doctor", "--rate", "100/s"}, tc.args...)
			for i, arg := range args {
				if arg == "closed" {
					args[i] = closedURL(t)
				}
			}
			err := a.run(context.Background(), args)
			if code := exitCode(err); code != tc.wantExit {
				t.Fatalf("exit = %d (%v), want %d\nstdout:\n%s", code, err, tc.wantExit, stdout)
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, not := range tc.notWantOut {
				if strings.Contains(stdout.String(), not) {
					t.Errorf("stdout has %q:\n%s", not, stdout)
				}
			}
			msg := exitText(err)
			if !strings.Contains(msg, tc.wantErr) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line containing %q", msg, tc.wantErr)
			}
			for _, out := range []string{msg, stdout.String(), stderr.String()} {
				if strings.Contains(out, clientTestToken) || strings.Contains(out, clientTestPassword) {
					t.Errorf("output shows a secret: %q", out)
				}
			}
		})
	}
}

func TestDoctorEmbeddedSandbox(t *testing.T) {
	a, stdout, _ := clientTestApp(t, nil)
	if err := a.run(context.Background(), []string{"doctor", "--sandbox"}); err != nil {
		t.Fatalf("doctor --sandbox: %v\n%s", err, stdout)
	}
	for _, want := range []string{"ok    credentials  embedded sandbox", "ok    list role"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

// TestFailingRunsShowNoSecrets captures everything a failing doctor and a
// failing login write, and the client's notes while throttled and retried,
// and looks for the token and the password in it.
func TestFailingRunsShowNoSecrets(t *testing.T) {
	srv, url := startClientSandbox(t, sandbox.Config{})
	srv.Inject(sandbox.Injection{Status: http.StatusConflict, RetryAfter: "0", Times: 2})
	srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: 502, Times: 1})
	badToken := "wrong-" + clientTestToken
	a, stdout, stderr := clientTestApp(t, map[string]string{
		"NEXUDUS_URL":      url,
		"NEXUDUS_TOKEN":    badToken,
		"NEXUDUS_USERNAME": clientTestEmail,
		"NEXUDUS_PASSWORD": "x" + clientTestPassword,
	})
	var text []string
	for _, args := range [][]string{{"doctor", "--rate", "100/s"}, {"login"}} {
		err := a.run(context.Background(), args)
		if exitCode(err) != exitCannotRun {
			t.Fatalf("%v: exit %d (%v), want 2", args, exitCode(err), err)
		}
		text = append(text, exitText(err))
	}
	// The good token, used with throttling and retries, through connect's logger.
	good, gout, gerr := clientTestApp(t, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken})
	srv.Inject(sandbox.Injection{Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 1})
	srv.Inject(sandbox.Injection{Method: http.MethodPost, Drop: true})
	client, closeFn, err := good.connect(context.Background(), &clientFlags{rate: "100/s", timeout: 5 * time.Second, writes: true, dailyWrites: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	_, err = client.Create(context.Background(), mapping.Contact{CoworkerContractID: 1001, FullName: "Dropped"})
	if err == nil {
		t.Fatal("Create with a dropped connection succeeded")
	}
	text = append(text, err.Error(), stdout.String(), stderr.String(), gout.String(), gerr.String())
	all := strings.Join(text, "\n")
	if !strings.Contains(all, "throttled (409)") || !strings.Contains(all, "throttled (429)") {
		t.Errorf("expected throttle notes in the captured text:\n%s", all)
	}
	for _, secret := range []string{clientTestToken, clientTestPassword, "Bearer", "Authorization"} {
		if strings.Contains(all, secret) {
			t.Errorf("captured output contains %q:\n%s", secret, all)
		}
	}
}

func TestClockVerdict(t *testing.T) {
	tests := []struct {
		name   string
		skew   time.Duration
		want   string
		wantOK bool
	}{
		{"in step", 200 * time.Millisecond, "within 1s of the server's", true},
		{"a little behind", -90 * time.Second, "within 2m0s of the server's", true},
		{"local clock behind", 10 * time.Minute, "the local clock is 10m0s behind the server's", false},
		{"local clock ahead", -2 * time.Hour, "the local clock is 2h0m0s ahead of the server's", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := clockVerdict(tc.skew)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("clockVerdict(%s) = %q, %v; want %q, %v", tc.skew, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestExpiryText(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if got := expiryText(time.Time{}, now); got != "the login carries no expiry" {
		t.Errorf("zero expiry: %q", got)
	}
	if got := expiryText(now.Add(36*time.Hour), now); !strings.Contains(got, "(in 36h0m0s; renewed automatically)") {
		t.Errorf("expiry text = %q", got)
	}
}
