package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"contactbulk/exporter"
	"contactbulk/sandbox"
)

// exportHarness is a sandbox in httptest and an app pointed at it.
type exportHarness struct {
	t   *testing.T
	srv *sandbox.Server
	url string
	// hook, when set, sees each request before the sandbox does.
	hook atomic.Pointer[func(r *http.Request)]
}

// onRequest sets the function that sees each request first.
func (h *exportHarness) onRequest(f func(r *http.Request)) { h.hook.Store(&f) }

func newExportHarness(t *testing.T, cfg sandbox.Config) *exportHarness {
	t.Helper()
	t.Parallel()
	cfg.Token = "export-test-token"
	if cfg.Limits == (sandbox.Limits{}) {
		cfg.Limits = sandbox.Limits{Off: true}
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &exportHarness{t: t, srv: srv}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := h.hook.Load(); f != nil {
			(*f)(r)
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h
}

// insert adds a record with fixed dates unless given.
func (h *exportHarness) insert(r sandbox.Record) int64 {
	if r.CoworkerContractID == 0 {
		r.CoworkerContractID = 1001
	}
	if r.CreatedOn == "" {
		r.CreatedOn = "2024-05-01T09:00:00Z"
	}
	return h.srv.Insert(r)
}

// run runs `contactbulk export args...` in-process and returns stdout,
// stderr and the exit code.
func (h *exportHarness) run(ctx context.Context, args ...string) (string, string, int) {
	h.t.Helper()
	env := map[string]string{"NEXUDUS_URL": h.url, "NEXUDUS_TOKEN": "export-test-token"}
	return runCLI(ctx, h.t, env, "", append([]string{"export", "--rate", "1000/s"}, args...)...)
}

// exportRows parses CSV text (dropping a BOM) into rows keyed by header.
func exportRows(t *testing.T, text string) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, text)
	}
	if len(rows) == 0 {
		t.Fatalf("no header")
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func exportIDs(t *testing.T, text string) []int64 {
	t.Helper()
	var ids []int64
	for _, r := range exportRows(t, text) {
		id, err := strconv.ParseInt(r["Id"], 10, 64)
		if err != nil {
			t.Fatalf("Id %q: %v", r["Id"], err)
		}
		ids = append(ids, id)
	}
	return ids
}

func strp(s string) *string { return &s }
func i64p(i int64) *int64   { return &i }

func TestExportPaging(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{MaxPageSize: 10})
	h.srv.Generate(25, 0)
	stdout, stderr, code := h.run(context.Background())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var want []int64
	for _, r := range h.srv.Records() {
		want = append(want, r.ID)
	}
	if got := exportIDs(t, stdout); !slices.Equal(got, want) {
		t.Errorf("Ids %v, want %v", got, want)
	}
	if !strings.Contains(stderr, "exported 25 records (3 pages) to stdout") {
		t.Errorf("summary missing from stderr:\n%s", stderr)
	}
	if !strings.Contains(stderr, "contactbulk: export: 10 of 25 records, 1 page\n") {
		t.Errorf("no progress line on stderr:\n%s", stderr)
	}
}

func TestExportFilters(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	active := true
	a := h.insert(sandbox.Record{FullName: "Ann Smith", CoworkerContractID: 1001, ContractContactType: 1, UpdatedOn: "2025-01-10T08:00:00Z"})
	b := h.insert(sandbox.Record{FullName: "Bob Jones", CoworkerContractID: 1002, ContractContactType: 2, CoworkerID: i64p(2001), CoworkerActive: &active, CreatedOn: "2025-02-01T10:00:00Z"})
	c := h.insert(sandbox.Record{FullName: "Cat Smithers", CoworkerContractID: 1002, ContractContactType: 3, UpdatedOn: "2025-03-01T00:00:00Z"})
	tests := []struct {
		name string
		args []string
		want []int64
	}{
		{"contract", []string{"--contract", "1002"}, []int64{b, c}},
		{"coworker", []string{"--coworker", "2001"}, []int64{b}},
		{"type by name", []string{"--type", "company alias"}, []int64{b}},
		{"type by number", []string{"--type", "3"}, []int64{c}},
		{"updated since a date", []string{"--updated-since", "2025-01-10"}, []int64{a, b, c}},
		{"updated since a time", []string{"--updated-since", "2025-01-10T08:01"}, []int64{b, c}},
		{"created since", []string{"--created-since", "2025-01-01"}, []int64{b}},
		{"integer filter", []string{"--filter", "ContractContact_CoworkerContract=1001"}, []int64{a}},
		{"string filter", []string{"--filter", "ContractContact_FullName=smith"}, []int64{a, c}},
		{"boolean filter", []string{"--filter", "ContractContact_Coworker_Active=true"}, []int64{b}},
		{"date filter", []string{"--filter", "to_ContractContact_UpdatedOn=2025-02-15T00:00"}, []int64{a, b}},
		{"two filters", []string{"--filter", "ContractContact_FullName=smith", "--contract", "1002"}, []int64{c}},
		{"descending", []string{"--dir", "desc"}, []int64{c, b, a}},
		{"by name", []string{"--order-by", "fullname"}, []int64{a, b, c}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := h.run(context.Background(), tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := exportIDs(t, stdout); !slices.Equal(got, tc.want) {
				t.Errorf("Ids %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExportUsageErrors(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	dir := t.TempDir()
	badState := filepath.Join(dir, "state.json")
	os.WriteFile(badState, []byte("{"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown filter", []string{"--filter", "ContractContact_FulName=x"}, "did you mean ContractContact_FullName?"},
		{"filter without value", []string{"--filter", "ContractContact_FullName"}, "want NAME=VALUE"},
		{"integer filter", []string{"--filter", "ContractContact_Coworker=abc"}, "is not a whole number"},
		{"boolean filter", []string{"--filter", "ContractContact_Coworker_Active=maybe"}, "is not true or false"},
		{"date filter", []string{"--filter", "from_ContractContact_CreatedOn=01/02/2025"}, "use 2025-01-31 or 2025-01-31T08:00"},
		{"filter twice", []string{"--contract", "1001", "--filter", "ContractContact_CoworkerContract=1002"}, "is given twice"},
		{"type", []string{"--type", "Boss"}, "is not a contact type"},
		{"contract", []string{"--contract", "-3"}, "positive Id"},
		{"contract not a number", []string{"--contract", "abc"}, `invalid argument "abc" for "--contract" flag: want a positive Id`},
		{"coworker not a number", []string{"--coworker", "1.5"}, `"--coworker" flag: want a positive Id`},
		{"page size not a number", []string{"--page-size", "many"}, `"--page-size" flag: want a whole number of at least 1`},
		{"overlap without unit", []string{"--overlap", "3"}, `"--overlap" flag: want a duration such as 30s`},
		{"negative overlap", []string{"--overlap", "-1h"}, `"--overlap" flag: want a duration`},
		{"log-every", []string{"--log-every", "often"}, `"--log-every" flag: want a duration`},
		{"updated since", []string{"--updated-since", "yesterday"}, "--updated-since"},
		{"created since", []string{"--created-since", "2025-13-01"}, "--created-since"},
		{"column", []string{"--columns", "Id,Emial"}, "did you mean Email?"},
		{"order by", []string{"--order-by", "FullNam"}, "did you mean FullName?"},
		{"order by JSON", []string{"--order-by", "CustomFields"}, "--order-by: CustomFields holds JSON and cannot be sorted"},
		{"dir", []string{"--dir", "up"}, "use asc or desc"},
		{"page size", []string{"--page-size", "0"}, "--page-size"},
		{"since-last and updated-since", []string{"--since-last", filepath.Join(dir, "s"), "--updated-since", "2025-01-01"}, "drop --updated-since"},
		{"broken state", []string{"--since-last", badState}, "remove it to export everything once"},
		{"out folder missing", []string{"--out", filepath.Join(dir, "nope", "x.csv")}, "folder " + filepath.Join(dir, "nope") + " does not exist: create it first"},
		{"out is a folder", []string{"--out", dir}, "is a folder: name a file in it"},
		{"out under a file", []string{"--out", filepath.Join(badState, "x.csv")}, badState + " is not a folder"},
		{"argument", []string{"contacts.csv"}, "name the output file with --out"},
		{"unknown flag", []string{"--colums", "Id"}, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := h.run(context.Background(), tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines > 0 {
				t.Errorf("error takes %d lines:\n%s", lines+1, stderr)
			}
		})
	}
}

func TestExportNoCredentials(t *testing.T) {
	t.Parallel()
	a, _, _ := testApp(t, map[string]string{}, "")
	err := a.run(context.Background(), []string{"export", "--url", "http://127.0.0.1:1"})
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "contactbulk login") {
		t.Errorf("err = %v (exit %d), want exit 2 saying how to sign in", err, exitCode(err))
	}
}

func TestExportColumnsEnumsBOM(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	id := h.insert(sandbox.Record{FullName: "Ann", ContractContactType: 2, Email: strp("ann@example.com")})
	tests := []struct {
		name   string
		args   []string
		header string
		row    string
	}{
		{"chosen columns", []string{"--columns", "fullname,ID,ContractContactType"}, "FullName,Id,ContractContactType", "Ann," + strconv.FormatInt(id, 10) + ",CompanyAlias"},
		{"numeric enums", []string{"--columns", "ContractContactType,Email", "--numeric-enums"}, "ContractContactType,Email", "2,ann@example.com"},
		{"bom", []string{"--columns", "Email", "--bom"}, "\uFEFFEmail", "ann@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := h.run(context.Background(), tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if want := tc.header + "\n" + tc.row + "\n"; stdout != want {
				t.Errorf("got %q, want %q", stdout, want)
			}
		})
	}
	// Every column by default, in the documented order.
	stdout, _, _ := h.run(context.Background())
	header, _, _ := strings.Cut(stdout, "\n")
	if want := strings.Join(exporter.ColumnNames(exporter.Columns()), ","); header != want {
		t.Errorf("default header %q, want %q", header, want)
	}
}

// TestExportFull fills the fields listings leave out, in batches, and falls
// back to one read a record when the several-at-once read is refused.
func TestExportFull(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run("fallback="+strconv.FormatBool(fallback), func(t *testing.T) {
			h := newExportHarness(t, sandbox.Config{})
			h.srv.Generate(12, 1001)
			var many, one atomic.Int32
			h.onRequest(func(r *http.Request) {
				switch {
				case r.URL.Query().Has("id"):
					many.Add(1)
					if fallback {
						h.srv.Inject(sandbox.Injection{Method: "GET", Path: "/api/billing/contractcontacts", Status: 400, Body: `{"Message":"id is not supported"}`})
					}
				case strings.Count(r.URL.Path, "/") == 4:
					one.Add(1)
				}
			})
			stdout, stderr, code := h.run(context.Background(), "--full", "--page-size", "5", "--raw")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			rows := exportRows(t, stdout)
			recs := h.srv.Records()
			if len(rows) != len(recs) {
				t.Fatalf("%d rows, want %d", len(rows), len(recs))
			}
			for i, r := range recs {
				for field, want := range map[string]*string{"Address": r.Address, "PostCode": r.PostCode, "CityName": r.CityName, "State": r.State, "Notes": r.Notes} {
					if got := rows[i][field]; want != nil && got != *want || want == nil && got != "" {
						t.Errorf("record %d %s = %q, want %v", r.ID, field, got, want)
					}
				}
			}
			// Pages of 5, 5 and 2: one several-at-once read each.
			if many.Load() != 3 {
				t.Errorf("%d several-at-once reads, want 3", many.Load())
			}
			if wantOne := map[bool]int32{false: 0, true: 12}[fallback]; one.Load() != wantOne {
				t.Errorf("%d one-record reads, want %d", one.Load(), wantOne)
			}
		})
	}
}

func TestExportFileAndJSON(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(3, 1001)
	out := filepath.Join(t.TempDir(), "contacts.csv")
	stdout, stderr, code := h.run(context.Background(), "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum struct {
		Records    int    `json:"records"`
		File       string `json:"file"`
		Consistent bool   `json:"consistent"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not only the JSON summary: %v\n%s", err, stdout)
	}
	if sum.Records != 3 || sum.File != out || !sum.Consistent {
		t.Errorf("summary %+v", sum)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(out)
	if n := len(exportRows(t, string(data))); n != 3 {
		t.Errorf("%d rows in the file, want 3", n)
	}
	stdout, _, _ = h.run(context.Background(), "--out", out)
	if !strings.HasPrefix(stdout, "exported 3 records (1 page) to "+out) {
		t.Errorf("text summary %q", stdout)
	}
}

// TestExportFailureKeepsPreviousFile makes the server fail mid-way: the
// previous file stays as it was and no temporary file is left.
func TestExportFailureKeepsPreviousFile(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(30, 1001)
	var n atomic.Int32
	h.onRequest(func(r *http.Request) {
		if n.Add(1) == 5 { // the probe (2 requests), the top, page 1, then page 2 fails
			h.srv.Inject(sandbox.Injection{Status: 400, Body: `{"Message":"The server is unwell."}`, Times: 10})
		}
	})
	dir := t.TempDir()
	out := filepath.Join(dir, "contacts.csv")
	os.WriteFile(out, []byte("yesterday\n"), 0o600)
	stdout, stderr, code := h.run(context.Background(), "--out", out, "--page-size", "5")
	if code != 1 || !strings.Contains(stderr, "contacts.csv was left as it was") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "stopped after 5 records") {
		t.Errorf("stdout %q", stdout)
	}
	if data, _ := os.ReadFile(out); string(data) != "yesterday\n" {
		t.Errorf("the previous file now holds %q", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only contacts.csv", len(entries))
	}
}

func TestExportInterrupted(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(30, 1001)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	h.onRequest(func(r *http.Request) {
		if n.Add(1) == 5 { // the probe (2 requests), the top, page 1, then cancel
			cancel()
		}
	})
	dir := t.TempDir()
	out := filepath.Join(dir, "contacts.csv")
	_, stderr, code := h.run(ctx, "--out", out, "--page-size", "5")
	if code != 130 || !strings.Contains(stderr, "interrupted") {
		t.Errorf("exit %d, stderr %q; want 130", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("an interrupted first run left %d files", len(entries))
	}
}

// TestExportFormulasAndRoundTrip exports awkward values, checks that formula
// cells are neutralised, then imports the file into an empty space and
// finds every value as it was.
func TestExportFormulasAndRoundTrip(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.SeedAwkward(1001)
	h.srv.Generate(4, 0) // coworker links, dates of birth and countries too
	dir := t.TempDir()
	out := filepath.Join(dir, "contacts.csv")
	if _, stderr, code := h.run(context.Background(), "--out", out, "--full"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(out)
	rows := exportRows(t, string(data))
	byID := map[string]map[string]string{}
	for _, r := range rows {
		byID[r["Id"]] = r
		for k, v := range r {
			// What a spreadsheet runs: a cell starting with = + - @ tab or CR.
			if len(v) > 0 && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !isNumberOrPhone(v) {
				t.Errorf("record %s: %s = %q would run as a formula", r["Id"], k, v)
			}
		}
	}
	for _, rec := range h.srv.Records() {
		if strings.HasPrefix(rec.FullName, "=") {
			if got := byID[strconv.FormatInt(rec.ID, 10)]["FullName"]; got != "'"+rec.FullName {
				t.Errorf("FullName %q exported as %q", rec.FullName, got)
			}
		}
		// Phone numbers starting with + stay as they are.
		if p := deref(rec.PhoneNumber); strings.HasPrefix(p, "+") {
			if got := byID[strconv.FormatInt(rec.ID, 10)]["PhoneNumber"]; got != p {
				t.Errorf("PhoneNumber %q exported as %q", p, got)
			}
		}
	}

	// Import into an empty space.
	dst := newExportHarnessNoParallel(t)
	env := map[string]string{"NEXUDUS_URL": dst.url, "NEXUDUS_TOKEN": "export-test-token"}
	// Its Ids are the other space's: --ignore-ids finds rows by identity.
	_, stderr, code := runCLI(context.Background(), t, env, "", "import", "--rate", "1000/s", "--concurrency", "1", "--ignore-ids", "--results", filepath.Join(dir, "results.csv"), out)
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	src, got := h.srv.Records(), dst.srv.Records()
	if len(got) != len(src) {
		t.Fatalf("%d records imported, want %d", len(got), len(src))
	}
	var linked, born, country int
	for _, r := range src {
		linked += min(1, len(derefIntStr(r.CoworkerID)))
		born += min(1, len(deref(r.DateOfBirth)))
		country += min(1, len(derefIntStr(r.CountryID)))
	}
	if linked == 0 || born == 0 || country == 0 {
		t.Fatalf("the source lacks records with a coworker (%d), a date of birth (%d) or a country (%d)", linked, born, country)
	}
	for i := range src {
		s, g := src[i], got[i]
		// Every field a create takes, by the API's name.
		fields := []struct {
			name       string
			want, have any
		}{
			{"CoworkerContractId", s.CoworkerContractID, g.CoworkerContractID},
			{"FullName", s.FullName, g.FullName},
			{"CoworkerId", derefInt(s.CoworkerID), derefInt(g.CoworkerID)},
			{"Email", deref(s.Email), deref(g.Email)},
			{"DateOfBirth", deref(s.DateOfBirth), deref(g.DateOfBirth)},
			{"Address", deref(s.Address), deref(g.Address)},
			{"PostCode", deref(s.PostCode), deref(g.PostCode)},
			{"CityName", deref(s.CityName), deref(g.CityName)},
			{"State", deref(s.State), deref(g.State)},
			{"CountryId", derefInt(s.CountryID), derefInt(g.CountryID)},
			{"PhoneNumber", deref(s.PhoneNumber), deref(g.PhoneNumber)},
			{"Notes", deref(s.Notes), deref(g.Notes)},
			{"ContractContactType", s.ContractContactType, g.ContractContactType},
		}
		for _, f := range fields {
			if w, ok := f.want.(string); ok {
				// Known losses on the import side, not the export's: the
				// importer trims spaces around values, and encoding/csv
				// reads \r\n inside a quoted cell as \n. The file holds
				// both as they were (see the exporter's golden files).
				norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
				f.want, f.have = norm(w), norm(f.have.(string))
			}
			if f.want != f.have {
				t.Errorf("record %d %s: %q came back as %q", s.ID, f.name, f.want, f.have)
			}
		}
	}
}

// isNumberOrPhone reports whether s is a signed number or phone number,
// which spreadsheets do not run as formulas.
func isNumberOrPhone(s string) bool {
	if s == "" || !strings.ContainsAny(s[:1], "+-") {
		return false
	}
	return strings.Trim(s[1:], "0123456789 .-()/") == "" && strings.ContainsAny(s, "0123456789")
}

func derefIntStr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// newExportHarnessNoParallel is a second sandbox inside a test already parallel.
func newExportHarnessNoParallel(t *testing.T) *exportHarness {
	srv, err := sandbox.New(sandbox.Config{Token: "export-test-token", Limits: sandbox.Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &exportHarness{t: t, srv: srv, url: ts.URL}
}

func TestExportSinceLast(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	old := h.insert(sandbox.Record{FullName: "Old", UpdatedOn: "2024-01-01T00:00:00Z"})
	dir := t.TempDir()
	state := filepath.Join(dir, "export.state")
	out := filepath.Join(dir, "out.csv")

	stdout, stderr, code := h.run(context.Background(), "--since-last", state, "--overlap", "10m", "--out", out)
	if code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "first run of "+state) {
		t.Errorf("first run summary %q", stdout)
	}
	data, _ := os.ReadFile(out)
	if ids := exportIDs(t, string(data)); !slices.Equal(ids, []int64{old}) {
		t.Errorf("first run exported %v", ids)
	}
	st, err := exporter.LoadState(state)
	if err != nil || st.LastStart.IsZero() || st.Records != 1 {
		t.Fatalf("state %+v, %v", st, err)
	}
	if fi, _ := os.Stat(state); fi.Mode().Perm() != 0o600 {
		t.Errorf("state mode %v", fi.Mode().Perm())
	}

	fresh := h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Fresh"}) // updated now
	stdout, stderr, code = h.run(context.Background(), "--since-last", state, "--overlap", "10m", "--out", out)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	data, _ = os.ReadFile(out)
	if ids := exportIDs(t, string(data)); !slices.Equal(ids, []int64{fresh}) {
		t.Errorf("second run exported %v, want only %d", ids, fresh)
	}
	if want := st.Since(10 * time.Minute); !strings.Contains(stdout, "updated since "+want) {
		t.Errorf("second run summary %q, want since %s", stdout, want)
	}
	st2, _ := exporter.LoadState(state)
	if !st2.LastStart.After(st.LastStart) && !st2.LastStart.Equal(st.LastStart) {
		t.Errorf("state not moved on: %v then %v", st.LastStart, st2.LastStart)
	}

	// A failed run leaves the state as it was.
	before, _ := os.ReadFile(state)
	h.srv.Inject(sandbox.Injection{Status: 400, Body: `{"Message":"no"}`, Times: 20})
	if _, _, code := h.run(context.Background(), "--since-last", state, "--out", out); code != 1 {
		t.Errorf("failing run: exit %d, want 1", code)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Errorf("a failed run changed the state:\n%s\n%s", before, after)
	}
}

// TestExportChurn adds and deletes records while the export runs: the file
// holds no Id twice and every record that existed throughout, or the run
// says it could not be made consistent (exit 1).
func TestExportChurn(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{Faults: sandbox.Faults{Latency: 5 * time.Millisecond}})
	h.srv.Generate(120, 0)
	var initial []int64
	for _, r := range h.srv.Records() {
		initial = append(initial, r.ID)
	}
	var mu sync.Mutex
	deleted := map[int64]bool{}
	var lists atomic.Int32
	h.onRequest(func(r *http.Request) {
		// Between page requests: delete a record near the front (already
		// paged past) and add one, for the first few pages.
		n := lists.Add(1)
		if n < 3 || n > 9 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		id := initial[int(n)*2]
		h.srv.Delete(id)
		deleted[id] = true
		h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Churn " + strconv.Itoa(int(n))})
	})
	stdout, stderr, code := h.run(context.Background(), "--page-size", "10")
	if code != 0 && !(code == 1 && strings.Contains(stderr, "could not be made consistent")) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	seen := map[int64]bool{}
	for _, id := range exportIDs(t, stdout) {
		if seen[id] {
			t.Errorf("Id %d written twice", id)
		}
		seen[id] = true
	}
	if code == 0 {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range initial {
			if !deleted[id] && !seen[id] {
				t.Errorf("Id %d existed throughout but is missing", id)
			}
		}
		if !strings.Contains(stderr, "found again after they moved") {
			t.Errorf("summary does not mention the second pass:\n%s", stderr)
		}
	}
}

// TestExportKilled kills an export child process with SIGKILL mid-way: the
// previous file is untouched; only a clearly named temporary file may stay.
func TestExportKilled(t *testing.T) {
	if os.Getenv("CONTACTBULK_EXPORT_CHILD") != "" {
		err := run(context.Background(), nil, strings.Fields(os.Getenv("CONTACTBULK_EXPORT_CHILD")), os.Stdin, os.Stdout, os.Stderr)
		os.Exit(exitCode(err))
	}
	h := newExportHarness(t, sandbox.Config{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	h.srv.Generate(400, 0)
	dir := t.TempDir()
	out := filepath.Join(dir, "contacts.csv")
	os.WriteFile(out, []byte("yesterday\n"), 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^TestExportKilled$")
	cmd.Env = append(os.Environ(),
		"CONTACTBULK_EXPORT_CHILD=export --rate 1000/s --page-size 10 --out "+out,
		"NEXUDUS_URL="+h.url, "NEXUDUS_TOKEN=export-test-token",
		// The child keeps its pacing state here, not in the user's cache.
		"XDG_CACHE_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	var page atomic.Int32
	var proc atomic.Pointer[os.Process]
	killed := make(chan struct{})
	h.onRequest(func(r *http.Request) {
		if page.Add(1) == 8 { // mid-way through 40 pages
			close(killed) // before the signal: Wait may return before this hook does
			proc.Load().Signal(syscall.SIGKILL)
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc.Store(cmd.Process)
	err := cmd.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("the child finished before it was killed: %v", err)
	}
	if data, _ := os.ReadFile(out); string(data) != "yesterday\n" {
		t.Errorf("the previous file now holds %q", data)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "contacts.csv" && !strings.HasPrefix(e.Name(), ".contacts.csv.tmp-") {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
}

// TestExportLegacyDirection runs against a server with the other dir
// convention (0 ascending, 1 descending): the order still comes out right.
func TestExportLegacyDirection(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{Behaviour: sandbox.Behaviour{Direction: sandbox.DirLegacy}, MaxPageSize: 4})
	h.srv.Generate(9, 0)
	var want []int64
	for _, r := range h.srv.Records() {
		want = append(want, r.ID)
	}
	for _, dir := range []string{"asc", "desc"} {
		stdout, stderr, code := h.run(context.Background(), "--dir", dir)
		if code != 0 {
			t.Fatalf("--dir %s: exit %d: %s", dir, code, stderr)
		}
		if got := exportIDs(t, stdout); !slices.Equal(got, want) {
			t.Errorf("--dir %s: Ids %v, want %v", dir, got, want)
		}
		slices.Reverse(want)
	}
}

// TestExportProgressBar draws the bar on a terminal: records of total.
func TestExportProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := &exportProgress{w: &buf, terminal: true, every: time.Hour}
	p.update(exporter.Progress{Records: 1000, Total: 2500, Pages: 1, Pass: 1})
	p.update(exporter.Progress{Records: 2500, Total: 2500, Pages: 3, Pass: 1})
	p.finish()
	if out := buf.String(); !strings.Contains(out, "exporting") || !strings.Contains(out, "2500") {
		t.Errorf("bar output %q", out)
	}
}

// TestNightlyExportScript runs samples/nightly-export.sh against a sandbox,
// with this test binary standing in for contactbulk: the first run exports
// everything, a second run the same day writes a file of its own, and a
// token file others can read is refused (exit 2).
func TestNightlyExportScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(7, 1001)
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(dir, "contactbulk")
	os.WriteFile(wrapper, []byte("#!/bin/sh\nCONTACTBULK_EXPORT_CHILD=\"$*\" exec '"+self+"' -test.run='^TestExportKilled$'\n"), 0o700)
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("export-test-token\n"), 0o600)
	exports := filepath.Join(dir, "exports")
	script := func(tokenFile string) (string, int) {
		cmd := exec.Command(bash, "samples/nightly-export.sh")
		cmd.Env = append(os.Environ(), "CONTACTBULK="+wrapper, "NEXUDUS_URL="+h.url, "NEXUDUS_TOKEN_FILE="+tokenFile,
			"EXPORT_DIR="+exports, "OVERLAP=10m", "EXTRA_FLAGS=--rate 1000/s --bom",
			"HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	csvFiles := func() []string {
		names, _ := filepath.Glob(filepath.Join(exports, "contacts-*.csv"))
		return slices.DeleteFunc(names, func(n string) bool { return strings.HasSuffix(n, ".deleted.csv") })
	}

	out, code := script(token)
	if code != 0 || !strings.Contains(out, "ok: exported 7 records (1 page)") || !strings.Contains(out, "so everything") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	files := csvFiles()
	if len(files) != 1 {
		t.Fatalf("files %v, want one", files)
	}
	first, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(first), "\uFEFF") || len(exportIDs(t, string(first))) != 7 {
		t.Errorf("first file:\n%s", first)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(exports, ".export-state.json")); err != nil {
		t.Errorf("no state file: %v", err)
	}

	out, code = script(token)
	if code != 0 || !strings.Contains(out, "updated since") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if files := csvFiles(); len(files) != 2 {
		t.Errorf("files %v, want the day's and the second run's", files)
	}
	if again, _ := os.ReadFile(files[0]); !bytes.Equal(again, first) {
		t.Errorf("the second run changed the day's file")
	}

	os.Chmod(token, 0o644)
	if out, code := script(token); code != 2 || !strings.Contains(out, "chmod 600") {
		t.Errorf("readable token file: exit %d\n%s", code, out)
	}
	if out, code := script(""); code != 2 || !strings.Contains(out, "set NEXUDUS_TOKEN_FILE") {
		t.Errorf("no token file: exit %d\n%s", code, out)
	}
}

// TestNightlyExportUnderCron runs samples/nightly-export.sh as cron would:
// an empty environment but cron's PATH (/usr/bin:/bin) and HOME, and the
// variables of the README's cron line. It signs in once with `contactbulk
// login` (the saved login), lets the access token expire between runs,
// deletes a record, and finds it listed in the second run's deleted file.
func TestNightlyExportUnderCron(t *testing.T) {
	if _, err := os.Stat("/usr/bin/env"); err != nil {
		t.Skip("no /usr/bin/env")
	}
	t.Parallel()
	srv, url := startClientSandbox(t, sandbox.Config{TokenTTL: time.Second})
	srv.Generate(6, 1001)
	home := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// contactbulk where the README says to install it; cron's PATH does not
	// hold it, so the cron line names it.
	bin := filepath.Join(home, "bin", "contactbulk")
	os.MkdirAll(filepath.Dir(bin), 0o700)
	os.WriteFile(bin, []byte("#!/bin/sh\nCONTACTBULK_EXPORT_CHILD=\"$*\" exec '"+self+"' -test.run='^TestExportKilled$'\n"), 0o700)
	script, err := filepath.Abs("samples/nightly-export.sh")
	if err != nil {
		t.Fatal(err)
	}
	exports := filepath.Join(home, "audit")
	cron := func(extra ...string) *exec.Cmd {
		cmd := exec.Command("/usr/bin/env", append([]string{"-i", "PATH=/usr/bin:/bin", "HOME=" + home, "SHELL=/bin/sh", "LOGNAME=cron"}, extra...)...)
		return cmd
	}

	// Once, by hand: contactbulk login, unattended.
	login := cron("NEXUDUS_URL="+url, "NEXUDUS_USERNAME="+clientTestEmail, "NEXUDUS_PASSWORD="+clientTestPassword, bin, "login")
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	sessionFiles, _ := filepath.Glob(filepath.Join(home, ".config", "contactbulk", "*"))
	if len(sessionFiles) == 0 {
		t.Fatalf("login saved nothing under %s", home)
	}
	saved := func() string {
		var all []byte
		for _, f := range sessionFiles {
			data, _ := os.ReadFile(f)
			all = append(all, data...)
		}
		return string(all)
	}
	before := saved()

	run := func() (string, int) {
		cmd := cron("CONTACTBULK="+bin, "NEXUDUS_URL="+url, "EXPORT_DIR="+exports, "OVERLAP=10m", "EXTRA_FLAGS=--rate 1000/s", script)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run()
	if code != 0 || !strings.Contains(out, "ok: exported 6 records") {
		logText, _ := os.ReadFile(filepath.Join(exports, "nightly-export.log"))
		t.Fatalf("first run: exit %d\n%s\nlog:\n%s", code, out, logText)
	}

	time.Sleep(1500 * time.Millisecond) // the access token expires
	victim := srv.Records()[2].ID
	srv.Delete(victim)
	fresh := srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Fresh"})
	out, code = run()
	if code != 0 || !strings.Contains(out, "1 record deleted since the last run") {
		logText, _ := os.ReadFile(filepath.Join(exports, "nightly-export.log"))
		t.Fatalf("second run: exit %d\n%s\nlog:\n%s", code, out, logText)
	}
	if saved() == before {
		t.Error("the saved login was not renewed")
	}
	deleted, _ := filepath.Glob(filepath.Join(exports, "contacts-*.deleted.csv"))
	manifests, _ := filepath.Glob(filepath.Join(exports, "contacts-*.manifest.json"))
	if len(deleted) != 2 || len(manifests) != 2 {
		t.Fatalf("deleted files %v, manifests %v", deleted, manifests)
	}
	slices.Sort(deleted)
	var found bool
	for _, f := range deleted {
		data, _ := os.ReadFile(f)
		if string(data) == "Id\n"+strconv.FormatInt(victim, 10)+"\n" {
			found = true
		}
	}
	if !found {
		t.Errorf("no deleted file lists %d", victim)
	}
	for _, m := range manifests {
		var man exportManifest
		data, _ := os.ReadFile(m)
		if err := json.Unmarshal(data, &man); err != nil {
			t.Fatal(err)
		}
		if man.Deleted != nil && *man.Deleted == 1 {
			got, _ := os.ReadFile(man.File)
			if ids := exportIDs(t, string(got)); !slices.Contains(ids, fresh) || man.Records != len(ids) {
				t.Errorf("second file %v, manifest %+v", ids, man)
			}
		}
	}
	if logText, _ := os.ReadFile(filepath.Join(exports, "nightly-export.log")); strings.Contains(string(logText), clientTestPassword) {
		t.Error("the log holds the password")
	}
}
