package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contactbulk/mapping"
)

func TestJournalReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.results.csv.journal")
	j, err := openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return j.begin("a-0", 2) },
		func() error { return j.done("a-0", 2, Created, 101, "") },
		func() error { return j.begin("b-0", 3) },
		func() error { return j.failed("b-0", 3, "FullName: is a required field") },
		func() error { return j.begin("c-0", 4) },
		func() error { return j.begin("d-0", 5) },
		func() error { return j.unsent("d-0", 5) },
		func() error { return j.done("e-0", 6, Exists, 102, "2 identical contacts exist; this is the newest") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("journal mode %v, want 0600", mode)
	}

	j, err = openJournal(path, "other name.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if j.input != "c.csv" {
		t.Errorf("input %q, want the one the journal was written for", j.input)
	}
	want := map[string]journalEntry{
		"a-0": {Row: 2, State: stateDone, Status: Created, ID: 101},
		"b-0": {Row: 3, State: stateFailed, Msg: "FullName: is a required field"},
		"c-0": {Row: 4, State: stateInFlight},
		"d-0": {Row: 5, State: stateNone},
		"e-0": {Row: 6, State: stateDone, Status: Exists, ID: 102, Msg: "2 identical contacts exist; this is the newest"},
	}
	for key, w := range want {
		t.Run(key, func(t *testing.T) {
			got, ok := j.lookup(key)
			if !ok {
				t.Fatalf("journal lost row %s", key)
			}
			if got.fresh {
				t.Errorf("row %s replayed from disk counts as written by this run", key)
			}
			got.fresh = false
			if inFlight := got.State == stateInFlight; inFlight == got.Since.IsZero() {
				t.Errorf("row %s: state %v since %v: a row in flight needs the time of its begin, and only it", key, got.State, got.Since)
			}
			got.Since = time.Time{}
			if got != w {
				t.Errorf("row %s: got %+v, want %+v", key, got, w)
			}
		})
	}
	if _, ok := j.lookup("zz-0"); ok {
		t.Error("lookup of an unknown key succeeded")
	}
	if j.claimedBy(101) != "a-0" || j.claimedBy(102) != "e-0" || j.claimedBy(103) != "" {
		t.Errorf("claimed ids wrong: 101->%q 102->%q 103->%q", j.claimedBy(101), j.claimedBy(102), j.claimedBy(103))
	}
	if j.loadedRows() != 5 || !j.mattersForResume() {
		t.Errorf("loadedRows %d mattersForResume %v, want 5 true", j.loadedRows(), j.mattersForResume())
	}
}

func TestJournalTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.journal")
	j, err := openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.begin("a-0", 2); err != nil {
		t.Fatal(err)
	}
	if err := j.done("a-0", 2, Created, 7, ""); err != nil {
		t.Fatal(err)
	}
	j.close()
	// A crash in the middle of writing the next line.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"op":"begin","key":"b-0","ro`)
	f.Close()

	j, err = openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatalf("a torn last line must be tolerated: %v", err)
	}
	if e, _ := j.lookup("a-0"); e.State != stateDone || e.ID != 7 {
		t.Errorf("row before the tear: %+v", e)
	}
	if _, ok := j.lookup("b-0"); ok {
		t.Error("the torn line was applied")
	}
	// Appending after the repair must give a readable file.
	if err := j.begin("c-0", 4); err != nil {
		t.Fatal(err)
	}
	j.close()
	j, err = openJournal(path, "c.csv", "")
	if err != nil {
		t.Fatalf("journal unreadable after a repaired tear: %v", err)
	}
	defer j.close()
	if e, ok := j.lookup("c-0"); !ok || e.State != stateInFlight {
		t.Errorf("line written after the repair: %+v %v", e, ok)
	}
}

func TestJournalRefusesDamage(t *testing.T) {
	header := `{"journal":"contactbulk import","version":1,"input":"c.csv"}` + "\n"
	tests := []struct {
		name, content, wantErr string
	}{
		{"not a journal", "row,status,id,error\n", "not a contactbulk journal"},
		{"other version", `{"journal":"contactbulk import","version":9,"input":"c.csv"}` + "\n", "format version 9"},
		{"damaged middle line", header + "garbage\n" + `{"op":"begin","key":"a-0","row":2}` + "\n", "damaged at line 2"},
		{"line without key", header + `{"op":"begin","row":2}` + "\n", "damaged at line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.journal")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			j, err := openJournal(path, "c.csv", "")
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
	_, err := openJournal(filepath.Join(t.TempDir(), "missing", "r.journal"), "c.csv", "")
	if err == nil || !strings.Contains(err.Error(), "open journal") {
		t.Errorf("got %v, want an open journal error", err)
	}
}

func TestKeyer(t *testing.T) {
	id := int64(2001)
	a := mapping.Contact{CoworkerContractID: 1001, FullName: "Ada Lovelace", Email: "ada@example.com", ContractContactType: mapping.TypeDirector}
	spaced := a
	spaced.FullName = "Ada  Lovelace"
	upper := a
	upper.Email = "ADA@example.com"
	other := a
	other.CoworkerID = &id

	k := newKeyer()
	first, second := k.key(a), k.key(a)
	if first == second {
		t.Errorf("identical rows share key %s", first)
	}
	if !strings.HasSuffix(first, "-0") || !strings.HasSuffix(second, "-1") {
		t.Errorf("occurrence numbers: %s, %s", first, second)
	}
	if got := newKeyer().key(upper); got != first {
		t.Errorf("email case changed the key: %s vs %s", got, first)
	}
	if got := newKeyer().key(spaced); got != first {
		t.Errorf("inner spacing of the name changed the key: %s vs %s", got, first)
	}
	if got := newKeyer().key(other); got == first {
		t.Error("a different coworker gave the same key")
	}
	// Order does not matter: the same rows in another order get the same keys.
	k1, k2 := newKeyer(), newKeyer()
	x1, y1 := k1.key(a), k1.key(other)
	y2, x2 := k2.key(other), k2.key(a)
	if x1 != x2 || y1 != y2 {
		t.Error("reordering rows changed their keys")
	}
}
