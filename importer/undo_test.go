package importer

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// clock is a settable time for the sandbox, so that records can be
// updated a while after they were created.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// yes confirms an undo and remembers what it was asked.
type yes struct{ asked string }

func (y *yes) confirm(prompt string) (bool, error) {
	y.asked = prompt
	return true, nil
}

// TestUndo deletes exactly what an import created: not the row that
// existed, not the one it updated, not a record changed since (unless
// forced); it rewrites the results file and verifies the records gone.
func TestUndo(t *testing.T) {
	t.Parallel()
	now := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	e := newEnv(t, sandbox.Config{Now: now.Now})
	ps := people(8)
	existing := e.srv.Insert(recordOf(ps[0]))
	stale := recordOf(ps[1])
	stale.Email = ptr("old.address@example.com")
	updated := e.srv.Insert(stale)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := testOptions(results)
	opt.Update = true
	if sum := e.run(t, path, opt); sum.Created != 6 || sum.Exists != 1 || sum.Updated != 1 {
		t.Fatalf("import: %+v, want 6 created, 1 exists, 1 updated", countsOf(sum))
	}
	rows := readResults(t, results)
	renamed, touched := rows[2].id, rows[3].id
	now.advance(time.Hour)
	rec := recordByID(t, e.srv, renamed)
	rec.FullName = "Someone Else"
	e.srv.Insert(rec) // renamed in Nexudus since
	changed := contactFor(ps[3])
	changed.PhoneNumber = "+44 161 496 0000"
	if err := e.client.Update(context.Background(), touched, changed); err != nil {
		t.Fatal(err) // given a phone number in Nexudus since
	}

	y := &yes{}
	sum, err := Undo(context.Background(), results, e.client, UndoOptions{Confirm: y.confirm})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 6 || sum.Deleted != 4 || sum.Kept != 2 || sum.Unfinished() != 2 {
		t.Errorf("undo: %+v, want 6 records, 4 deleted, 2 kept", sum)
	}
	if !strings.Contains(y.asked, "4 records") || !strings.Contains(y.asked, "permanent") {
		t.Errorf("confirmation %q does not give the count and say it is permanent", y.asked)
	}
	if v := sum.Verified; v == nil || v.Rows != 4 || v.Records != 0 {
		t.Errorf("verification %+v, want 4 deleted, none left", v)
	}
	left := map[int64]bool{}
	for _, r := range e.srv.Records() {
		left[r.ID] = true
	}
	if len(left) != 4 || !left[existing] || !left[updated] || !left[renamed] || !left[touched] {
		t.Errorf("records left %v, want the existing %d, the updated %d and the two changed since (%d, %d)", left, existing, updated, renamed, touched)
	}
	for _, r := range readResults(t, results) {
		want := Deleted
		switch r.id {
		case existing:
			want = Exists
		case updated:
			want = Updated
		case renamed, touched:
			want = Created
			if !strings.Contains(r.msg, "--force") {
				t.Errorf("row %d kept without saying why: %q", r.row, r.msg)
			}
		}
		if r.status != want {
			t.Errorf("row %d (%d): %s, want %s", r.row, r.id, r.status, want)
		}
	}

	sum, err = Undo(context.Background(), results, e.client, UndoOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 2 || sum.Gone != 4 || sum.Unfinished() != 0 {
		t.Errorf("undo --force: %+v, want the 2 changed deleted, 4 already gone", sum)
	}
	if n := e.srv.Count(); n != 2 {
		t.Errorf("%d records after undo --force, want the 2 the import did not create", n)
	}
	// Importing again creates the rows again: the space says they are new.
	if sum := e.run(t, path, testOptions(results)); sum.Created != 6 {
		t.Errorf("import after undo: %+v, want 6 created", countsOf(sum))
	}
}

// TestUndoDeclined: a declined confirmation deletes nothing.
func TestUndoDeclined(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := writeInput(t, e.dir, "contacts.csv", people(3))
	results := filepath.Join(e.dir, "contacts.results.csv")
	e.run(t, path, testOptions(results))
	before, _ := os.ReadFile(results)
	_, err := Undo(context.Background(), results, e.client, UndoOptions{Confirm: func(string) (bool, error) { return false, nil }})
	if !errors.Is(err, ErrUndoDeclined) {
		t.Errorf("declined undo: %v, want ErrUndoDeclined", err)
	}
	if n := e.srv.Count(); n != 3 {
		t.Errorf("%d records after a declined undo, want 3", n)
	}
	if after, _ := os.ReadFile(results); !bytes.Equal(before, after) {
		t.Error("a declined undo rewrote the results file")
	}
}

// TestUndoWithoutJournal: with the journal gone, undo deletes the records
// the results file marks created, and says so.
func TestUndoWithoutJournal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(4)
	keep := e.srv.Insert(recordOf(ps[0]))
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	e.run(t, path, testOptions(results))
	if err := os.Remove(JournalPath(results)); err != nil {
		t.Fatal(err)
	}
	sum, err := Undo(context.Background(), results, e.client, UndoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 3 || len(sum.Notes) == 0 || !strings.Contains(sum.Notes[0], "no journal") {
		t.Errorf("undo without a journal: %+v, want 3 deleted and a note", sum)
	}
	if recs := e.srv.Records(); len(recs) != 1 || recs[0].ID != keep {
		t.Errorf("records left %v, want only %d", recs, keep)
	}
	// Again: the journal undo wrote holds only its deletes.
	sum, err = Undo(context.Background(), results, e.client, UndoOptions{})
	if err != nil || sum.Gone != 3 || sum.Deleted != 0 || sum.NotOurs != 0 {
		t.Errorf("undo again: %+v, %v; want 3 already gone", sum, err)
	}
}

// TestUndoRefusesOtherFiles: undo needs a results file.
func TestUndoRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := writeInput(t, e.dir, "contacts.csv", people(2))
	for name, file := range map[string]string{"missing": filepath.Join(e.dir, "nope.csv"), "not results": path} {
		if _, err := Undo(context.Background(), file, e.client, UndoOptions{}); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want an ErrInput", name, err)
		}
	}
}

// The environment of the child process TestKillUndoProcess runs.
const killUndoEnv = "CONTACTBULK_KILLUNDO_CHILD"

// TestKillUndoProcess kills an undo with SIGKILL at random points and runs
// it again each time: in the end exactly the created records are gone.
func TestKillUndoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	ps := people(30)
	keep := e.srv.Insert(recordOf(ps[0]))
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	e.run(t, path, testOptions(results))
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill points from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillUndoHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), killUndoEnv+"=1", killURLEnv+"="+e.ts.URL, killTokenEnv+"="+e.srv.Token(), killResultsEnv+"="+results)
		return cmd
	}
	for i := range 5 {
		cmd := child()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		target := e.srv.Count() - 1 - rng.IntN(5)
		for e.srv.Count() > target && len(exited) == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		cmd.Process.Kill()
		err := <-exited
		e.quiesce(t)
		t.Logf("kill %d: %v; %d records left", i+1, err, e.srv.Count())
		if cmd.ProcessState.Exited() && !cmd.ProcessState.Success() {
			t.Fatalf("undo process failed before it was killed:\n%s", out.String())
		}
	}
	if out, err := child().CombinedOutput(); err != nil {
		t.Fatalf("final undo process: %v\n%s", err, out)
	}
	if recs := e.srv.Records(); len(recs) != 1 || recs[0].ID != keep {
		t.Errorf("%d records left, want only the one the import did not create (%d)", len(recs), keep)
	}
	for _, r := range readResults(t, results) {
		if r.id != keep && r.status != Deleted {
			t.Errorf("row %d: %s %q, want deleted", r.row, r.status, r.msg)
		}
	}
}

// TestKillUndoHelperProcess is the undo process TestKillUndoProcess starts
// and kills; run on its own, it does nothing.
func TestKillUndoHelperProcess(t *testing.T) {
	if os.Getenv(killUndoEnv) != "1" {
		t.Skip("the child process of TestKillUndoProcess")
	}
	cfg := testClientConfig(os.Getenv(killURLEnv), os.Getenv(killTokenEnv), 0, t.TempDir())
	cfg.Timeout = time.Second
	client, err := nexudus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Undo(context.Background(), os.Getenv(killResultsEnv), client, UndoOptions{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unfinished() != 0 {
		t.Fatalf("undo left records: %+v", sum)
	}
	t.Log("deleted " + strconv.Itoa(sum.Deleted))
}

// TestUndoOnlyWhatThisImportCreated: a results file fed back under
// another results path (a plan, or an import) says "exists" for the rows
// the first import created, so undoing that second results file deletes
// nothing; without any journal, undo deletes only records its rows name.
func TestUndoOnlyWhatThisImportCreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := writeInput(t, e.dir, "e.csv", people(2))
	results := filepath.Join(e.dir, "e.results.csv")
	e.run(t, path, testOptions(results))
	second := filepath.Join(e.dir, "second.results.csv")
	opt := testOptions(second)
	opt.Plan = true
	if sum := e.run(t, results, opt); sum.Exists != 2 {
		t.Fatalf("plan of the results fed back: %+v, want 2 exists", countsOf(sum))
	}
	sum, err := Undo(context.Background(), second, e.client, UndoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 0 || e.srv.Count() != 2 {
		t.Errorf("undo of the second results file: %+v, %d records; want nothing deleted", sum, e.srv.Count())
	}
	// No journal at all: a record whose row no longer names it is kept.
	os.Remove(JournalPath(results))
	rows := readResults(t, results)
	rec := recordByID(t, e.srv, rows[0].id)
	rec.FullName = "Someone Else"
	e.srv.Insert(rec)
	sum, err = Undo(context.Background(), results, e.client, UndoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 1 || sum.Kept != 1 || e.srv.Count() != 1 {
		t.Errorf("undo without a journal: %+v, %d records; want the renamed record kept", sum, e.srv.Count())
	}
}
