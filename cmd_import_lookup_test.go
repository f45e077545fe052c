package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

// TestImportLookups drives the lookups through the command line: the
// sample that names its records is checked offline, planned with the Ids
// it finds, imported, and imported again without creating anything; a
// missing role stops the run with exit 2, naming it.
func TestImportLookups(t *testing.T) {
	t.Parallel()
	s := sandboxtest.New(t, sandbox.Config{Token: "import-test-token"})
	dir := t.TempDir()
	input := filepath.Join(dir, "contacts-by-name.csv")
	data, err := os.ReadFile("samples/contacts-by-name.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, data, 0o600); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "contacts-by-name.results.csv")

	_, stderr, code := runImport(t, "http://127.0.0.1:1", "", "--dry-run", input)
	if code != exitOK || !strings.Contains(stderr, "rows name their contract by holder email: looked up when importing; --plan shows the result") ||
		!strings.Contains(stderr, "dry run: 8 rows, 8 valid, 0 invalid") {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	if s.Total() != 0 {
		t.Errorf("the dry run sent %d requests", s.Total())
	}

	stdout, stderr, code := runImport(t, s.URL, "", "--rate", "1000/s", "--plan", "--json", input)
	if code != exitOK || !strings.Contains(stderr, "plan: 8 rows: 8 new") || !strings.Contains(stdout, `"lookups": {`) || !strings.Contains(stdout, `"reads": 3`) {
		t.Fatalf("plan: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	ids := columnOf(t, results, "CoworkerContractId")
	if want := []string{"1002", "1003", "1004", "1005", "1010", "1006", "1008", "1002"}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("the plan's CoworkerContractId column %v, want %v", ids, want)
	}
	if got := strings.Join(columnOf(t, results, "CountryId"), ","); got != "1,3,4,41,2,6,41,60" {
		t.Errorf("the plan's CountryId column %s", got)
	}

	if _, stderr, code = runImport(t, s.URL, "", "--rate", "1000/s", input); code != exitOK || !strings.Contains(stderr, "8 created") {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	if _, stderr, code = runImport(t, s.URL, "", "--rate", "1000/s", "--results", filepath.Join(dir, "again.csv"), input); code != exitOK ||
		!strings.Contains(stderr, "0 created, 8 exists") || s.Sandbox.Count() != 8 {
		t.Fatalf("again: exit %d, %d records\n%s", code, s.Sandbox.Count(), stderr)
	}

	denied := sandboxtest.New(t, sandbox.Config{Token: "import-test-token", Behaviour: sandbox.Behaviour{Roles: []string{
		"ContractContact-List", "ContractContact-Read", "ContractContact-Create", "Coworker-List", "Country-List"}}})
	_, stderr, code = runImport(t, denied.URL, "", "--rate", "1000/s", "--results", filepath.Join(dir, "denied.csv"), input)
	if code != exitCannotRun || !strings.Contains(stderr, "CoworkerContract-List") || denied.Sandbox.Count() != 0 {
		t.Errorf("without CoworkerContract-List: exit %d\n%s", code, stderr)
	}

	if _, stderr, code = runImport(t, s.URL, "", "--dry-run", "--include-inactive", input); code != exitCannotRun || !strings.Contains(stderr, "--include-inactive") {
		t.Errorf("--dry-run --include-inactive: exit %d\n%s", code, stderr)
	}
	stdout, _, _ = runCLI(context.Background(), t, nil, "", "import", "--help")
	if !strings.Contains(stdout, "contactbulk import --plan samples/contacts-by-name.csv") || !strings.Contains(stdout, "--include-inactive") {
		t.Errorf("import --help shows no lookup example:\n%s", stdout)
	}
}

// columnOf returns the cells of a results file's column, in order.
func columnOf(t *testing.T, path, column string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, h := range recs[0] {
		if h == column {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("%s has no column %s: %v", path, column, recs[0])
	}
	var out []string
	for _, rec := range recs[1:] {
		out = append(out, rec[at])
	}
	return out
}
