package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
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
				signer, err := nexudus.New(nexudus.Config{BaseURL: url, MinInterval: -1, HTTPClient: testHTTPClient(t)})
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

// TestDoctorBehaviours runs doctor against the server behaviours export
// depends on: each is named, with a fix line when export must adapt or
// cannot work.
func TestDoctorBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		cfg      sandbox.Config
		records  int
		wantExit int
		want     []string
	}{
		{
			name: "as documented", records: 12, wantExit: exitOK,
			want: []string{"ok    paging       dir 1 = ascending", "ok    page size    serves the 12 records asked per page (12 in all)",
				"ok    pages        page 2 follows page 1", "ok    batch read   the several-at-once read answers full records (10 of 10)",
				"ok    lookups      may list 14 contracts, 12 coworkers, 28 countries"},
		},
		{
			name: "no lookup roles", records: 3, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{"ContractContact-List", "ContractContact-Read", "Country-List"}}}, wantExit: exitOK,
			want: []string{"warn  lookups      the credentials lack the CoworkerContract-List role, so sheets cannot name contracts by holder",
				"warn  lookups      the credentials lack the Coworker-List role", "fix: an administrator of the space can grant Coworker-List (only sheets that name records need it)"},
		},
		{
			name: "legacy dir", records: 5, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Direction: sandbox.DirLegacy}}, wantExit: exitOK,
			want: []string{"ok    paging       dir 0/1 legacy convention (1 = descending)"},
		},
		{
			name: "dir ignored ascending", records: 5, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Direction: sandbox.DirIgnoredAsc}}, wantExit: exitOK,
			want: []string{"warn  paging       dir is ignored: the server always sorts ascending", "fix: export pages ascending and refuses --dir desc"},
		},
		{
			name: "dir ignored descending", records: 5, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Direction: sandbox.DirIgnoredDesc}}, wantExit: exitOK,
			want: []string{"warn  paging       dir is ignored: the server always sorts descending", "fix: export writes files in descending Id order",
				"ok    page size", "ok    pages        page 2 follows page 1"},
		},
		{
			name: "capped, fields served", records: 30, cfg: sandbox.Config{MaxPageSize: 7}, wantExit: exitOK,
			want: []string{"ok    page size    serves at most 7 records a page (asked 1000; CurrentPageSize 7); its paging fields count pages of 7"},
		},
		{
			name: "capped, fields from the size asked", records: 30, cfg: sandbox.Config{MaxPageSize: 7, Behaviour: sandbox.Behaviour{PagingFields: sandbox.PagingAsked}}, wantExit: exitOK,
			want: []string{"warn  page size    serves at most 7 records a page (asked 1000; CurrentPageSize 1000); its TotalPages (1) and HasNextPage count pages of the size asked",
				"fix: nothing to do for export"},
		},
		{
			name: "capped, TotalPages 0", records: 30, cfg: sandbox.Config{MaxPageSize: 7, Behaviour: sandbox.Behaviour{PagingFields: sandbox.PagingZero}}, wantExit: exitOK,
			want: []string{"warn  page size    serves at most 7 records a page", "it reports TotalPages 0 and HasNextPage false"},
		},
		{
			name: "same page always", records: 30, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{SamePage: true}}, wantExit: exitCannotRun,
			want: []string{"FAIL  pages        the server answers page 2 with the records of page 1", "fix: export can only read such a server on one page: --page-size 30 or more"},
		},
		{
			name: "same page always, capped", records: 30, cfg: sandbox.Config{MaxPageSize: 7, Behaviour: sandbox.Behaviour{SamePage: true}}, wantExit: exitCannotRun,
			want: []string{"FAIL  pages", "fix: no page size can help, as the server serves at most 7 of the 30 records a page"},
		},
		{
			name: "batch summaries", records: 12, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Batch: sandbox.BatchSummary}}, wantExit: exitOK,
			want: []string{"warn  batch read   the several-at-once read answers summary records", "fix: nothing to do: export --full then reads records one at a time"},
		},
		{
			name: "batch leaves records out", records: 12, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Batch: sandbox.BatchPartial}}, wantExit: exitOK,
			want: []string{"warn  batch read   the several-at-once read left out 5 of 10 records that exist", "fix: nothing to do: export --full reads those one at a time"},
		},
		{
			name: "batch 400", records: 12, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Batch: sandbox.BatchBadRequest}}, wantExit: exitOK,
			want: []string{"warn  batch read   the several-at-once read is refused (HTTP 400)"},
		},
		{
			name: "batch 404", records: 12, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Batch: sandbox.BatchNotFound}}, wantExit: exitOK,
			want: []string{"warn  batch read   the several-at-once read is refused (HTTP 404)"},
		},
		{
			name: "no read role", records: 3, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{"ContractContact-List"}}}, wantExit: exitCannotRun,
			want: []string{"FAIL  batch read   the credentials lack the ContractContact-Read role", "fix: an administrator of the space can grant ContractContact-Read"},
		},
		{
			name: "503 with Retry-After", records: 12, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Unavailable: 0.2}}, wantExit: exitOK,
			want: []string{"ok    paging", "ok    pages"},
		},
		{
			name: "redirected elsewhere", records: 3, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{RedirectTo: "http://192.0.2.1:9"}}, wantExit: exitCannotRun,
			want: []string{"FAIL", "redirect"},
		},
		{
			name: "no list role", records: 3, cfg: sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{"ContractContact-Read"}}}, wantExit: exitCannotRun,
			want: []string{"FAIL  list role    the credentials lack the ContractContact-List role"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, url := startClientSandbox(t, tc.cfg)
			srv.Generate(tc.records, 1001)
			a, stdout, _ := clientTestApp(t, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken})
			err := a.run(context.Background(), []string{"doctor", "--rate", "1000/s"})
			if code := exitCode(err); code != tc.wantExit {
				t.Errorf("exit %d (%v), want %d\n%s", code, err, tc.wantExit, stdout)
			}
			for _, want := range tc.want {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}

// TestDoctorJSON prints the checks as one JSON object with snake_case
// keys on stdout, and nothing else there.
func TestDoctorJSON(t *testing.T) {
	t.Parallel()
	srv, url := startClientSandbox(t, sandbox.Config{Behaviour: sandbox.Behaviour{SamePage: true}})
	srv.Generate(30, 1001)
	a, stdout, _ := clientTestApp(t, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": clientTestToken})
	err := a.run(context.Background(), []string{"doctor", "--rate", "1000/s", "--json"})
	if exitCode(err) != exitCannotRun || !strings.Contains(err.Error(), "see the fixes in the JSON") {
		t.Errorf("err = %v", err)
	}
	var got struct {
		Checks []map[string]string `json:"checks"`
		Failed int                 `json:"failed"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if got.Failed != 1 || len(got.Checks) < 8 {
		t.Errorf("%d checks, %d failed:\n%s", len(got.Checks), got.Failed, stdout)
	}
	for _, c := range got.Checks {
		for k := range c {
			if !slices.Contains([]string{"check", "status", "detail", "fix"}, k) {
				t.Errorf("unexpected key %q", k)
			}
		}
		if c["status"] == "fail" && (c["check"] != "pages" || !strings.Contains(c["fix"], "--page-size 30")) {
			t.Errorf("failed check %v", c)
		}
	}
}
