package importer

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// TestRunWithFaults imports 300 rows through a server that fails 10% of
// requests and drops 8% of answers after storing the record (and some
// throttling): one run ends with every row created exactly once.
func TestRunWithFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{ServerErrors: 0.10, DropAfterCreate: 0.08, Seed: 7}})
	e.srv.Inject(sandbox.Injection{Method: http.MethodPost, Status: http.StatusConflict, RetryAfter: "0", Body: "You must wait before accessing this url again.", Times: 3})
	e.srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 2})
	ps := people(300)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := testOptions(results)
	opt.Concurrency = 8
	api := &counting{API: e.client}
	sum, err := Run(context.Background(), openInput(t, path), api, opt)
	if err != nil {
		t.Fatal(err)
	}
	if api.ambiguous.Load() == 0 {
		t.Error("no create had an unknown outcome: the faults were not exercised")
	}
	t.Logf("%+v; %d creates sent, %d of unknown outcome", countsOf(sum), api.creates.Load(), api.ambiguous.Load())
	if got, want := countsOf(sum), (counts{Rows: 300, Created: 300}); got != want {
		t.Fatalf("one run: %+v, want all 300 created", got)
	}
	if v := sum.Verified; v == nil || v.Duplicates != 0 || v.Records != 300 {
		t.Errorf("verification %v, want 300 records, no duplicate", v)
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

// counting passes creates on to the client and counts their outcomes.
type counting struct {
	API
	creates, ambiguous atomic.Int32
}

func (a *counting) Create(ctx context.Context, c mapping.Contact) (int64, error) {
	a.creates.Add(1)
	id, err := a.API.Create(ctx, c)
	if errors.Is(err, nexudus.ErrAmbiguous) {
		a.ambiguous.Add(1)
	}
	return id, err
}

func TestRunInvalidRowsCreateNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(4)
	bad := ps[2]
	bad.name = ""
	path := writeInput(t, e.dir, "contacts.csv", []person{ps[0], ps[1], bad, ps[3]})
	results := filepath.Join(e.dir, "contacts.results.csv")

	sum := e.run(t, path, testOptions(results))
	if sum.Invalid != 1 || sum.Pending != 3 || sum.Created != 0 || sum.Stopped == "" {
		t.Errorf("summary %+v, want 1 invalid, 3 pending, a reason", countsOf(sum))
	}
	if n := e.srv.Count(); n != 0 {
		t.Errorf("%d records created although a row is invalid", n)
	}
	rows := readResults(t, results)
	wantStatus := []Status{Pending, Pending, Invalid, Pending}
	for i, r := range rows {
		if r.status != wantStatus[i] {
			t.Errorf("row %d: %s, want %s", r.row, r.status, wantStatus[i])
		}
	}
	if !strings.Contains(rows[2].msg, "FullName") {
		t.Errorf("invalid row's message %q does not name FullName", rows[2].msg)
	}
	if !strings.Contains(rows[0].msg, "--skip-invalid") {
		t.Errorf("pending row's message %q does not say how to go on", rows[0].msg)
	}
	opt := testOptions(results)
	opt.SkipInvalid = true
	sum = e.run(t, path, opt)
	if sum.Invalid != 1 || sum.Created != 3 || sum.Pending != 0 {
		t.Errorf("with SkipInvalid: %+v, want 3 created, 1 invalid", countsOf(sum))
	}
	if n := e.srv.Count(); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
}

// interrupting wraps the client to press Ctrl-C during a run: once (after
// the nth create is answered), or twice (while the nth create's request,
// already sent, waits for its answer).
type interrupting struct {
	API
	n       int32
	count   atomic.Int32
	cancel  context.CancelFunc
	abandon context.CancelFunc // nil: only one Ctrl-C
}

func (a *interrupting) Create(ctx context.Context, c mapping.Contact) (int64, error) {
	k := a.count.Add(1)
	if k == a.n && a.abandon != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() {
			a.cancel()
			a.abandon()
		}})
	}
	id, err := a.API.Create(ctx, c)
	if k == a.n {
		a.cancel()
	}
	return id, err
}

func TestRunResumeAfterInterrupt(t *testing.T) {
	t.Parallel()
	for _, hard := range []bool{false, true} {
		name := map[bool]string{false: "one Ctrl-C", true: "two Ctrl-C"}[hard]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
			ps := people(20)
			path := writeInput(t, e.dir, "contacts.csv", ps)
			results := filepath.Join(e.dir, "contacts.results.csv")
			ctx, cancel := context.WithCancel(context.Background())
			abandonCtx, abandon := context.WithCancel(context.Background())
			api := &interrupting{API: e.client, n: 5, cancel: cancel}
			if hard {
				api.abandon = abandon
			}
			log := &lockedBuilder{}
			opt := testOptions(results)
			opt.Concurrency, opt.Abandon, opt.Progress = 2, abandonCtx, log
			sum, err := Run(ctx, openInput(t, path), api, opt)
			cancel()
			abandon()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run returned %v, want context.Canceled", err)
			}
			if sum.Stopped != "interrupted" || sum.Pending == 0 || sum.Created+sum.Pending != 20 {
				t.Errorf("interrupted summary %+v", countsOf(sum))
			}
			if !strings.Contains(log.String(), "interrupted: ") {
				t.Errorf("the interrupt is not explained:\n%s", log.String())
			}
			rows := readResults(t, results)
			if len(rows) != 20 {
				t.Fatalf("results file has %d rows after the interrupt, want 20", len(rows))
			}
			created := e.srv.Count()
			if created == 0 || created >= 20 {
				t.Errorf("%d records after the interrupt, want some but not all", created)
			}
			if hard {
				abandoned := 0
				for _, r := range rows {
					if r.status == Pending && strings.Contains(r.msg, "outcome unknown") {
						abandoned++
					}
				}
				if abandoned == 0 {
					t.Error("no row marked as abandoned in flight")
				}
			}
			sum = e.run(t, path, testOptions(results))
			if sum.Pending != 0 || sum.Created+sum.Skipped != 20 {
				t.Errorf("resumed summary %+v", countsOf(sum))
			}
			checkExactlyOnce(t, e.srv, ps, results)
		})
	}
}

// lockedBuilder is a strings.Builder safe for the writes of a run's
// goroutines.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunResumeAfterBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(12)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	limited := e.newClient(t, e.srv.Token(), 5)
	opt := testOptions(results)
	opt.Concurrency = 3
	sum, err := Run(context.Background(), openInput(t, path), limited, opt)
	var be *nexudus.BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("run over budget returned %v, want a *nexudus.BudgetError", err)
	}
	if sum.Created != 5 || sum.Pending != 7 || !strings.Contains(sum.Stopped, "continue after") {
		t.Errorf("summary %+v, want 5 created, 7 pending, when to continue (%q)", countsOf(sum), sum.Stopped)
	}
	if n := e.srv.Count(); n != 5 {
		t.Errorf("%d records, want 5", n)
	}
	// The next day (a client with budget to spare).
	sum = e.run(t, path, opt)
	if sum.Created != 7 || sum.Skipped != 5 || sum.Pending != 0 {
		t.Errorf("resumed summary %+v, want 7 created, 5 already done", countsOf(sum))
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

// TestRunSettlesAnEarlierRunsCreates starts from a journal whose creates
// began and never ended (a killed run): one was stored, title-cased by the
// server; the other was not, and is sent only once a read Settle after it
// still does not find it.
func TestRunSettlesAnEarlierRunsCreates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(4)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	j, err := openJournal(JournalPath(results), path, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if err := j.begin(rowKey(contactFor(ps[i]), 0), i+2, 0); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	decoy := recordOf(ps[0])
	decoy.FullName = ps[0].name + "son"
	e.srv.Insert(decoy)
	stored := recordOf(ps[0])
	stored.FullName = strings.ToUpper(ps[0].name)
	id := e.srv.Insert(stored)

	var log bytes.Buffer
	opt := testOptions(results)
	opt.Progress, opt.Settle = &log, 2*time.Second // far longer than the first read takes
	sum := e.run(t, path, opt)
	if sum.Created != 4 || sum.Pending != 0 {
		t.Errorf("summary %+v, want 4 created", countsOf(sum))
	}
	rows := readResults(t, results)
	if rows[0].id != id {
		t.Errorf("row 2 settled to %d, want the stored record %d", rows[0].id, id)
	}
	if !strings.Contains(log.String(), "of unknown outcome") {
		t.Errorf("row 4 was sent again without waiting to look again:\n%s", log.String())
	}
	if n := e.srv.Count(); n != 5 {
		t.Errorf("sandbox holds %d records, want 5 (a look-alike, one settled, three created)", n)
	}
}

func TestRunRefusesAnotherInputsJournal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	all := people(6)
	results := filepath.Join(e.dir, "shared.results.csv")
	e.run(t, writeInput(t, e.dir, "a.csv", all[:3]), testOptions(results))
	before, _ := os.ReadFile(results)
	_, err := Run(context.Background(), openInput(t, writeInput(t, e.dir, "b.csv", all[3:])), e.client, testOptions(results))
	if !errors.Is(err, ErrJournalMismatch) || !errors.Is(err, ErrInput) {
		t.Fatalf("got %v, want ErrJournalMismatch, an ErrInput", err)
	}
	if !strings.Contains(err.Error(), "a.csv") || !strings.Contains(err.Error(), "--results") {
		t.Errorf("error %q does not name the journal's input and how to go on", err)
	}
	if n := e.srv.Count(); n != 3 {
		t.Errorf("%d records, want 3: nothing of b.csv may be created", n)
	}
	if after, _ := os.ReadFile(results); string(after) != string(before) {
		t.Error("the refused run rewrote the other input's results file")
	}
}

// TestRunRehearsal: rows created in a rehearsal (the embedded sandbox) are
// not done in the real space. The journal says where it created them, so
// an import into another space under the same results path is refused;
// the rehearsal's results file fed to the other space creates its rows
// there.
func TestRunRehearsal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(3)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := testOptions(results)
	opt.Target = "embedded sandbox"
	e.run(t, path, opt)
	opt.Target = "https://spaces.nexudus.com"
	_, err := Run(context.Background(), openInput(t, path), e.client, opt)
	if !errors.Is(err, ErrJournalMismatch) || !errors.Is(err, ErrInput) {
		t.Fatalf("got %v, want ErrJournalMismatch, an ErrInput", err)
	}
	if !strings.Contains(err.Error(), "embedded sandbox") || !strings.Contains(err.Error(), "--results") {
		t.Errorf("error %q does not name where the rows were created and how to go on", err)
	}
	real := newEnv(t, sandbox.Config{})
	opt = testOptions(filepath.Join(e.dir, "real.results.csv"))
	opt.Target = real.ts.URL
	sum := real.run(t, results, opt)
	if sum.Created != 3 || sum.Skipped != 0 {
		t.Errorf("the rehearsal's results file into another space: %+v, want 3 created there", countsOf(sum))
	}
	if n := real.srv.Count(); n != 3 {
		t.Errorf("the other space holds %d records, want 3", n)
	}
}

func TestRunStopsOnRefusedCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(8)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	const badToken = "not-the-token-0123456789"
	sum, err := Run(context.Background(), openInput(t, path), e.newClient(t, badToken, 0), testOptions(results))
	if !nexudus.IsUnauthorized(err) {
		t.Fatalf("got %v, want an unauthorized error", err)
	}
	if sum.Pending != 8 || sum.Failed != 0 {
		t.Errorf("summary %+v, want every row pending", countsOf(sum))
	}
	if rows := readResults(t, results); !strings.Contains(rows[0].msg, "could not be read") {
		t.Errorf("a pending row says %q, not why nothing was sent", rows[0].msg)
	}
	b, _ := os.ReadFile(results)
	if strings.Contains(string(b), badToken) || strings.Contains(err.Error(), badToken) {
		t.Error("the token leaked into the results file or the error")
	}
	e.run(t, path, testOptions(results))
	checkExactlyOnce(t, e.srv, ps, results)
}

// TestRunChecksOutputsFirst: a results path that is a folder, in a folder
// that does not exist, or naming someone else's file is refused before
// anything is written, and the file is left as it was.
func TestRunChecksOutputsFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := writeInput(t, e.dir, "contacts.csv", people(2))
	mine := filepath.Join(e.dir, "notes.txt")
	os.WriteFile(mine, []byte("my own notes\n"), 0o600)
	folder := filepath.Join(e.dir, "out")
	os.Mkdir(folder, 0o700)
	journalFolder := filepath.Join(e.dir, "j.csv")
	os.Mkdir(JournalPath(journalFolder), 0o700)
	tests := []struct{ name, results, want string }{
		{"missing folder", filepath.Join(e.dir, "no such folder", "r.csv"), "does not exist"},
		{"a folder", folder, "is a folder"},
		{"someone else's file", mine, "is not a contactbulk results file"},
		{"journal path is a folder", journalFolder, "is a folder"},
	}
	for _, tc := range tests {
		_, err := Run(context.Background(), openInput(t, path), e.client, testOptions(tc.results))
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--results") {
			t.Errorf("%s: got %v, want an ErrInput saying %q and naming --results", tc.name, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(mine); string(b) != "my own notes\n" {
		t.Errorf("someone else's file was changed: %q", b)
	}
	if n := e.srv.Count(); n != 0 {
		t.Errorf("%d records created although the results could not be kept", n)
	}
}

// TestRunGolden compares the whole results file of a run that meets every
// outcome (created, exists, differs, ambiguous, invalid, failed) with
// testdata/run/mixed.
func TestRunGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	e.srv.Insert(recordOf(person{contract: 1003, name: "Chidi Anagonye", email: "chidi@example.com", typ: "Director", dob: "1985-02-14"}))
	e.srv.Insert(recordOf(person{contract: 1006, name: "Shawn", email: "shawn@bad-place.example", typ: "Director", dob: "1970-01-01"}))
	for range 2 {
		e.srv.Insert(recordOf(person{contract: 1007, name: "Doug Forcett", email: "doug@example.com", typ: "Director", dob: "1950-05-05"}))
	}
	dir := filepath.Join("testdata", "run", "mixed")
	input, err := os.ReadFile(filepath.Join(dir, "input.csv"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "input.csv")
	if err := os.WriteFile(path, input, 0o600); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(e.dir, "input.results.csv")
	opt := testOptions(results)
	opt.Concurrency, opt.SkipInvalid = 1, true
	sum := e.run(t, path, opt)
	got, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(dir, "results.csv")
	if *update { // the package's -update flag (golden_test.go)
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	compareCSV(t, golden, want, got)
	if sum.Created == 0 || sum.Exists != 1 || sum.Differs != 1 || sum.Ambiguous != 1 || sum.Invalid == 0 || sum.Failed == 0 {
		t.Errorf("summary %+v does not meet every outcome", countsOf(sum))
	}
}

// TestRunSettlesCreatesOfRowsEditedSince: a killed run's create for
// "Ann Lee" landed; the sheet now says "Ann Leigh". The landed record is
// journaled as this import's (undo deletes it with the rest), and the
// stale create is not waited for again.
func TestRunSettlesCreatesOfRowsEditedSince(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(e.dir, "ann.csv")
	os.WriteFile(path, []byte("Contract,Name\n1001,Ann Leigh\n"), 0o600)
	results := filepath.Join(e.dir, "ann.results.csv")
	j, err := openJournal(JournalPath(results), path, "")
	if err != nil {
		t.Fatal(err)
	}
	j.now = func() time.Time { return time.Now().Add(-time.Hour) }
	old := mapping.Contact{CoworkerContractID: 1001, FullName: "Ann Lee", ContractContactType: mapping.TypeDirector}
	if err := j.begin(rowKey(old, 0), 2, 0); err != nil {
		t.Fatal(err)
	}
	j.close()
	landed := e.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Ann Lee", ContractContactType: 1})
	var log lockedBuilder
	opt := testOptions(results)
	opt.Progress = &log
	if sum := e.run(t, path, opt); sum.Created != 1 {
		t.Fatalf("%+v, want Ann Leigh created", countsOf(sum))
	}
	if !strings.Contains(log.String(), strconv.FormatInt(landed, 10)) {
		t.Errorf("the landed record is not reported:\n%s", log.String())
	}
	sum, err := Undo(context.Background(), results, e.client, UndoOptions{})
	if err != nil || sum.Deleted != 2 || e.srv.Count() != 0 {
		t.Errorf("undo: %+v, %v, %d left; want both records this import made deleted", sum, err, e.srv.Count())
	}
}

// TestRunNoDataRows: a file with a header and no rows is an error, for an
// import as for a dry run.
func TestRunNoDataRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(e.dir, "empty.csv")
	os.WriteFile(path, []byte("Contract,Name\n"), 0o600)
	_, err := Run(context.Background(), openInput(t, path), e.client, testOptions(filepath.Join(e.dir, "empty.results.csv")))
	if !errors.Is(err, ErrNoRows) {
		t.Errorf("got %v, want ErrNoRows", err)
	}
}
