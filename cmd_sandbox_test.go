package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// sandboxOutput is a buffer the running sandbox command writes to while
// the test reads it.
type sandboxOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *sandboxOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *sandboxOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

var exportLine = regexp.MustCompile(`export NEXUDUS_URL=(\S+) NEXUDUS_TOKEN=(\S+)`)

// startSandboxCommand runs `contactbulk sandbox args...` in-process and
// returns the URL and token it printed, and a stop function returning what
// run returned.
func startSandboxCommand(t *testing.T, run func(ctx context.Context, stdout, stderr io.Writer) error) (url, token string, stdout, stderr *sandboxOutput, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &sandboxOutput{}, &sandboxOutput{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, stdout, stderr) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("the sandbox command did not stop after cancel")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if m := exportLine.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], m[2], stdout, stderr, stop
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox command ended early: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox command printed no URL:\n%s", stdout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSandboxCommand runs the command through run and answers the curl of
// the endpoint page: GET ?page=1&size=15&orderBy=FullName&dir=1 with a
// bearer token.
func TestSandboxCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sandbox.json")
	args := []string{"sandbox", "--addr", "127.0.0.1:0", "--token", "cmd-test-token", "--records", "20", "--awkward", "--no-limits", "--data", data}
	url, token, stdout, stderr, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, nil, args, strings.NewReader(""), stdout, stderr)
	})
	if token != "cmd-test-token" || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed URL %q token %q", url, token)
	}
	for _, want := range []string{`curl -H "Authorization: Bearer cmd-test-token"`, "Press Ctrl-C", "32 records"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	get := func(auth string) (int, []byte) {
		req, _ := http.NewRequest("GET", url+"/api/billing/contractcontacts?page=1&size=15&orderBy=FullName&dir=1", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := testHTTPClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, b := get("Bearer " + token)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	var page struct {
		Records []struct {
			FullName string
			Address  *string
		}
		CurrentPageSize      int
		CurrentOrderField    string
		CurrentSortDirection int
		TotalItems           int
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 15 || page.CurrentPageSize != 15 || page.CurrentOrderField != "FullName" || page.CurrentSortDirection != 1 || page.TotalItems != 32 {
		t.Errorf("page: %d records, size %d, order %q %d, total %d", len(page.Records), page.CurrentPageSize, page.CurrentOrderField, page.CurrentSortDirection, page.TotalItems)
	}
	for i := 1; i < len(page.Records); i++ {
		if strings.ToLower(page.Records[i-1].FullName) > strings.ToLower(page.Records[i].FullName) {
			t.Errorf("not ordered by FullName: %q before %q", page.Records[i-1].FullName, page.Records[i].FullName)
		}
	}
	if status, _ := get(""); status != 401 {
		t.Errorf("without token: status %d, want 401", status)
	}

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after Ctrl-C", err)
	}
	info, err := os.Stat(data)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("data file: %v, mode %v; want 0600", err, info)
	}
	if !strings.Contains(stderr.String(), "32 records saved") {
		t.Errorf("stderr: %s", stderr)
	}

	t.Run("data is there on the next run", func(t *testing.T) {
		args := []string{"sandbox", "--addr", "127.0.0.1:0", "--data", data}
		_, token, stdout, _, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
			return run(ctx, nil, args, strings.NewReader(""), stdout, stderr)
		})
		if len(token) < 32 {
			t.Errorf("random token %q is too short", token)
		}
		if !strings.Contains(stdout.String(), "(32 records, kept in") {
			t.Errorf("output: %s", stdout)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSandboxCommandLogin(t *testing.T) {
	a := &app{stdin: strings.NewReader(""), isTerminal: func(any) bool { return false },
		getenv: func(k string) string {
			return map[string]string{"SB_PW": "pa55 word"}[k]
		}}
	url, _, stdout, stderr, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		a.stdout, a.stderr = stdout, stderr
		return a.run(ctx, []string{"sandbox", "--addr", "localhost:0", "--user", "me@example.com", "--password-env", "SB_PW"})
	})
	resp, err := testHTTPClient(t).Post(url+"/api/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=password&username=me%40example.com&password=pa55+word"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"access_token"`) {
		t.Errorf("password grant: %d %s", resp.StatusCode, b)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, "pa55 word") {
		t.Errorf("the password appears in the output:\n%s", out)
	}
	if !strings.Contains(stdout.String(), "me@example.com") {
		t.Errorf("output does not say who may sign in:\n%s", stdout)
	}
}

func TestSandboxCommandUsage(t *testing.T) {
	badData := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badData, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"remote address refused", []string{"--addr", "0.0.0.0:8080"}, nil, "not a loopback address"},
		{"all interfaces refused", []string{"--addr", ":8080"}, nil, "not a loopback address"},
		{"address without port", []string{"--addr", "127.0.0.1"}, nil, "give HOST:PORT"},
		{"negative records", []string{"--records", "-1"}, nil, "--records -1"},
		{"page size zero", []string{"--max-page-size", "0"}, nil, "--max-page-size 0"},
		{"rate above one", []string{"--error-rate", "1.5"}, nil, "--error-rate 1.5"},
		{"negative drop rate", []string{"--drop-rate", "-0.1"}, nil, "--drop-rate -0.1"},
		{"stall rate", []string{"--stall-rate", "2"}, nil, "--stall-rate 2"},
		{"negative latency", []string{"--latency", "-1s"}, nil, "--latency -1s: give a duration of 0 or more"},
		{"negative stall", []string{"--stall-rate", "0.5", "--stall-for", "-1m"}, nil, "--stall-for -1m0s: give a duration of 0 or more"},
		{"token lifetime zero", []string{"--token-ttl", "0"}, nil, "--token-ttl 0: give a lifetime"},
		{"negative token lifetime", []string{"--token-ttl", "-1h"}, nil, "--token-ttl -1h0m0s: give a duration"},
		{"negative page size", []string{"--max-page-size", "-3"}, nil, "--max-page-size -3: give a page size of 1 or more"},
		// The token contactbulk could not send is refused before it is printed.
		{"token with space", []string{"--token", "a b"}, nil, "--token: the token has a space"},
		{"token not ASCII", []string{"--token", "tökén"}, nil, "--token: the token has a space, line break or other character a request header cannot carry"},
		{"user without password", []string{"--user", "me@example.com"}, nil, "CONTACTBULK_SANDBOX_PASSWORD"},
		{"user not an email", []string{"--user", "me"}, map[string]string{"CONTACTBULK_SANDBOX_PASSWORD": "x"}, "email address"},
		{"totp without user", []string{"--totp-secret-env", "T"}, nil, "needs --user"},
		{"empty totp secret", []string{"--user", "me@example.com", "--totp-secret-env", "T"}, map[string]string{"CONTACTBULK_SANDBOX_PASSWORD": "x"}, "is empty"},
		{"bad totp secret", []string{"--user", "me@example.com", "--totp-secret-env", "T"}, map[string]string{"CONTACTBULK_SANDBOX_PASSWORD": "x", "T": "not base32!"}, "the TOTP secret in T: give a base32 secret"},
		{"unknown flag", []string{"--password", "x"}, nil, "unknown flag"},
		{"argument", []string{"extra"}, nil, "takes no arguments"},
		{"unreadable data file", []string{"--data", badData}, nil, "read data file"},
		{"data file in a missing directory", []string{"--data", filepath.Join(filepath.Dir(badData), "no", "x.json")}, nil, "directory does not exist"},
		{"bad names", []string{"--names", "shouty"}, nil, `--names "shouty": choose as-sent, title-case or collapsed`},
		{"bad batch read", []string{"--batch-read", "some"}, nil, `--batch-read "some": choose full, summary, partial, not-found or bad-request`},
		{"bad dir", []string{"--dir", "up"}, nil, `--dir "up": choose endpoint, legacy, ignored-asc or ignored-desc`},
		{"bad paging fields", []string{"--paging-fields", "lies"}, nil, `--paging-fields "lies": choose served, asked or zero`},
		{"bad dates", []string{"--dates", "iso"}, nil, `--dates "iso": choose utc, local-z, no-zone, offset or fraction`},
		{"bad create ids", []string{"--create-ids", "uuid"}, nil, `--create-ids "uuid": choose number, string or bare`},
		{"zone without local dates", []string{"--zone", "UTC"}, nil, "--zone only changes --dates local-z, no-zone or offset"},
		{"unknown zone", []string{"--dates", "offset", "--zone", "Mars/Olympus"}, nil, `--zone "Mars/Olympus": not a time zone`},
		{"local is not a zone", []string{"--dates", "offset", "--zone", "Local"}, nil, `--zone "Local": not a time zone`},
		{"negative store delay", []string{"--store-delay", "-1s"}, nil, "--store-delay -1s: give a duration of 0 or more"},
		{"negative quota", []string{"--quota-spent", "-2h"}, nil, "--quota-spent -2h0m0s: give a duration of 0 or more"},
		{"unavailable rate above one", []string{"--unavailable-rate", "2"}, nil, "--unavailable-rate 2: give a fraction between 0 and 1"},
		{"negative other app", []string{"--other-app", "-5"}, nil, "--other-app -5: give a number of requests a minute from 0 to 60000"},
		{"other app beyond counting", []string{"--other-app", "100000000000"}, nil, "--other-app 100000000000: give a number of requests a minute from 0 to 60000"},
		{"empty roles", []string{"--roles", " , "}, nil, "names no role"},
		{"roles with spaces", []string{"--roles", "ContractContact List"}, nil, `"ContractContact List" is not a role name`},
		{"redirect without scheme", []string{"--redirect-to", "elsewhere.example"}, nil, `--redirect-to "elsewhere.example": give an http or https URL`},
		{"redirect with a query", []string{"--redirect-to", "https://elsewhere.example/?a=1"}, nil, "without query"},
		{"the old direction flag", []string{"--legacy-direction"}, nil, "unknown flag: --legacy-direction"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := testApp(t, tc.env, "")
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // a command that wrongly starts serving stops at once
			err := a.run(ctx, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if code := exitCode(err); code != exitCannotRun {
				t.Errorf("exit code %d, want %d", code, exitCannotRun)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			var ee *exitError
			if !errors.As(err, &ee) && !strings.Contains(tc.wantErr, "unknown") {
				t.Errorf("error %T is not a usage error", err)
			}
		})
	}
	t.Run("allow-remote lifts the loopback rule", func(t *testing.T) {
		if err := checkLoopback("0.0.0.0:0", true); err != nil {
			t.Error(err)
		}
		for _, addr := range []string{"127.0.0.1:1", "[::1]:1", "localhost:1", "127.1.2.3:1"} {
			if err := checkLoopback(addr, false); err != nil {
				t.Errorf("%s: %v", addr, err)
			}
		}
	})
	t.Run("help has examples", func(t *testing.T) {
		var stdout bytes.Buffer
		if err := run(context.Background(), nil, []string{"sandbox", "--help"}, strings.NewReader(""), &stdout, io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Examples:", "--records 1000 --awkward", "--password-env", "--allow-remote",
			"--names STYLE", "--pack-phones", "--lower-emails", "--coworker-names", "--batch-read HOW", "--store-delay DURATION",
			"--dir CONVENTION", "--paging-fields HOW", "--same-page", "--dates STYLE", "--zone ZONE", "--type-names",
			"--null-updated-on", "--create-ids STYLE", "--roles ROLES", "--quota-spent DURATION", "--unavailable-rate FRACTION",
			"--redirect-to URL", "--other-app N", "--store-delay 40s"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("help lacks %q", want)
			}
		}
	})
}

// TestSandboxDataInUse runs two commands on one sandbox data file at once:
// the second refuses with exit 2, says why, and does not advise removing
// the file (that would lose the first run's records).
func TestSandboxDataInUse(t *testing.T) {
	t.Parallel()
	a, _, _ := testApp(t, nil, "")
	if err := os.MkdirAll(a.cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(a.cacheDir, "sandbox.json")
	_, _, _, _, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, nil, []string{"sandbox", "--addr", "127.0.0.1:0", "--data", data}, strings.NewReader(""), stdout, stderr)
	})
	check := func(what string, err error) {
		t.Helper()
		if code := exitCode(err); code != exitCannotRun || err == nil || !strings.Contains(err.Error(), "another contactbulk run is using the sandbox data in "+data) ||
			strings.Contains(err.Error(), "remove") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: exit %d, error %v; want exit 2 saying the data is in use", what, code, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a command that wrongly starts serving stops at once
	check("a second sandbox command", a.run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--data", data}))
	check("export --sandbox", a.run(context.Background(), []string{"export", "--sandbox"}))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := a.run(context.Background(), []string{"export", "--sandbox", "--out", filepath.Join(t.TempDir(), "out.csv")}); err != nil {
		t.Errorf("export --sandbox once the sandbox stopped: %v", err)
	}
}

// TestSandboxCommandBehaviours starts `contactbulk sandbox` with behaviour
// flags and meets each behaviour over HTTP.
func TestSandboxCommandBehaviours(t *testing.T) {
	t.Parallel()
	type call func(method, path, body string) (int, http.Header, string)
	tests := []struct {
		name      string
		args      []string
		wantLines []string // in the "Behaviours:" part of the output
		check     func(t *testing.T, do call)
	}{
		{
			name: "storing and answers",
			args: []string{"--names", "title-case", "--pack-phones", "--create-ids", "bare", "--type-names", "--null-updated-on"},
			wantLines: []string{"names stored title-case", "phone numbers stored without spaces", "create answers carry the Id as bare",
				"ContractContactType served by name", "UpdatedOn null on new records"},
			check: func(t *testing.T, do call) {
				status, _, b := do("POST", "/api/billing/contractcontacts", `{"CoworkerContractId": 1001, "FullName": "  ann  lee ", "PhoneNumber": "+44 20 7946 0000"}`)
				var ans struct{ Value json.RawMessage }
				if err := json.Unmarshal([]byte(b), &ans); status != 200 || err != nil || !regexp.MustCompile(`^\d+$`).Match(ans.Value) {
					t.Fatalf("create: status %d, Value %s, want a bare number: %s", status, ans.Value, b)
				}
				status, _, b = do("GET", "/api/billing/contractcontacts/"+string(ans.Value), "")
				for _, want := range []string{`"FullName":"Ann Lee"`, `"PhoneNumber":"+442079460000"`, `"ContractContactType":"Director"`, `"UpdatedOn":null`} {
					if status != 200 || !strings.Contains(b, want) {
						t.Errorf("record lacks %s: %d %s", want, status, b)
					}
				}
			},
		},
		{
			name:      "listing",
			args:      []string{"--records", "5", "--max-page-size", "2", "--dir", "legacy", "--paging-fields", "zero", "--same-page"},
			wantLines: []string{"dir read as legacy", "paging fields zero", "every listing request answered with page 1"},
			check: func(t *testing.T, do call) {
				var pages [2]struct {
					Records              []struct{ Id int64 }
					TotalPages           int
					HasNextPage          bool
					CurrentSortDirection int
				}
				for i := range pages {
					status, _, b := do("GET", fmt.Sprintf("/api/billing/contractcontacts?size=10&dir=1&page=%d", i+1), "")
					if err := json.Unmarshal([]byte(b), &pages[i]); status != 200 || err != nil {
						t.Fatalf("list: %d %v %s", status, err, b)
					}
				}
				p := pages[0]
				if len(p.Records) != 2 || p.Records[0].Id < p.Records[1].Id || p.TotalPages != 0 || p.HasNextPage || p.CurrentSortDirection != 1 {
					t.Errorf("page %+v: want 2 records descending (dir 1 in the legacy convention), no pages said", p)
				}
				if pages[1].Records[0] != p.Records[0] {
					t.Errorf("page 2 %+v is not page 1 %+v", pages[1].Records, p.Records)
				}
			},
		},
		{
			name:      "roles and quota",
			args:      []string{"--roles", "ContractContact-List, ContractContact-Create", "--quota-spent", "2h"},
			wantLines: []string{"roles held: ContractContact-List, ContractContact-Create", "writes answered 409 for 2h0m0s"},
			check: func(t *testing.T, do call) {
				if status, _, _ := do("GET", "/api/billing/contractcontacts", ""); status != 200 {
					t.Errorf("list: %d", status)
				}
				if status, _, b := do("GET", "/api/sys/countries", ""); status != 403 || !strings.Contains(b, "Country-List") {
					t.Errorf("countries: %d %s, want 403 naming Country-List", status, b)
				}
				if status, h, _ := do("POST", "/api/billing/contractcontacts", `{"CoworkerContractId": 1001, "FullName": "X"}`); status != 409 || h.Get("Retry-After") != "1" {
					t.Errorf("create while the quota is spent: %d", status)
				}
			},
		},
		{
			name:      "no roles, and a redirect",
			args:      []string{"--roles", "none", "--redirect-to", "https://elsewhere.example/base"},
			wantLines: []string{"roles held: none", "every request redirected to https://elsewhere.example/base"},
			check: func(t *testing.T, do call) {
				status, h, _ := do("GET", "/api/billing/contractcontacts?page=2", "")
				if want := "https://elsewhere.example/base/api/billing/contractcontacts?page=2"; status != 302 || h.Get("Location") != want {
					t.Errorf("status %d Location %q, want 302 to %s", status, h.Get("Location"), want)
				}
			},
		},
		{
			name:      "dates, 503s and another app",
			args:      []string{"--dates", "offset", "--zone", "UTC", "--unavailable-rate", "1", "--other-app", "60", "--batch-read", "summary"},
			wantLines: []string{"dates written offset (UTC)", "100% of requests answered 503", "another app makes 60 requests a minute", "several-at-once reads answered summary"},
			check: func(t *testing.T, do call) {
				if status, h, _ := do("GET", "/api/billing/contractcontacts", ""); status != 503 || h.Get("Retry-After") == "" {
					t.Errorf("status %d, want 503 with Retry-After", status)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--no-limits"}, tc.args...)
			url, token, stdout, _, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
				return run(ctx, nil, args, strings.NewReader(""), stdout, stderr)
			})
			defer stop()
			_, behaviours, _ := strings.Cut(stdout.String(), "Behaviours:\n")
			for _, want := range tc.wantLines {
				if !strings.Contains("\n"+behaviours, "\n  "+want) {
					t.Errorf("output lacks the behaviour line %q:\n%s", want, stdout)
				}
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			tc.check(t, func(method, path, body string) (int, http.Header, string) {
				req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, resp.Header, string(b)
			})
		})
	}
	t.Run("no behaviour, no behaviour lines", func(t *testing.T) {
		t.Parallel()
		_, _, stdout, _, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
			return run(ctx, nil, []string{"sandbox", "--addr", "127.0.0.1:0"}, strings.NewReader(""), stdout, stderr)
		})
		defer stop()
		if strings.Contains(stdout.String(), "Behaviours:") {
			t.Errorf("output:\n%s", stdout)
		}
	})
}

// TestSandboxCommandReportsSaveErrors: a background save of --data that
// fails (its folder removed) is a line on stderr while the sandbox runs,
// and the next save that succeeds is another.
func TestSandboxCommandReportsSaveErrors(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"sandbox", "--addr", "127.0.0.1:0", "--no-limits", "--data", filepath.Join(dir, "sandbox.json")}
	url, token, _, stderr, stop := startSandboxCommand(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, nil, args, strings.NewReader(""), stdout, stderr)
	})
	create := func(name string) {
		t.Helper()
		req, _ := http.NewRequest("POST", url+"/api/billing/contractcontacts", strings.NewReader(`{"CoworkerContractId": 1001, "FullName": "`+name+`"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := testHTTPClient(t).Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("create: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	waitFor := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), what); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("stderr lacks %q:\n%s", what, stderr)
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	create("Unsaved")
	waitFor("does not exist: create it first; the records are kept in memory")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	create("Saved")
	waitFor("sandbox: the data is saved again in " + dir)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
