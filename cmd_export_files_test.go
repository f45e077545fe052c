package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"contactbulk/exporter"
	"contactbulk/sandbox"
)

// TestExportXLSX writes XLSX chosen by the extension or by --format, and
// refuses formats and flags that do not go together.
func TestExportXLSX(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	id := h.insert(sandbox.Record{FullName: "=cmd", PostCode: strp("02134"), PhoneNumber: strp("+44 20 7946 0000")})
	dir := t.TempDir()
	readBook := func(t *testing.T, data []byte) [][]string {
		book, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("not an XLSX file: %v", err)
		}
		defer book.Close()
		rows, err := book.GetRows(book.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	t.Run("by extension", func(t *testing.T) {
		out := filepath.Join(dir, "contacts.xlsx")
		stdout, stderr, code := h.run(context.Background(), "--out", out, "--columns", "Id,FullName,PhoneNumber")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "exported 1 record") {
			t.Errorf("summary %q", stdout)
		}
		data, _ := os.ReadFile(out)
		rows := readBook(t, data)
		want := [][]string{{"Id", "FullName", "PhoneNumber"}, {strconv.FormatInt(id, 10), "=cmd", "+44 20 7946 0000"}}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("rows %q, want %q", rows, want)
		}
		if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
	})
	t.Run("stdout with --format", func(t *testing.T) {
		stdout, stderr, code := h.run(context.Background(), "--format", "xlsx", "--columns", "PostCode", "--full")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if rows := readBook(t, []byte(stdout)); len(rows) != 2 || rows[1][0] != "02134" {
			t.Errorf("rows %q", rows)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"format against extension", []string{"--out", filepath.Join(dir, "a.csv"), "--format", "xlsx"}, "--format xlsx does not match --out"},
		{"unknown format", []string{"--format", "ods"}, "--format \"ods\": use csv or xlsx"},
		{"a format export does not write", []string{"--out", filepath.Join(dir, "a.ods")}, "export writes .csv or .xlsx files"},
		{"bom with xlsx", []string{"--out", filepath.Join(dir, "a.xlsx"), "--bom"}, "--bom applies to CSV"},
		{"raw with xlsx", []string{"--format", "xlsx", "--raw"}, "--raw applies to CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := h.run(context.Background(), tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestExportOutNotAFile writes to a FIFO, a device and a descriptor in
// place and never replaces them.
func TestExportOutNotAFile(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(3, 1001)
	dir := t.TempDir()
	t.Run("fifo", func(t *testing.T) {
		fifo := filepath.Join(dir, "pipe")
		if err := mkfifo(fifo); err != nil {
			t.Skip(err)
		}
		got := make(chan string)
		go func() {
			data, _ := os.ReadFile(fifo)
			got <- string(data)
		}()
		stdout, stderr, code := h.run(context.Background(), "--out", fifo)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if n := len(exportRows(t, <-got)); n != 3 {
			t.Errorf("%d rows through the FIFO", n)
		}
		if !strings.Contains(stdout, "exported 3 records") {
			t.Errorf("summary %q", stdout)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced (%v)", err)
		}
	})
	t.Run("devices", func(t *testing.T) {
		if _, stderr, code := h.run(context.Background(), "--out", "/dev/null"); code != 0 {
			t.Errorf("/dev/null: exit %d: %s", code, stderr)
		}
		if _, err := os.Stat("/dev/full"); err != nil {
			return
		}
		_, stderr, code := h.run(context.Background(), "--out", "/dev/full")
		if code != 1 || !strings.Contains(stderr, "no space left") || !strings.Contains(stderr, "what was written to /dev/full is incomplete") {
			t.Errorf("/dev/full: exit %d: %s", code, stderr)
		}
		for _, dev := range []string{"/dev/null", "/dev/full"} {
			if fi, err := os.Stat(dev); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
				t.Errorf("%s is no longer a device", dev)
			}
		}
	})
	t.Run("descriptor that is stdout", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		name := "/proc/self/fd/" + strconv.Itoa(int(w.Fd()))
		if _, err := os.Stat(name); err != nil {
			w.Close()
			t.Skip("no /proc")
		}
		read := make(chan string)
		go func() {
			data, _ := io.ReadAll(r)
			read <- string(data)
		}()
		a, _, stderr := testApp(t, map[string]string{"NEXUDUS_URL": h.url, "NEXUDUS_TOKEN": "export-test-token"}, "")
		a.stdout = w
		err = a.run(context.Background(), []string{"export", "--rate", "1000/s", "--out", name, "--json"})
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "is stdout, where --json prints the summary") {
			t.Errorf("--json to stdout twice: %v", err)
		}
		if err := a.run(context.Background(), []string{"export", "--rate", "1000/s", "--out", name}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		data := <-read
		if n := len(exportRows(t, data)); n != 3 {
			t.Errorf("%d rows on stdout:\n%s", n, data)
		}
		if !strings.Contains(stderr.String(), "exported 3 records") {
			t.Errorf("the summary is not on stderr: %q", stderr.String())
		}
	})
}

// TestExportJSONOnStdout: --json prints only the summary, on stdout, so it
// needs the data elsewhere.
func TestExportJSONOnStdout(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(2, 1001)
	stdout, stderr, code := h.run(context.Background(), "--json")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--json prints the summary on stdout, which carries the csv without --out") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "c.csv")
	stdout, _, code = h.run(context.Background(), "--json", "--out", out)
	var sum map[string]any
	if err := json.Unmarshal([]byte(stdout), &sum); code != 0 || err != nil {
		t.Fatalf("exit %d, stdout is not JSON alone (%v): %q", code, err, stdout)
	}
	for _, key := range []string{"records", "listed", "pages", "total_items", "passes", "repaired", "repeats", "full_reads", "one_reads", "vanished", "undated", "order", "page_size", "dir_convention", "consistent", "elapsed_seconds", "file", "format"} {
		if _, ok := sum[key]; !ok {
			t.Errorf("summary lacks %q: %v", key, sum)
		}
	}
	for key := range sum {
		if key != strings.ToLower(key) {
			t.Errorf("key %q is not snake_case", key)
		}
	}
}

// TestExportStateFromTheFuture refuses a state a clock that ran ahead
// wrote, and leaves the state and the previous file as they were.
func TestExportStateFromTheFuture(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	h.srv.Generate(2, 1001)
	dir := t.TempDir()
	state, out := filepath.Join(dir, "s.json"), filepath.Join(dir, "out.csv")
	future := time.Now().Add(30 * time.Hour).UTC().Truncate(time.Second)
	if err := exporter.SaveState(state, exporter.State{LastStart: future, LastSuccess: future}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(out, []byte("yesterday\n"), 0o600)
	before, _ := os.ReadFile(state)
	stdout, stderr, code := h.run(context.Background(), "--since-last", state, "--out", out)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "from now: the clock that wrote it ran ahead") || !strings.Contains(stderr, "remove the state file to export everything once") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Errorf("the state changed:\n%s", after)
	}
	if data, _ := os.ReadFile(out); string(data) != "yesterday\n" {
		t.Errorf("the previous file now holds %q", data)
	}
}

// TestExportSinceLastDeletedAndManifest runs --since-last twice with a
// record deleted, one changed with an offset date and one created in
// between: the second run lists the deleted Id, writes the changed ones,
// and a manifest that matches its file.
func TestExportSinceLastDeletedAndManifest(t *testing.T) {
	h := newExportHarness(t, sandbox.Config{})
	keep := h.insert(sandbox.Record{FullName: "Keep", UpdatedOn: "2024-01-01T00:00:00Z"})
	gone := h.insert(sandbox.Record{FullName: "Gone", UpdatedOn: "2024-01-01T00:00:00Z"})
	moved := h.insert(sandbox.Record{FullName: "Moved", UpdatedOn: "2024-01-01T00:00:00Z"})
	dir := t.TempDir()
	state := filepath.Join(dir, "export.state")
	first, second := filepath.Join(dir, "day1.csv"), filepath.Join(dir, "day2.csv")
	if _, stderr, code := h.run(context.Background(), "--since-last", state, "--overlap", "10m", "--out", first); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "day1.deleted.csv")); string(data) != "Id\n" {
		t.Errorf("first run's deleted file %q", data)
	}
	h.srv.Delete(gone)
	for _, r := range h.srv.Records() {
		if r.ID == moved {
			// An offset form, an hour from now in a zone 5 hours behind UTC.
			r.UpdatedOn = time.Now().Add(time.Hour).In(time.FixedZone("", -5*3600)).Format("2006-01-02T15:04:05-07:00")
			h.srv.Insert(r)
		}
	}
	fresh := h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Fresh"})
	stdout, stderr, code := h.run(context.Background(), "--since-last", state, "--overlap", "10m", "--out", second, "--json")
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(second)
	if ids := exportIDs(t, string(data)); !slices.Equal(ids, []int64{moved, fresh}) {
		t.Errorf("second run exported %v, want %v", ids, []int64{moved, fresh})
	}
	deleted, _ := os.ReadFile(filepath.Join(dir, "day2.deleted.csv"))
	if want := "Id\n" + strconv.FormatInt(gone, 10) + "\n"; string(deleted) != want {
		t.Errorf("deleted file %q, want %q", deleted, want)
	}
	var sum struct {
		Deleted      *int   `json:"deleted"`
		DeletedFile  string `json:"deleted_file"`
		ManifestFile string `json:"manifest_file"`
		Listed       int    `json:"listed"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Deleted == nil || *sum.Deleted != 1 || sum.Listed != 3 {
		t.Errorf("summary %s (%v)", stdout, err)
	}
	var m exportManifest
	raw, err := os.ReadFile(sum.ManifestFile)
	if err != nil || json.Unmarshal(raw, &m) != nil {
		t.Fatalf("manifest %s: %v\n%s", sum.ManifestFile, err, raw)
	}
	hash := sha256.Sum256(data)
	if m.File != second || m.Records != 2 || m.SHA256 != hex.EncodeToString(hash[:]) || m.Bytes != int64(len(data)) ||
		m.Deleted == nil || *m.Deleted != 1 || m.DeletedFile != filepath.Join(dir, "day2.deleted.csv") || m.State.File != state ||
		m.State.LastStart.IsZero() || m.UpdatedSince == "" || !m.FinishedAt.After(m.StartedAt) && !m.FinishedAt.Equal(m.StartedAt) {
		t.Errorf("manifest %+v", m)
	}
	if fi, _ := os.Stat(sum.ManifestFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode %v", fi.Mode().Perm())
	}
	st, _ := exporter.LoadState(state)
	ids, _ := os.ReadFile(exporter.IDSetPath(state))
	lines := strings.Split(strings.TrimSpace(string(ids)), "\n")
	if st.IDs != 3 || !slices.Equal(lines[1:], []string{strconv.FormatInt(keep, 10), strconv.FormatInt(moved, 10), strconv.FormatInt(fresh, 10)}) {
		t.Errorf("state %+v, Id set %q", st, ids)
	}
}
