package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// testApp is an app with buffers for its streams, env as its environment
// and fresh config and cache dirs.
func testApp(t *testing.T, env map[string]string, stdin string) (*app, *syncBuffer, *syncBuffer) {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	dir := t.TempDir()
	return &app{
		stdin:      strings.NewReader(stdin),
		stdout:     stdout,
		stderr:     stderr,
		getenv:     func(k string) string { return env[k] },
		configDir:  filepath.Join(dir, "config"),
		cacheDir:   filepath.Join(dir, "cache"),
		isTerminal: func(any) bool { return false },
		httpClient: testHTTPClient(t),
	}, stdout, stderr
}

// testHTTPClient is an HTTP client with a transport of its own, closed
// when the test ends: http.DefaultTransport's idle connections are closed
// by every httptest.Server.Close, which can cut another test's request
// short (a create then of unknown outcome).
func testHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// runCLI runs contactbulk with args in-process, as main would, and returns
// stdout, stderr (with main's error line) and the exit code. It fails the
// test if any secret in env shows up in the output.
func runCLI(ctx context.Context, t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	a, stdout, stderr := testApp(t, env, stdin)
	err := a.run(ctx, args)
	if err != nil && err.Error() != "" {
		stderr.Write([]byte("contactbulk: " + err.Error() + "\n"))
	}
	out := stdout.String() + stderr.String()
	for _, k := range []string{"NEXUDUS_TOKEN", "NEXUDUS_PASSWORD"} {
		if v := env[k]; v != "" && strings.Contains(out, v) {
			t.Errorf("the value of %s appears in the output:\n%s", k, out)
		}
	}
	return stdout.String(), stderr.String(), exitCode(err)
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantExit   int
		wantStdout string
		wantStderr string
	}{
		{"no command prints help", nil, exitOK, "Available Commands", ""},
		{"version", []string{"version"}, exitOK, "contactbulk ", ""},
		{"help for a command has examples", []string{"export", "--help"}, exitOK, "Examples:", ""},
		{"flags after arguments", []string{"import", "samples/contacts.csv", "--dry-run"}, exitOK, "", "20 valid"},
		{"unknown command", []string{"bogus"}, exitCannotRun, "", `unknown command "bogus"`},
		{"unknown flag", []string{"export", "--bogus"}, exitCannotRun, "", "unknown flag: --bogus"},
		{"number flag", []string{"import", "--concurrency", "abc", "x.csv"}, exitCannotRun, "", `invalid argument "abc" for "--concurrency" flag: not a whole number`},
		{"duration flag", []string{"export", "--timeout", "5"}, exitCannotRun, "", "not a duration; use a number with a unit, like 30s"},
		{"empty column list", []string{"export", "--sandbox", "--columns", ""}, exitCannotRun, "", "--columns \"\" names no column"},
		{"unknown encoding", []string{"import", "--dry-run", "--encoding", "latin9", "samples/contacts.csv"}, exitCannotRun, "", `--encoding "latin9": not an encoding`},
		{"stray argument", []string{"version", "extra"}, exitCannotRun, "", "takes no arguments"},
		{"missing file argument", []string{"import"}, exitCannotRun, "", "import needs one FILE"},
		{"unreadable file", []string{"import", "--dry-run", "no-such.csv"}, exitCannotRun, "", "no-such.csv"},
		{"invalid rows", []string{"import", "--dry-run", "samples/contacts-with-errors.csv"}, exitRowsFailed, "", "invalid"},
		{"bad rate", []string{"export", "--sandbox", "--rate", "fast"}, exitCannotRun, "", "--rate"},
		{"plain http refused", []string{"export", "--url", "http://example.com"}, exitCannotRun, "", "plain http would send the token in clear"},
		{"doctor says how to fix", []string{"doctor", "--url", "http://example.com"}, exitCannotRun, "fix: pass --url https://", "check(s) failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(context.Background(), t, map[string]string{}, "", tc.args...)
			if code != tc.wantExit {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantExit, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not contain %q:\n%s", tc.wantStderr, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") {
				t.Errorf("stack trace shown to the user:\n%s", stderr)
			}
		})
	}
}
