package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

var updateSamples = flag.Bool("update-samples", false, "regenerate samples/contacts.xlsx from samples/contacts.csv")

// runImport runs `contactbulk import args...` in-process against url and
// returns stdout, stderr and the exit code.
func runImport(t *testing.T, url string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	env := map[string]string{"NEXUDUS_URL": url, "NEXUDUS_TOKEN": "import-test-token"}
	return runCLI(context.Background(), t, env, stdin, append([]string{"import"}, args...)...)
}

// TestImportSamplesDryRun dry-runs every sample and checks its outcome.
func TestImportSamplesDryRun(t *testing.T) {
	if *updateSamples {
		writeSampleXLSX(t)
	}
	cases := []struct {
		name     string
		args     []string
		wantExit int
		want     string
	}{
		{"contacts", []string{"samples/contacts.csv"}, 0, "dry run: 20 rows, 20 valid, 0 invalid"},
		{"errors", []string{"samples/contacts-with-errors.csv"}, 1, "dry run: 15 rows, 1 valid, 14 invalid"},
		{"other headers", []string{"--mapping", "samples/mapping.yaml", "--date-format", "DMY", "samples/contacts-other-headers.csv"}, 0, "dry run: 5 rows, 5 valid, 0 invalid"},
		{"other headers without mapping", []string{"samples/contacts-other-headers.csv"}, 2, "no column gives CoworkerContractId"},
		{"other headers by flags", []string{"--map", "Member=FullName", "--map", "Agreement no.=CoworkerContractId", "--set", "Type=None", "--date-format", "dmy", "samples/contacts-other-headers.csv"}, 0, "dry run: 5 rows, 5 valid"},
		{"xlsx", []string{"samples/contacts.xlsx"}, 0, "dry run: 20 rows, 20 valid, 0 invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runImport(t, "http://127.0.0.1:1", "", append([]string{"--dry-run"}, tc.args...)...)
			if code != tc.wantExit || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tc.wantExit, tc.want)
			}
		})
	}
}

// TestImportUsage checks each bad flag or file is one line and exit 2.
func TestImportUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no file", nil, "import needs one FILE"},
		{"two files", []string{"a.csv", "b.csv"}, "import needs one FILE"},
		{"missing file", []string{"nope.csv"}, "read nope.csv"},
		{"bad flag", []string{"--frobnicate", "samples/contacts.csv"}, "unknown flag: --frobnicate"},
		{"bad delimiter", []string{"--delimiter", "ab", "samples/contacts.csv"}, "--delimiter"},
		{"bad date format", []string{"--date-format", "YMD", "samples/contacts.csv"}, "--date-format"},
		{"bad concurrency", []string{"--concurrency", "0", "samples/contacts.csv"}, "--concurrency 0"},
		{"bad set", []string{"--set", "Emial=x", "samples/contacts.csv"}, "did you mean Email?"},
		{"bad map", []string{"--map", "nofield", "samples/contacts.csv"}, "--map"},
		{"missing mapping", []string{"--mapping", "nope.yaml", "samples/contacts.csv"}, "--mapping"},
		{"bad encoding", []string{"--encoding", "klingon", "samples/contacts.csv"}, `--encoding "klingon": not an encoding`},
		{"missing sheet", []string{"--sheet", "Nope", "samples/contacts.xlsx"}, `no sheet "Nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runImport(t, "http://127.0.0.1:1", "", append([]string{"--dry-run"}, tc.args...)...)
			if code != exitCannotRun || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and one line with %q", code, stderr, tc.want)
			}
		})
	}
}

// TestImportDryRunResultsAndJSON writes the annotated results file only
// with --results, reads stdin, and prints JSON with --json.
func TestImportDryRunResultsAndJSON(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "out.csv")
	data, err := os.ReadFile("samples/contacts-with-errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runImport(t, "http://127.0.0.1:1", string(data), "--dry-run", "--json", "--results", results, "-")
	if code != exitRowsFailed {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if sum["invalid"] != 14.0 || sum["valid"] != 1.0 || sum["results"] != results {
		t.Errorf("summary %v", sum)
	}
	if !strings.Contains(stderr, `row 12, DateOfBirth: "31/02/1990" is not a date`) {
		t.Errorf("report lacks the row 12 problem:\n%s", stderr)
	}
	f, err := os.Open(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 16 || strings.Join(recs[0][:4], ",") != "row,status,id,error" || recs[11][1] != "invalid" {
		t.Errorf("results file: %d lines, header %v, row 12 %v", len(recs), recs[0], recs[11])
	}
	if _, err := os.Stat("stdin.results.csv"); err == nil {
		t.Error("a dry run without --results wrote stdin.results.csv")
	}
}

// TestImportSandbox imports the sample into a sandbox, then re-runs the
// same command, which creates nothing more.
func TestImportSandbox(t *testing.T) {
	srv, err := sandbox.New(sandbox.Config{Token: "import-test-token", Limits: sandbox.Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	data, _ := os.ReadFile("samples/contacts.csv")
	os.WriteFile(input, data, 0o600)

	stdout, stderr, code := runImport(t, ts.URL, "", "--rate", "1000/s", "--json", input)
	if code != exitOK || !strings.Contains(stdout, `"created": 20`) {
		b, _ := os.ReadFile(filepath.Join(dir, "contacts.results.csv"))
		t.Fatalf("first import: exit %d\nstdout %s\nstderr %s\n%s", code, stdout, stderr, b)
	}
	results := filepath.Join(dir, "contacts.results.csv")
	if st, err := os.Stat(results); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("results file: %v %v", st, err)
	}
	stdout, stderr, code = runImport(t, ts.URL, "", "--rate", "1000/s", "--json", input)
	if code != exitOK || !strings.Contains(stdout, `"created": 0`) || !strings.Contains(stdout, `"already_done": 20`) {
		t.Errorf("second import: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}

	// The same sheet into another space: its results file speaks of the
	// first one, so the run is refused rather than "20 already done".
	other, err := sandbox.New(sandbox.Config{Token: "import-test-token", Limits: sandbox.Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(other)
	defer ts2.Close()
	_, stderr, code = runImport(t, ts2.URL, "", "--rate", "1000/s", input)
	if code != exitCannotRun || !strings.Contains(stderr, "records imports into "+ts.URL) || !strings.Contains(stderr, "--results") {
		t.Errorf("import into another space: exit %d\nstderr %s", code, stderr)
	}
	if n := len(other.Records()); n != 0 {
		t.Errorf("%d records created in the other space", n)
	}
}

// writeSampleXLSX writes samples/contacts.xlsx from samples/contacts.csv,
// with numbers as numbers and dates as date-formatted serials.
func writeSampleXLSX(t *testing.T) {
	f, err := os.Open("samples/contacts.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	x := excelize.NewFile()
	defer x.Close()
	dateStyle, _ := x.NewStyle(&excelize.Style{NumFmt: 14})
	for i, rec := range recs {
		for j, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			switch {
			case i > 0 && recs[0][j] == "DateOfBirth" && v != "":
				d, _ := parseISODate(v)
				x.SetCellValue("Sheet1", cell, d)
				x.SetCellStyle("Sheet1", cell, cell, dateStyle)
			case i > 0 && (strings.HasSuffix(recs[0][j], "Id")) && v != "":
				n, _ := json.Number(v).Int64()
				x.SetCellValue("Sheet1", cell, n)
			default:
				x.SetCellValue("Sheet1", cell, v)
			}
		}
	}
	x.SetSheetName("Sheet1", "Contacts")
	if err := x.SaveAs("samples/contacts.xlsx"); err != nil {
		t.Fatal(err)
	}
}

func parseISODate(s string) (time.Time, error) { return time.Parse("2006-01-02", s) }

// TestLiftRequestPacing: a --rate faster than the request pacing lifts it;
// the documented rates, or slower ones, leave it alone.
func TestLiftRequestPacing(t *testing.T) {
	documented := nexudus.Config{MinInterval: 0, PerHour: 5000}
	cases := []struct {
		name   string
		writes nexudus.Rate
		lifted bool
	}{
		{"documented", nexudus.Rate{N: 60, Per: time.Minute}, false},
		{"slower", nexudus.Rate{N: 10, Per: time.Minute}, false},
		{"as fast as the requests", nexudus.Rate{N: 2, Per: time.Second}, false},
		{"faster", nexudus.Rate{N: 1000, Per: time.Second}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := documented
			cfg.WriteRate = tc.writes
			liftRequestPacing(&cfg)
			want := documented
			want.WriteRate = tc.writes
			if tc.lifted {
				want.Rate, want.MinInterval, want.PerHour = nexudus.Rate{N: 2 * tc.writes.N, Per: tc.writes.Per}, -1, 0
			}
			if cfg.Rate != want.Rate || cfg.MinInterval != want.MinInterval || cfg.PerHour != want.PerHour {
				t.Errorf("got rate %v, interval %v, per hour %d; want %v, %v, %d", cfg.Rate, cfg.MinInterval, cfg.PerHour, want.Rate, want.MinInterval, want.PerHour)
			}
		})
	}
}

// TestImportPlanUpdateUndo drives the identity features through the CLI:
// --plan writes nothing and exits 1 while rows differ, an edited sheet
// exits 1 with the rows differing, --update applies them, and undo deletes
// what the import created after asking (--yes in scripts).
func TestImportPlanUpdateUndo(t *testing.T) {
	srv, err := sandbox.New(sandbox.Config{Token: "import-test-token", Limits: sandbox.Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts.csv")
	data, _ := os.ReadFile("samples/contacts.csv")
	os.WriteFile(input, data, 0o600)
	results := filepath.Join(dir, "contacts.results.csv")

	stdout, stderr, code := runImport(t, ts.URL, "", "--rate", "1000/s", "--plan", "--json", input)
	if code != exitOK || !strings.Contains(stderr, "plan: 20 rows: 20 new") || !strings.Contains(stdout, `"new": 20`) || srv.Count() != 0 {
		t.Fatalf("plan: exit %d, %d records\nstdout %s\nstderr %s", code, srv.Count(), stdout, stderr)
	}
	if _, stderr, code = runImport(t, ts.URL, "", "--rate", "1000/s", input); code != exitOK || !strings.Contains(stderr, "verified: 20 rows, 20 records, 0 duplicates") {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	edited := strings.Replace(string(data), "edsger.dijkstra@example.com", "edsger@example.com", 1)
	if edited == string(data) {
		t.Fatal("the sample has no edsger.dijkstra@example.com to edit")
	}
	os.WriteFile(input, []byte(edited), 0o600)
	_, stderr, code = runImport(t, ts.URL, "", "--rate", "1000/s", input)
	if code != exitRowsFailed || !strings.Contains(stderr, "1 differs") || !strings.Contains(stderr, "--update") || srv.Count() != 20 {
		t.Fatalf("edited sheet: exit %d, %d records\n%s", code, srv.Count(), stderr)
	}
	_, stderr, code = runImport(t, ts.URL, "", "--rate", "1000/s", "--update", input)
	if code != exitOK || !strings.Contains(stderr, "1 updated") || srv.Count() != 20 {
		t.Fatalf("--update: exit %d, %d records\n%s", code, srv.Count(), stderr)
	}

	env := map[string]string{"NEXUDUS_URL": ts.URL, "NEXUDUS_TOKEN": "import-test-token"}
	_, stderr, code = runCLI(context.Background(), t, env, "", "undo", "--rate", "1000/s", results)
	if code != exitCannotRun || !strings.Contains(stderr, "--yes") || srv.Count() != 20 {
		t.Fatalf("undo without a terminal or --yes: exit %d, %d records\n%s", code, srv.Count(), stderr)
	}
	// One record is changed in Nexudus after the import: undo keeps it.
	rec := srv.Records()[0]
	rec.Notes = ptrTo("changed by hand")
	srv.Insert(rec)
	stdout, stderr, code = runCLI(context.Background(), t, env, "", "undo", "--rate", "1000/s", "--yes", "--json", results)
	if code != exitRowsFailed || srv.Count() != 1 || !strings.Contains(stdout, `"deleted": 19`) || !strings.Contains(stdout, `"kept": 1`) {
		t.Fatalf("undo --yes: exit %d, %d records (want the changed one kept)\nstdout %s\nstderr %s", code, srv.Count(), stdout, stderr)
	}
	if _, stderr, code = runCLI(context.Background(), t, env, "", "undo", "--rate", "1000/s", "--yes", "--force", results); code != exitOK || srv.Count() != 0 {
		t.Fatalf("undo --force: exit %d, %d records\n%s", code, srv.Count(), stderr)
	}
}

// TestImportRefusesOthersFiles: a --results path that is a folder or
// someone else's file is refused before anything is read or sent, dry
// run included.
func TestImportRefusesOthersFiles(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "notes.csv")
	os.WriteFile(mine, []byte("name,phone\nAnn,1\n"), 0o600)
	for _, args := range [][]string{
		{"--dry-run", "--results", dir, "samples/contacts.csv"},
		{"--dry-run", "--results", mine, "samples/contacts.csv"},
		{"--results", mine, "samples/contacts.csv"},
	} {
		_, stderr, code := runImport(t, "http://127.0.0.1:1", "", args...)
		if code != exitCannotRun || !strings.Contains(stderr, "--results") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d\n%s\nwant exit 2, one line naming --results", args, code, stderr)
		}
	}
	if b, _ := os.ReadFile(mine); string(b) != "name,phone\nAnn,1\n" {
		t.Errorf("someone else's file was changed: %q", b)
	}
	_, stderr, code := runImport(t, "http://127.0.0.1:1", "", "--dry-run", "--skip-existing", "samples/contacts.csv")
	if code != exitOK || !strings.Contains(stderr, "deprecated") {
		t.Errorf("--skip-existing: exit %d\n%s\nwant it accepted with a deprecation note", code, stderr)
	}
}

func ptrTo[T any](v T) *T { return &v }
