package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"contactbulk/sandbox"
)

// TestExportSideFilesFailAfterTheFile: with --since-last, the export file
// is put in place first and the state last; when a file beside it cannot
// be written (here the manifest's name is a folder), the error says the
// export file is in place and complete, that the state was not advanced,
// and to run again, which exports the same records again.
func TestExportSideFilesFailAfterTheFile(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(3, 1001)
	dir := t.TempDir()
	out, state := filepath.Join(dir, "contacts.csv"), filepath.Join(dir, "state.json")
	if err := os.WriteFile(out, []byte("Id\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "contacts.manifest.json")
	if err := os.Mkdir(manifest, 0o700); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := h.run(context.Background(), "--since-last", state, "--out", out, "--json")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	if !strings.Contains(stderr, "contacts.csv is in place and complete, but the files beside it were not all written and the --since-last state was not advanced") ||
		strings.Contains(stderr, "left as it was") {
		t.Errorf("stderr = %q, want it to say the file is in place and the state not advanced", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil || len(exportRows(t, string(data))) != 3 {
		t.Fatalf("%s holds %q, %v; want the 3 records exported", out, data, err)
	}
	var sum struct {
		File  string `json:"file"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.File != out || !strings.Contains(sum.Error, "manifest") {
		t.Errorf("summary %s (%v): want file %s, in place, and the error", stdout, err, out)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state was saved (%v), though the run did not finish", err)
	}
	// Run again once it can: the same records again.
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = h.run(context.Background(), "--since-last", state, "--out", out)
	if code != 0 || !strings.Contains(stdout, "exported 3 records") {
		t.Fatalf("run again: exit %d: %s %s", code, stdout, stderr)
	}
}
