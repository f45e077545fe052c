package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// env is a sandbox behind real HTTP and a client for it.
type env struct {
	srv    *sandbox.Server
	ts     *httptest.Server
	client *nexudus.Client
	dir    string
	conns  *atomic.Int64 // connections the sandbox holds open
	idle   []func()      // close the idle connections of the env's clients
}

// newEnv starts a sandbox (limits off unless cfg sets them) and a fast client.
func newEnv(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	if cfg.Limits == (sandbox.Limits{}) {
		cfg.Limits = sandbox.Limits{Off: true}
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conns := new(atomic.Int64)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			conns.Add(-1)
		}
	}
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	e := &env{srv: srv, ts: ts, dir: t.TempDir(), conns: conns}
	e.client = e.newClient(t, srv.Token(), 0)
	return e
}

// quiesce waits until the sandbox has answered every request sent to it
// and closed every connection: after a client process dies, requests it
// wrote may still be read from the socket and take effect.
func (e *env) quiesce(t *testing.T) {
	t.Helper()
	for _, closeIdle := range e.idle {
		closeIdle()
	}
	for deadline := time.Now().Add(30 * time.Second); e.conns.Load() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox still holds %d connections", e.conns.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newClient returns a client for the sandbox paced for tests; budget > 0
// sets a daily write budget kept in the env's folder.
func (e *env) newClient(t *testing.T, token string, budget int) *nexudus.Client {
	t.Helper()
	cfg := testClientConfig(e.ts.URL, token, budget, e.dir)
	e.idle = append(e.idle, cfg.HTTPClient.CloseIdleConnections)
	c, err := nexudus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// person is one test contact; rows of test inputs are made from them.
type person struct {
	contract int64
	name     string
	email    string
	typ      string
	dob      string
	address  string
}

func people(n int) []person {
	ps := make([]person, n)
	types := []string{"Director", "Company Alias", "NominatedRecipient", "none"}
	for i := range ps {
		ps[i] = person{
			contract: 1001 + int64(i%10),
			name:     fmt.Sprintf("Person %03d", i+1),
			email:    fmt.Sprintf("person%03d@example.com", i+1),
			typ:      types[i%len(types)],
			dob:      fmt.Sprintf("19%02d-0%d-1%d", 50+i%50, 1+i%9, i%10),
		}
		if i%3 == 0 {
			ps[i].address = fmt.Sprintf("%d High Street", i+1)
		}
	}
	return ps
}

// writeInput writes ps as a CSV input file and returns its path.
func writeInput(t *testing.T, dir, name string, ps []person) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"Contract", "Full Name", "Email", "Type", "Date of Birth", "Address"})
	for _, p := range ps {
		w.Write([]string{strconv.FormatInt(p.contract, 10), p.name, p.email, p.typ, p.dob, p.address})
	}
	w.Flush()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func openInput(t *testing.T, path string) *Input {
	t.Helper()
	in, err := Open(path, nil, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// resultRow is one line of a results file.
type resultRow struct {
	row    int
	status Status
	id     int64
	msg    string
	cells  map[string]string
}

func readResults(t *testing.T, path string) []resultRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("results file %s: %v", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0][:4], ",") != "row,status,id,error" {
		t.Fatalf("results header %v", recs[0])
	}
	var out []resultRow
	for _, rec := range recs[1:] {
		r := resultRow{status: Status(rec[1]), msg: rec[3], cells: map[string]string{}}
		r.row, _ = strconv.Atoi(rec[0])
		if rec[2] != "" {
			r.id, err = strconv.ParseInt(rec[2], 10, 64)
			if err != nil {
				t.Fatalf("results row %s: id %q", rec[0], rec[2])
			}
		}
		for i, col := range recs[0][4:] {
			if 4+i < len(rec) {
				r.cells[col] = rec[4+i]
			}
		}
		out = append(out, r)
	}
	return out
}

// checkExactlyOnce checks that the sandbox holds exactly one record per
// person and nothing else, and that the results file says created with the
// record's Id for each, in input order.
func checkExactlyOnce(t *testing.T, srv *sandbox.Server, ps []person, results string) {
	t.Helper()
	byName := map[string][]sandbox.Record{}
	for _, r := range srv.Records() {
		byName[r.FullName] = append(byName[r.FullName], r)
	}
	for _, p := range ps {
		recs := byName[p.name]
		if len(recs) != 1 {
			t.Errorf("%s: %d records in the sandbox, want 1", p.name, len(recs))
			continue
		}
		if recs[0].CoworkerContractID != p.contract || recs[0].Email == nil || *recs[0].Email != p.email {
			t.Errorf("%s: stored as %+v", p.name, recs[0])
		}
	}
	if got := len(srv.Records()); got != len(ps) {
		t.Errorf("sandbox holds %d records, want %d", got, len(ps))
	}
	rows := readResults(t, results)
	if len(rows) != len(ps) {
		t.Fatalf("results file has %d rows, want %d", len(rows), len(ps))
	}
	for i, r := range rows {
		p := ps[i]
		if r.row != i+2 || r.cells["Full Name"] != p.name {
			t.Errorf("results line %d is row %d %q, want row %d %q", i+2, r.row, r.cells["Full Name"], i+2, p.name)
			continue
		}
		if r.status != Created {
			t.Errorf("row %d (%s): status %s (%s), want created", r.row, p.name, r.status, r.msg)
			continue
		}
		if recs := byName[p.name]; len(recs) == 1 && recs[0].ID != r.id {
			t.Errorf("row %d (%s): id %d, the sandbox stored it as %d", r.row, p.name, r.id, recs[0].ID)
		}
	}
}

func TestRunCreatesEachRowOnce(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(25)
	in := openInput(t, writeInput(t, e.dir, "contacts.csv", ps))
	results := filepath.Join(e.dir, "contacts.results.csv")
	var progress strings.Builder

	sum, err := Run(context.Background(), in, e.client, Options{Results: results, Progress: &progress, Rate: 50})
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Rows: 25, Created: 25, Results: results}
	sum.Elapsed = 0
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	checkExactlyOnce(t, e.srv, ps, results)
	for _, path := range []string{results, JournalPath(results)} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", path, err, info.Mode().Perm())
		}
	}

	// Running the same command again creates nothing.
	sum, err = Run(context.Background(), openInput(t, in.Name()), e.client, Options{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 25 || sum.Created != 0 || sum.Pending != 0 {
		t.Errorf("second run: %+v, want all 25 skipped", sum)
	}
	checkExactlyOnce(t, e.srv, ps, results)

	// Nor does feeding the results file back, or reordering the sheet.
	sum, err = Run(context.Background(), openInput(t, results), e.client, Options{Results: filepath.Join(e.dir, "again.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 25 || sum.Created != 0 {
		t.Errorf("results file fed back: %+v, want all 25 skipped", sum)
	}
	reordered := append([]person(nil), ps...)
	for i, j := 0, len(reordered)-1; i < j; i, j = i+1, j-1 {
		reordered[i], reordered[j] = reordered[j], reordered[i]
	}
	sum, err = Run(context.Background(), openInput(t, writeInput(t, e.dir, "contacts.csv", reordered)), e.client, Options{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 25 || sum.Created != 0 {
		t.Errorf("reordered sheet: %+v, want all 25 skipped", sum)
	}
	if n := len(e.srv.Records()); n != 25 {
		t.Errorf("sandbox holds %d records after re-runs, want 25", n)
	}
}

// TestRunWithFaults imports through 500s, connections dropped after the
// record was stored, and 409 throttling, and ends with every row created
// exactly once.
func TestRunWithFaults(t *testing.T) {
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{ServerErrors: 0.15, DropAfterCreate: 0.2, Seed: 7}})
	e.srv.Inject(sandbox.Injection{Method: http.MethodPost, Status: http.StatusConflict, RetryAfter: "0", Body: "You must wait before accessing this url again.", Times: 3})
	e.srv.Inject(sandbox.Injection{Method: http.MethodGet, Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 2})
	ps := people(40)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := Options{Results: results, Concurrency: 4, LandingWait: testLandingWait}

	api := &counting{API: e.client}
	sum, err := Run(context.Background(), openInput(t, path), api, opt)
	if err != nil {
		t.Fatal(err)
	}
	if api.ambiguous.Load() == 0 {
		t.Error("no create had an unknown outcome: the faults were not exercised")
	}
	t.Logf("first run: %+v; %d creates sent, %d of unknown outcome", sum, api.creates.Load(), api.ambiguous.Load())
	if sum.Failed != 0 || sum.Invalid != 0 || sum.Created+sum.Pending != 40 {
		t.Fatalf("first run: %+v, want every row created or pending", sum)
	}
	// A row whose every attempt had an unknown outcome is left pending;
	// re-running settles it.
	for run := 2; sum.Pending > 0 && run <= 6; run++ {
		if sum, err = Run(context.Background(), openInput(t, path), e.client, opt); err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: %+v", run, sum)
	}
	if sum.Pending != 0 {
		t.Fatalf("rows still pending after six runs: %+v", sum)
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
	e := newEnv(t, sandbox.Config{})
	ps := people(4)
	bad := ps[2]
	bad.name = ""
	path := writeInput(t, e.dir, "contacts.csv", []person{ps[0], ps[1], bad, ps[3]})
	results := filepath.Join(e.dir, "contacts.results.csv")

	sum, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Invalid != 1 || sum.Pending != 3 || sum.Created != 0 || sum.Stopped == "" {
		t.Errorf("summary %+v, want 1 invalid, 3 pending, a reason", sum)
	}
	if n := len(e.srv.Records()); n != 0 {
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

	sum, err = Run(context.Background(), openInput(t, path), e.client, Options{Results: results, SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Invalid != 1 || sum.Created != 3 || sum.Pending != 0 {
		t.Errorf("with SkipInvalid: %+v, want 3 created, 1 invalid", sum)
	}
	if n := len(e.srv.Records()); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
}

// TestRunRowFailureIsAResult checks that the API refusing a row marks it
// failed with the API's message and the other rows go on.
func TestRunRowFailureIsAResult(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(5)
	ps[1].contract = 999999 // valid locally, unknown to the space
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")

	sum, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || sum.Created != 4 {
		t.Fatalf("summary %+v, want 4 created, 1 failed", sum)
	}
	rows := readResults(t, results)
	if rows[1].status != Failed || !strings.Contains(rows[1].msg, "CoworkerContractId") {
		t.Errorf("row 3: %s %q, want failed naming CoworkerContractId", rows[1].status, rows[1].msg)
	}
	if strings.Contains(rows[1].msg, "nexudus:") {
		t.Errorf("row 3's message %q shows the client's prefix, not the API's words", rows[1].msg)
	}

	// Fixed in place in the results file, which is fed back as the input
	// and rewritten: the failed row is sent again; the others are not.
	b, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(b), ",999999,", ",1002,", 1)
	if fixed == string(b) {
		t.Fatal("results file does not hold the failed row's contract")
	}
	if err := os.WriteFile(results, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	ps[1].contract = 1002
	sum, err = Run(context.Background(), openInput(t, results), e.client, Options{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 1 || sum.Skipped != 4 || sum.Failed != 0 {
		t.Errorf("after the fix: %+v, want 1 created, 4 skipped", sum)
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

func TestRunSkipExisting(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(6)
	// Already in the space: rows 1 and 4 exactly, row 2 only loosely.
	var ids []int64
	for _, i := range []int{0, 3} {
		ids = append(ids, e.srv.Insert(recordOf(ps[i])))
	}
	loose := recordOf(ps[1])
	loose.FullName += " Jr"
	e.srv.Insert(loose)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")

	sum, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results, SkipExisting: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Exists != 2 || sum.Created != 4 {
		t.Fatalf("summary %+v, want 2 exists, 4 created", sum)
	}
	rows := readResults(t, results)
	for i, wantID := range map[int]int64{0: ids[0], 3: ids[1]} {
		if rows[i].status != Exists || rows[i].id != wantID {
			t.Errorf("row %d: %s %d, want exists %d", rows[i].row, rows[i].status, rows[i].id, wantID)
		}
	}
	if rows[1].status != Created {
		t.Errorf("row 3 (only a loose match in the space): %s, want created", rows[1].status)
	}
	if n := len(e.srv.Records()); n != 7 {
		t.Errorf("sandbox holds %d records, want 7", n)
	}
}

// recordOf is the sandbox record a person's row creates.
func recordOf(p person) sandbox.Record {
	c := contactOf(p)
	r := sandbox.Record{CoworkerContractID: c.CoworkerContractID, FullName: c.FullName, Email: &c.Email,
		DateOfBirth: &c.DateOfBirth, ContractContactType: int(c.ContractContactType)}
	if c.Address != "" {
		r.Address = &c.Address
	}
	return r
}

// contactOf is the contact a person's row maps to.
func contactOf(p person) mapping.Contact {
	typ, err := mapping.ParseContactType(p.typ)
	if err != nil {
		panic(err)
	}
	return mapping.Contact{CoworkerContractID: p.contract, FullName: p.name, Email: p.email,
		DateOfBirth: p.dob + "T00:00:00", Address: p.address, ContractContactType: typ}
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
	for _, hard := range []bool{false, true} {
		name := map[bool]string{false: "one Ctrl-C", true: "two Ctrl-C"}[hard]
		t.Run(name, func(t *testing.T) {
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
			sum, err := Run(ctx, openInput(t, path), api, Options{Results: results, Concurrency: 2, Abandon: abandonCtx})
			cancel()
			abandon()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run returned %v, want context.Canceled", err)
			}
			if sum.Stopped != "interrupted" || sum.Pending == 0 || sum.Created+sum.Pending != 20 {
				t.Errorf("interrupted summary %+v", sum)
			}
			rows := readResults(t, results)
			if len(rows) != 20 {
				t.Fatalf("results file has %d rows after the interrupt, want 20", len(rows))
			}
			created := len(e.srv.Records())
			if created == 0 || created >= 20 {
				t.Errorf("%d records after the interrupt, want some but not all", created)
			}
			if hard {
				abandoned := 0
				for _, r := range rows {
					if r.status == Pending && strings.Contains(r.msg, "run again to check") {
						abandoned++
					}
				}
				if abandoned == 0 {
					t.Error("no row marked as abandoned in flight")
				}
			}

			sum, err = Run(context.Background(), openInput(t, path), e.client, Options{Results: results, LandingWait: testLandingWait})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Pending != 0 || sum.Created+sum.Skipped != 20 {
				t.Errorf("resumed summary %+v", sum)
			}
			checkExactlyOnce(t, e.srv, ps, results)
		})
	}
}

func TestRunResumeAfterBudget(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(12)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	limited := e.newClient(t, e.srv.Token(), 5)

	sum, err := Run(context.Background(), openInput(t, path), limited, Options{Results: results, Concurrency: 3})
	var be *nexudus.BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("run over budget returned %v, want a *nexudus.BudgetError", err)
	}
	if sum.Created != 5 || sum.Pending != 7 || !strings.Contains(sum.Stopped, "continue after") {
		t.Errorf("summary %+v, want 5 created, 7 pending, when to continue", sum)
	}
	if n := len(e.srv.Records()); n != 5 {
		t.Errorf("%d records, want 5", n)
	}

	// The next day (a client with budget to spare).
	sum, err = Run(context.Background(), openInput(t, path), e.client, Options{Results: results, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 7 || sum.Skipped != 5 || sum.Pending != 0 {
		t.Errorf("resumed summary %+v, want 7 created, 5 skipped", sum)
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

// TestRunReconcilesUnknownOutcomes starts from a journal whose creates
// began and never ended: one stored (among loose look-alikes), one not.
func TestRunReconcilesUnknownOutcomes(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(4)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")

	j, err := openJournal(JournalPath(results), path, "")
	if err != nil {
		t.Fatal(err)
	}
	k := newKeyer()
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = k.key(contactOf(p))
	}
	for _, i := range []int{0, 2} {
		if err := j.begin(keys[i], i+2); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	decoy := recordOf(ps[0])
	decoy.FullName = strings.ToUpper(ps[0].name)
	e.srv.Insert(decoy)
	decoy = recordOf(ps[0])
	decoy.FullName = ps[0].name + "son"
	e.srv.Insert(decoy)
	stored := e.srv.Insert(recordOf(ps[0]))

	sum, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results, LandingWait: testLandingWait})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 4 || sum.Pending != 0 {
		t.Errorf("summary %+v, want 4 created", sum)
	}
	rows := readResults(t, results)
	if rows[0].id != stored {
		t.Errorf("row 2 reconciled to %d, want the stored record %d", rows[0].id, stored)
	}
	if n := len(e.srv.Records()); n != 6 {
		t.Errorf("sandbox holds %d records, want 6 (2 look-alikes, 1 reconciled, 3 created)", n)
	}
}

func TestRunRefusesAnotherInputsJournal(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	all := people(6)
	results := filepath.Join(e.dir, "shared.results.csv")
	if _, err := Run(context.Background(), openInput(t, writeInput(t, e.dir, "a.csv", all[:3])), e.client, Options{Results: results}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(results)
	_, err := Run(context.Background(), openInput(t, writeInput(t, e.dir, "b.csv", all[3:])), e.client, Options{Results: results})
	if !errors.Is(err, ErrJournalMismatch) || !errors.Is(err, ErrInput) {
		t.Fatalf("got %v, want ErrJournalMismatch, an ErrInput", err)
	}
	if !strings.Contains(err.Error(), "a.csv") || !strings.Contains(err.Error(), "--results") {
		t.Errorf("error %q does not name the journal's input and how to go on", err)
	}
	if n := len(e.srv.Records()); n != 3 {
		t.Errorf("%d records, want 3: nothing of b.csv may be created", n)
	}
	if after, _ := os.ReadFile(results); string(after) != string(before) {
		t.Error("the refused run rewrote the other input's results file")
	}
}

// TestRunRefusesAnotherTargetsJournal: rows created in a rehearsal (the
// embedded sandbox) are not "already done" in the real space; the journal
// says where it created them and a run into another target is refused.
func TestRunRefusesAnotherTargetsJournal(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(3)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	if _, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results, Target: "embedded sandbox"}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results, Target: "https://spaces.nexudus.com"})
	if !errors.Is(err, ErrJournalMismatch) || !errors.Is(err, ErrInput) {
		t.Fatalf("got %v, want ErrJournalMismatch, an ErrInput", err)
	}
	if !strings.Contains(err.Error(), "embedded sandbox") || !strings.Contains(err.Error(), "--results") {
		t.Errorf("error %q does not name where the rows were created and how to go on", err)
	}
	sum, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results, Target: "embedded sandbox"})
	if err != nil || sum.Skipped != 3 || sum.Created != 0 {
		t.Errorf("the same target again: %+v, %v; want 3 rows already done", sum, err)
	}
	if n := len(e.srv.Records()); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
}

func TestRunStopsOnRefusedCredentials(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(8)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	const badToken = "not-the-token-0123456789"

	sum, err := Run(context.Background(), openInput(t, path), e.newClient(t, badToken, 0), Options{Results: results})
	if !nexudus.IsUnauthorized(err) {
		t.Fatalf("got %v, want an unauthorized error", err)
	}
	if sum.Pending != 8 || sum.Failed != 0 {
		t.Errorf("summary %+v, want every row pending", sum)
	}
	b, _ := os.ReadFile(results)
	if strings.Contains(string(b), badToken) || strings.Contains(err.Error(), badToken) {
		t.Error("the token leaked into the results file or the error")
	}

	if _, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results, LandingWait: testLandingWait}); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

func TestRunResultsNotWritable(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	path := writeInput(t, e.dir, "contacts.csv", people(2))
	_, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: filepath.Join(e.dir, "no such folder", "r.csv")})
	if !errors.Is(err, ErrInput) {
		t.Fatalf("a results path in a missing folder: got %v, want an ErrInput", err)
	}
	if n := len(e.srv.Records()); n != 0 {
		t.Errorf("%d records created although results cannot be kept", n)
	}
}

// TestRunGolden compares the whole results file of a run that meets every
// outcome (created, exists, invalid, failed) with testdata/run/mixed.
func TestRunGolden(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.srv.Insert(recordOf(person{contract: 1003, name: "Chidi Anagonye", email: "chidi@example.com", typ: "Director", dob: "1985-02-14"}))
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
	sum, err := Run(context.Background(), openInput(t, path), e.client,
		Options{Results: results, Concurrency: 1, SkipInvalid: true, SkipExisting: true})
	if err != nil {
		t.Fatal(err)
	}
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
	if sum.Created == 0 || sum.Exists != 1 || sum.Invalid == 0 || sum.Failed == 0 {
		t.Errorf("summary %+v does not meet every outcome", sum)
	}
}

// compareCSV reports the first row and column where got differs from want.
func compareCSV(t *testing.T, name string, want, got []byte) {
	t.Helper()
	w, err := csv.NewReader(strings.NewReader(string(want))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g, err := csv.NewReader(strings.NewReader(string(got))).ReadAll()
	if err != nil {
		t.Fatalf("results: %v", err)
	}
	for i := 0; i < len(w) || i < len(g); i++ {
		if i >= len(w) || i >= len(g) {
			t.Errorf("%s: %d lines, got %d", name, len(w), len(g))
			return
		}
		for c := 0; c < len(w[i]) || c < len(g[i]); c++ {
			var wc, gc string
			if c < len(w[i]) {
				wc = w[i][c]
			}
			if c < len(g[i]) {
				gc = g[i][c]
			}
			if wc != gc {
				t.Errorf("%s: line %d, column %s: got %q, want %q", name, i+1, w[0][min(c, len(w[0])-1)], gc, wc)
			}
		}
	}
}

func openTestJournal(t *testing.T) *journal {
	t.Helper()
	j, err := openJournal(filepath.Join(t.TempDir(), "r.journal"), "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.close() })
	return j
}

// testClientConfig configures a client for the sandbox at url that is fast
// in tests: pacing far above what the tests send, short retry waits. budget
// > 0 sets a daily write budget persisted in dir; otherwise there is none.
// testLandingWait is Options.LandingWait for the test sandbox, which
// stores a request within its latency (at most 30 ms here) even when the
// client has gone.
const testLandingWait = 200 * time.Millisecond

func testClientConfig(url, token string, budget int, dir string) nexudus.Config {
	cfg := nexudus.Config{
		BaseURL:       url,
		Token:         token,
		HTTPClient:    &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		Timeout:       5 * time.Second,
		Rate:          nexudus.Rate{N: 100000, Per: time.Second},
		MinInterval:   -1,
		WriteRate:     nexudus.Rate{N: 100000, Per: time.Second},
		DailyWrites:   -1,
		BackoffBase:   time.Millisecond,
		BackoffMax:    5 * time.Millisecond,
		MaxRetryAfter: 5 * time.Millisecond,
	}
	if budget > 0 {
		cfg.DailyWrites = budget
		cfg.BudgetFile = filepath.Join(dir, "writes.json")
	}
	return cfg
}

// TestSendContext checks what ends a create's context: the first Ctrl-C
// only while nothing of the request has been written; the second always.
func TestSendContext(t *testing.T) {
	tests := []struct {
		name      string
		written   bool
		abandon   bool
		wantEnded bool
	}{
		{"interrupt while waiting to send", false, false, true},
		{"interrupt after sending", true, false, false},
		{"second interrupt after sending", true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stop, interrupt := context.WithCancel(context.Background())
			abandonCtx, abandon := context.WithCancel(context.Background())
			defer abandon()
			ctx, release := sendContext(stop, abandonCtx)
			defer release()
			if tc.written {
				httptrace.ContextClientTrace(ctx).WroteHeaders()
			}
			interrupt()
			if tc.abandon {
				abandon()
			}
			if tc.wantEnded {
				<-ctx.Done() // ends, or the test times out
				return
			}
			// The interrupt's effect runs on its own goroutine: wait for
			// stop's callbacks to have run by registering one after them.
			done := make(chan struct{})
			context.AfterFunc(stop, func() { close(done) })
			<-done
			if ctx.Err() != nil {
				t.Error("an interrupt cancelled a request already sent")
			}
		})
	}
}
