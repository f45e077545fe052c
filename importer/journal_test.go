package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJournalReplay(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "c.results.csv.journal")
	j, err := openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	const a, b, c, d = "1001/1/name:a", "1001/1/name:b", "1001/1/name:c", "1001/1/name:d"
	steps := []func() error{
		func() error { return j.begin(a, 2, 0) },
		func() error { return j.done(a, 2, 101, "fp-101") },
		func() error { return j.begin(b, 3, 0) },
		func() error { return j.unsent(b, 3) },
		func() error { return j.begin(c, 4, 0) }, // in flight
		func() error { return j.beginUpdate(d, 5, 102) },
		func() error { return j.updated(d, 5, 102, true, "fp-102") },
		func() error { return j.beginUpdate(b, 3, 103) }, // in flight
		func() error { return j.beginDelete(a, 2, 101) },
		func() error { return j.deletedRecord(a, 2, 101, true) },
		func() error { return j.begin(a, 2, 0) },
		func() error { return j.done(a, 2, 104, "fp-104") },
		func() error { return j.beginDelete(a, 2, 104) }, // in flight
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("journal: %v, want mode 0600", err)
	}

	j, err = openJournal(path, "other name.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if j.input != "c.csv" || j.version() != journalVersion {
		t.Errorf("input %q version %d, want the one the journal was written for, version %d", j.input, j.version(), journalVersion)
	}
	if w, ok := j.createInFlight(c); !ok || w.Row != 4 || w.Since.IsZero() {
		t.Errorf("create in flight for c: %+v %v, want row 4 with a time", w, ok)
	}
	if _, ok := j.createInFlight(b); ok {
		t.Error("an unsent create is in flight")
	}
	if w, ok := j.updateInFlight(b); !ok || w.ID != 103 {
		t.Errorf("update in flight for b: %+v %v, want record 103", w, ok)
	}
	if _, ok := j.updateInFlight(d); ok || !j.wasUpdated(102) {
		t.Error("a finished update is in flight, or not recorded as done")
	}
	if key, ok := j.createdBy(104); !ok || key != a || j.createdFor(a) != 104 {
		t.Errorf("record 104: created for %q (%v), createdFor(a) = %d; want a, 104", key, ok, j.createdFor(a))
	}
	if ids := j.createdIDs(); len(ids) != 2 || ids[101] != a || ids[104] != a {
		t.Errorf("created: %v, want 101 and 104, both of a", ids)
	}
	if j.lastWritten(102) != "fp-102" || j.lastWritten(104) != "fp-104" || j.lastWritten(105) != "" {
		t.Errorf("fingerprints of what was written: %q %q %q", j.lastWritten(102), j.lastWritten(104), j.lastWritten(105))
	}
	if !j.wasDeleted(101) || j.wasDeleted(104) {
		t.Error("deleted records wrong: want 101 deleted, 104 not")
	}
	if w, ok := j.deletes[104]; !ok || w.Key != a {
		t.Errorf("delete in flight: %+v %v, want record 104 of a", w, ok)
	}
	if !j.knows(a) || !j.knows(c) || j.knows("1001/1/name:zz") {
		t.Error("knows: wrong rows")
	}
	if j.loadedRows() != 4 || !j.mattersForResume() {
		t.Errorf("loadedRows %d mattersForResume %v, want 4 true", j.loadedRows(), j.mattersForResume())
	}
}

// TestJournalVersion1: a journal written before rows were known by
// identity still counts its created records and its creates in flight.
func TestJournalVersion1(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.journal")
	v1 := `{"journal":"contactbulk import","version":1,"input":"c.csv"}
{"op":"begin","key":"0a1b-0","row":2,"at":1700000000000}
{"op":"done","key":"0a1b-0","row":2,"id":501}
{"op":"begin","key":"2c3d-0","row":3,"at":1700000001000}
{"op":"failed","key":"2c3d-0","row":3,"msg":"FullName: is a required field"}
{"op":"begin","key":"4e5f-0","row":4,"at":1700000002000}
{"op":"exists","key":"6a7b-0","row":5,"id":502}
`
	if err := os.WriteFile(path, []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if _, ok := j.createdBy(501); !ok {
		t.Error("a version 1 created record is not known")
	}
	if _, ok := j.createdBy(502); ok {
		t.Error("a version 1 existing record counts as created")
	}
	inFlight := j.createsInFlight()
	if len(inFlight) != 1 || inFlight[0].Key != "4e5f-0" || !inFlight[0].Since.Equal(time.UnixMilli(1700000002000)) {
		t.Errorf("creates in flight %+v, want 4e5f-0 only, with its time", inFlight)
	}
	if err := j.begin("1001/1/name:x", 6, 0); err != nil {
		t.Fatalf("appending to a version 1 journal: %v", err)
	}
}

func TestJournalTornLastLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.journal")
	j, err := openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.begin("a", 2, 0); err != nil {
		t.Fatal(err)
	}
	if err := j.done("a", 2, 7, ""); err != nil {
		t.Fatal(err)
	}
	j.close()
	// A crash in the middle of writing the next line.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"op":"begin","key":"b","ro`)
	f.Close()

	j, err = openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatalf("a torn last line must be tolerated: %v", err)
	}
	if j.createdFor("a") != 7 {
		t.Errorf("row before the tear: created %d, want 7", j.createdFor("a"))
	}
	if _, ok := j.createInFlight("b"); ok {
		t.Error("the torn line was applied")
	}
	// Appending after the repair must give a readable file.
	if err := j.begin("c", 4, 0); err != nil {
		t.Fatal(err)
	}
	j.close()
	j, err = openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatalf("journal unreadable after a repaired tear: %v", err)
	}
	defer j.close()
	if _, ok := j.createInFlight("c"); !ok {
		t.Error("the line written after the repair was lost")
	}
}

func TestJournalRefusesDamage(t *testing.T) {
	t.Parallel()
	header := `{"journal":"contactbulk import","version":2,"input":"c.csv"}` + "\n"
	tests := []struct {
		name, content, wantErr string
	}{
		{"not a journal", "row,status,id,error\n", "not a contactbulk journal"},
		{"other version", `{"journal":"contactbulk import","version":9,"input":"c.csv"}` + "\n", "format version 9"},
		{"damaged middle line", header + "garbage\n" + `{"op":"begin","key":"a","row":2}` + "\n", "damaged at line 2"},
		{"line without key or id", header + `{"op":"begin","row":2}` + "\n", "damaged at line 2"},
		{"another target", `{"journal":"contactbulk import","version":2,"input":"c.csv","target":"embedded sandbox"}` + "\n", "records imports into embedded sandbox"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "r.journal")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := openJournal(path, "c.csv", "https://spaces.nexudus.com")
			if err == nil {
				j.close()
				t.Fatalf("opened a journal that is %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not say %q", err, tc.wantErr)
			}
		})
	}
}

func TestJournalUnwritableFolder(t *testing.T) {
	t.Parallel()
	_, err := openJournal(filepath.Join(t.TempDir(), "missing", "r.journal"), "c.csv", "")
	if err == nil || !strings.Contains(err.Error(), "open journal") {
		t.Errorf("got %v, want an open journal error", err)
	}
}
