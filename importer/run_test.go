package importer

import (
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
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
	phone    string
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
	w.Write([]string{"Contract", "Full Name", "Email", "Type", "Date of Birth", "Address", "Phone"})
	for _, p := range ps {
		w.Write([]string{strconv.FormatInt(p.contract, 10), p.name, p.email, p.typ, p.dob, p.address, p.phone})
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
// person (names compared as identities are: case, spacing and Unicode form
// aside) and nothing else, and that the results file says created (or one
// of also) with that record's Id for each, in input order.
func checkExactlyOnce(t *testing.T, srv *sandbox.Server, ps []person, results string, also ...Status) {
	t.Helper()
	byName := map[string][]sandbox.Record{}
	key := func(contract int64, name string) string {
		return strconv.FormatInt(contract, 10) + "/" + mapping.NameKey(name)
	}
	for _, r := range srv.Records() {
		k := key(r.CoworkerContractID, r.FullName)
		byName[k] = append(byName[k], r)
	}
	for _, p := range ps {
		recs := byName[key(p.contract, p.name)]
		if len(recs) != 1 {
			t.Errorf("%s: %d records in the sandbox, want 1", p.name, len(recs))
			continue
		}
		if recs[0].Email == nil || mapping.EmailKey(*recs[0].Email) != mapping.EmailKey(p.email) {
			t.Errorf("%s: stored with email %v, want %s", p.name, recs[0].Email, p.email)
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
		if r.status != Created && !slices.Contains(also, r.status) {
			t.Errorf("row %d (%s): status %s (%s), want created", r.row, p.name, r.status, r.msg)
			continue
		}
		if recs := byName[key(p.contract, p.name)]; len(recs) == 1 && recs[0].ID != r.id {
			t.Errorf("row %d (%s): id %d, the sandbox stored it as %d", r.row, p.name, r.id, recs[0].ID)
		}
	}
}

// testOptions are Options for the test sandbox: unknown outcomes are
// looked for after testLandingWait and sent again after twice that.
func testOptions(results string) Options {
	return Options{Results: results, LandingWait: testLandingWait, Settle: 2 * testLandingWait, SettleFor: time.Minute}
}

// run imports path into the env with opt and fails the test on an error.
func (e *env) run(t *testing.T, path string, opt Options) Summary {
	t.Helper()
	sum, err := Run(context.Background(), openInput(t, path), e.client, opt)
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(path), err)
	}
	return sum
}

// counts is the part of a Summary tests compare.
type counts struct {
	Rows, Created, Updated, Exists, Differs, Ambiguous, Invalid, Failed, Pending, Skipped int
}

func countsOf(s Summary) counts {
	return counts{s.Rows, s.Created, s.Updated, s.Exists, s.Differs, s.Ambiguous, s.Invalid, s.Failed, s.Pending, s.Skipped}
}

func TestRunCreatesEachRowOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(25)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	var progress strings.Builder
	opt := testOptions(results)
	opt.Progress = &progress
	opt.Pacing = Pacing{WritesPerSecond: 50}

	sum := e.run(t, path, opt)
	if got, want := countsOf(sum), (counts{Rows: 25, Created: 25}); got != want {
		t.Errorf("summary %+v, want %+v", got, want)
	}
	if v := sum.Verified; v == nil || v.String() != "verified: 25 rows, 25 records, 0 duplicates" {
		t.Errorf("verification %v, want 25 rows, 25 records, 0 duplicates", v)
	}
	checkExactlyOnce(t, e.srv, ps, results)
	for _, p := range []string{results, JournalPath(results)} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", p, err, info.Mode().Perm())
		}
	}

	// Running the same command again creates nothing.
	sum = e.run(t, path, testOptions(results))
	if got, want := countsOf(sum), (counts{Rows: 25, Skipped: 25}); got != want {
		t.Errorf("second run: %+v, want all 25 already done", got)
	}
	checkExactlyOnce(t, e.srv, ps, results)

	// Nor does feeding the results file back under another results path
	// (a journal of its own), or reordering the sheet.
	// (Exists, not created: that results path's journal created nothing.)
	sum = e.run(t, results, testOptions(filepath.Join(e.dir, "again.csv")))
	if sum.Exists != 25 || sum.Created != 0 {
		t.Errorf("results file fed back: %+v, want all 25 found in the space", countsOf(sum))
	}
	reordered := slices.Clone(ps)
	slices.Reverse(reordered)
	sum = e.run(t, writeInput(t, e.dir, "contacts.csv", reordered), testOptions(results))
	if sum.Skipped != 25 || sum.Created != 0 {
		t.Errorf("reordered sheet: %+v, want all 25 already done", countsOf(sum))
	}
	if n := e.srv.Count(); n != 25 {
		t.Errorf("sandbox holds %d records after re-runs, want 25", n)
	}
}

// TestRunEditedSheet: a sheet imported, then two rows edited (an email, a
// phone number) and run again: nothing is created, the two rows differ,
// naming their fields; with --update the space takes the edits and still
// holds one record per row.
func TestRunEditedSheet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(6)
	ps[1].phone = "+44 20 7946 0001"
	ps[4].phone = "020 7946 0004"
	ps[5].phone = "020 7946 0005"
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	e.run(t, path, testOptions(results))

	ps[1].email = "new.address@example.com"
	ps[4].phone = "020 7946 9999"
	ps[5].phone = "(020) 7946-0005" // only punctuation and spacing: the same number
	ps[5].name = strings.ToUpper(ps[5].name)
	path = writeInput(t, e.dir, "contacts.csv", ps)
	sum := e.run(t, path, testOptions(results))
	if got, want := countsOf(sum), (counts{Rows: 6, Differs: 2, Skipped: 4}); got != want {
		t.Errorf("edited sheet: %+v, want 2 differs, 4 already done", got)
	}
	if sum.Unfinished() == 0 {
		t.Error("rows that differ count as done: the run would exit 0")
	}
	rows := readResults(t, results)
	for i, field := range map[int]string{1: "Email", 4: "PhoneNumber"} {
		if rows[i].status != Differs || !strings.Contains(rows[i].msg, field) || !strings.Contains(rows[i].msg, "--update") {
			t.Errorf("row %d: %s %q, want differs naming %s and --update", rows[i].row, rows[i].status, rows[i].msg, field)
		}
	}
	if n := e.srv.Count(); n != 6 {
		t.Fatalf("sandbox holds %d records after the edited run, want 6", n)
	}

	opt := testOptions(results)
	opt.Update = true
	sum = e.run(t, path, opt)
	if got, want := countsOf(sum), (counts{Rows: 6, Updated: 2, Skipped: 4}); got != want {
		t.Errorf("with --update: %+v, want 2 updated, 4 already done", got)
	}
	checkExactlyOnce(t, e.srv, ps, results, Updated)
	for _, r := range e.srv.Records() {
		if strings.EqualFold(r.FullName, ps[4].name) && (r.PhoneNumber == nil || *r.PhoneNumber != "020 7946 9999") {
			t.Errorf("%s: phone %v after the update, want the sheet's", r.FullName, r.PhoneNumber)
		}
	}
	// And once more: everything is done.
	sum = e.run(t, path, testOptions(results))
	if got, want := countsOf(sum), (counts{Rows: 6, Skipped: 6}); got != want {
		t.Errorf("after the update: %+v, want all already done", got)
	}
}

// TestRunUpdateKeepsWhatTheSheetLeavesOut: an update reads the record
// whole and changes only the fields the sheet gives; a row with an Id
// column (an export fed back) updates that record, even its name.
func TestRunUpdateKeepsWhatTheSheetLeavesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	country, coworker := int64(3), int64(2002)
	notes, city, phone := "Keeps the keys", "Leeds", "+44 113 496 0000"
	ann := e.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Ann Lee", Email: ptr("ann@example.com"), CityName: &city,
		Notes: &notes, PhoneNumber: &phone, CountryID: &country, ContractContactType: 1})
	bob := e.srv.Insert(sandbox.Record{CoworkerContractID: 1002, FullName: "Bob Old", ContractContactType: 3})
	input := "Contract,Name,Email,Phone\n1001,Ann Lee,ann.lee@example.com,\n"
	path := filepath.Join(e.dir, "edits.csv")
	os.WriteFile(path, []byte(input), 0o600)
	opt := testOptions(filepath.Join(e.dir, "edits.results.csv"))
	opt.Update = true
	if sum := e.run(t, path, opt); sum.Updated != 1 {
		t.Fatalf("summary %+v, want 1 updated", countsOf(sum))
	}
	got := recordByID(t, e.srv, ann)
	if str(got.Email) != "ann.lee@example.com" || str(got.Notes) != notes || str(got.CityName) != city || str(got.PhoneNumber) != phone ||
		got.CountryID == nil || *got.CountryID != country || got.ContractContactType != 1 {
		t.Errorf("after the update: %+v; want the new email and every other field kept", got)
	}

	export := fmt.Sprintf("Id,CoworkerContractId,FullName,CoworkerId,ContractContactType,CreatedOn\n%d,1002,Bob New,%d,NominatedRecipient,2025-01-01T00:00:00Z\n", bob, coworker)
	path = filepath.Join(e.dir, "export.csv")
	os.WriteFile(path, []byte(export), 0o600)
	opt = testOptions(filepath.Join(e.dir, "export.results.csv"))
	opt.Update = true
	sum := e.run(t, path, opt)
	if sum.Updated != 1 || e.srv.Count() != 2 {
		t.Fatalf("export fed back: %+v, %d records; want 1 updated, 2 records", countsOf(sum), e.srv.Count())
	}
	if got := recordByID(t, e.srv, bob); got.FullName != "Bob New" || got.CoworkerID == nil || *got.CoworkerID != coworker {
		t.Errorf("record %d is %q, coworker %v after the update, want Bob New linked to %d", bob, got.FullName, got.CoworkerID, coworker)
	}
}

func recordByID(t *testing.T, srv *sandbox.Server, id int64) sandbox.Record {
	t.Helper()
	for _, r := range srv.Records() {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("record %d is not in the sandbox", id)
	return sandbox.Record{}
}

func ptr[T any](v T) *T { return &v }

// TestRunTwoResultsFiles: the same rows imported under two results paths
// (two journals), or recovered by feeding a results file back and then
// running the original sheet again, are never created twice.
func TestRunTwoResultsFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(8)
	ps[3].contract = 999999 // refused by the space
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	if sum := e.run(t, path, testOptions(results)); sum.Failed != 1 || sum.Created != 7 {
		t.Fatalf("first run: %+v, want 7 created, 1 failed", countsOf(sum))
	}
	rows := readResults(t, results)
	if rows[3].status != Failed || !strings.Contains(rows[3].msg, "CoworkerContractId") || strings.Contains(rows[3].msg, "nexudus:") {
		t.Errorf("row 5: %s %q, want failed in the API's words naming CoworkerContractId", rows[3].status, rows[3].msg)
	}
	// Fixed in the results file, which is fed back under its own results path.
	b, _ := os.ReadFile(results)
	fixed := filepath.Join(e.dir, "fixed.csv")
	os.WriteFile(fixed, []byte(strings.Replace(string(b), ",999999,", ",1004,", 1)), 0o600)
	if sum := e.run(t, fixed, testOptions(filepath.Join(e.dir, "fixed.results.csv"))); sum.Created != 1 || sum.Exists != 7 {
		t.Errorf("fixed results fed back: %+v, want 1 created, 7 found in the space", countsOf(sum))
	}
	// The original sheet, fixed too, run again with its own journal.
	ps[3].contract = 1004
	path = writeInput(t, e.dir, "contacts.csv", ps)
	sum := e.run(t, path, testOptions(results))
	if sum.Created != 0 || sum.Failed != 0 {
		t.Errorf("original sheet again: %+v, want nothing created", countsOf(sum))
	}
	// And under a results path of its own.
	if sum := e.run(t, path, testOptions(filepath.Join(e.dir, "other.csv"))); sum.Created != 0 || sum.Exists+sum.Skipped != 8 {
		t.Errorf("under another results path: %+v, want every row found", countsOf(sum))
	}
	checkExactlyOnce(t, e.srv, ps, results, Exists)
}

// TestRunDeletedJournal: a finished import whose journal was deleted, run
// again, finds its rows in the space and creates nothing.
func TestRunDeletedJournal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(5)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	e.run(t, path, testOptions(results))
	if err := os.Remove(JournalPath(results)); err != nil {
		t.Fatal(err)
	}
	sum := e.run(t, path, testOptions(results))
	if sum.Created != 0 || sum.Exists != 5 {
		t.Errorf("after deleting the journal: %+v, want 5 exists, nothing created", countsOf(sum))
	}
	checkExactlyOnce(t, e.srv, ps, results, Exists)
}

// TestRunFindsWhatExists: rows already in the space, whatever the case
// and spacing of their names, are found and not created; a look-alike
// with another name is not.
func TestRunFindsWhatExists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(6)
	var ids []int64
	for _, i := range []int{0, 3} {
		r := recordOf(ps[i])
		r.FullName = "  " + strings.ToUpper(r.FullName)
		ids = append(ids, e.srv.Insert(r))
	}
	loose := recordOf(ps[1])
	loose.FullName += " Jr"
	e.srv.Insert(loose)
	results := filepath.Join(e.dir, "contacts.results.csv")
	sum := e.run(t, writeInput(t, e.dir, "contacts.csv", ps), testOptions(results))
	if sum.Exists != 2 || sum.Created != 4 {
		t.Fatalf("summary %+v, want 2 exists, 4 created", countsOf(sum))
	}
	rows := readResults(t, results)
	for i, wantID := range map[int]int64{0: ids[0], 3: ids[1]} {
		if rows[i].status != Exists || rows[i].id != wantID {
			t.Errorf("row %d: %s %d, want exists %d", rows[i].row, rows[i].status, rows[i].id, wantID)
		}
	}
	if rows[1].status != Created {
		t.Errorf("row 3 (only a look-alike in the space): %s, want created", rows[1].status)
	}
	if n := e.srv.Count(); n != 7 {
		t.Errorf("sandbox holds %d records, want 7", n)
	}
}

// TestRunAmbiguous: two records with a row's identity make the row
// ambiguous: nothing is written for it, and the Ids are named.
func TestRunAmbiguous(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(3)
	a := e.srv.Insert(recordOf(ps[1]))
	twin := recordOf(ps[1])
	twin.FullName = strings.ToLower(twin.FullName)
	b := e.srv.Insert(twin)
	results := filepath.Join(e.dir, "contacts.results.csv")
	sum := e.run(t, writeInput(t, e.dir, "contacts.csv", ps), testOptions(results))
	if sum.Ambiguous != 1 || sum.Created != 2 || sum.Unfinished() == 0 {
		t.Fatalf("summary %+v, want 1 ambiguous, 2 created, unfinished", countsOf(sum))
	}
	rows := readResults(t, results)
	if rows[1].status != Ambiguous || !strings.Contains(rows[1].msg, strconv.FormatInt(a, 10)) || !strings.Contains(rows[1].msg, strconv.FormatInt(b, 10)) {
		t.Errorf("row 3: %s %q, want ambiguous naming %d and %d", rows[1].status, rows[1].msg, a, b)
	}
	if n := e.srv.Count(); n != 4 {
		t.Errorf("sandbox holds %d records, want 4", n)
	}
}

// TestRunPlan: --plan reads the space and classifies every row, writes
// nothing to the space, and says how long the writes take.
func TestRunPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(6)
	e.srv.Insert(recordOf(ps[0])) // exists
	differs := recordOf(ps[1])
	differs.Email = ptr("someone.else@example.com")
	e.srv.Insert(differs)
	e.srv.Insert(recordOf(ps[2])) // ambiguous: twice
	e.srv.Insert(recordOf(ps[2]))
	bad := ps[5]
	bad.dob = "31/02/1990"
	path := writeInput(t, e.dir, "contacts.csv", append(ps[:5:5], bad))
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := testOptions(results)
	opt.Plan = true
	opt.Pacing = Pacing{WritesPerSecond: 1, DailyWrites: 2500}
	before := e.srv.Records()
	sum := e.run(t, path, opt)
	if got, want := countsOf(sum), (counts{Rows: 6, Exists: 1, Differs: 1, Ambiguous: 1, Invalid: 1}); got != want || sum.New != 2 {
		t.Errorf("plan: %+v (%d new), want 2 new, 1 exists, 1 differs, 1 ambiguous, 1 invalid", got, sum.New)
	}
	if !slices.EqualFunc(before, e.srv.Records(), func(a, b sandbox.Record) bool { return a.ID == b.ID && a.UpdatedOn == b.UpdatedOn }) {
		t.Error("the plan changed the space")
	}
	want := []Status{Exists, Differs, Ambiguous, New, New, Invalid}
	for i, r := range readResults(t, results) {
		if r.status != want[i] {
			t.Errorf("row %d: %s %q, want %s", r.row, r.status, r.msg, want[i])
		}
	}
	if e := sum.Estimate; e == nil || e.Creates != 2 || e.Seconds != 2 || e.Days != 1 {
		t.Errorf("estimate %+v, want 2 creates, 2 s, 1 day", e)
	}
	var text strings.Builder
	sum.WriteText(&text)
	if !strings.Contains(text.String(), "plan: 6 rows: 2 new, 1 exists, 1 differs, 1 ambiguous, 1 invalid") || !strings.Contains(text.String(), "writes: 2 writes: about 2s") {
		t.Errorf("plan report:\n%s", text.String())
	}
	// Past the daily budget, the estimate is in days.
	opt.Pacing = Pacing{WritesPerSecond: 1, DailyWrites: 1, WritesUsed: 1}
	opt.Update = true
	sum = e.run(t, path, opt)
	if e := sum.Estimate; e == nil || e.Creates != 2 || e.Updates != 1 || e.Days != 4 || !strings.Contains(e.String(), "about 4 days") {
		t.Errorf("estimate past the budget: %+v %q, want 3 writes over 4 days", e, e)
	}
	if sum.Unfinished() != 2 {
		t.Errorf("plan with --update: %d rows unfinished, want 2 (ambiguous, invalid): the differing row will be updated", sum.Unfinished())
	}
}

// recordOf is the sandbox record a person's row creates.
func recordOf(p person) sandbox.Record {
	c := contactFor(p)
	r := sandbox.Record{CoworkerContractID: c.CoworkerContractID, FullName: c.FullName, Email: &c.Email,
		DateOfBirth: &c.DateOfBirth, ContractContactType: int(c.ContractContactType)}
	if c.Address != "" {
		r.Address = &c.Address
	}
	if c.PhoneNumber != "" {
		r.PhoneNumber = &c.PhoneNumber
	}
	return r
}

// contactFor is the contact a person's row maps to.
func contactFor(p person) mapping.Contact {
	typ, err := mapping.ParseContactType(p.typ)
	if err != nil {
		panic(err)
	}
	return mapping.Contact{CoworkerContractID: p.contract, FullName: p.name, Email: p.email,
		DateOfBirth: p.dob + "T00:00:00", Address: p.address, PhoneNumber: p.phone, ContractContactType: typ}
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

// TestRunResumesAnUpdate: an update whose outcome a killed run never
// learnt is settled by reading the record: it landed, so the row is
// updated and nothing is sent again.
func TestRunResumesAnUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(2)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	e.run(t, path, testOptions(results))
	ps[1].email = "moved@example.com"
	path = writeInput(t, e.dir, "contacts.csv", ps)
	id := readResults(t, results)[1].id
	j, err := openJournal(JournalPath(results), path, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.beginUpdate(rowKey(contactFor(ps[1]), 0), 3, id); err != nil {
		t.Fatal(err)
	}
	j.close()
	// The killed run's update landed.
	rec := recordByID(t, e.srv, id)
	rec.Email = ptr("moved@example.com")
	e.srv.Insert(rec)
	api := &counting{API: e.client}
	opt := testOptions(results)
	opt.Update = true
	sum, err := Run(context.Background(), openInput(t, path), api, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countsOf(sum), (counts{Rows: 2, Updated: 1, Skipped: 1}); got != want {
		t.Errorf("%+v, want 1 updated, 1 already done", got)
	}
	if rows := readResults(t, results); rows[1].status != Updated || rows[1].id != id {
		t.Errorf("row 3: %s %d, want updated %d", rows[1].status, rows[1].id, id)
	}
}

// TestRunMissingRecord: a row whose Id names no record fails, saying how
// to create it instead; --ignore-ids matches it by identity.
func TestRunMissingRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(e.dir, "export.csv")
	os.WriteFile(path, []byte("Id,CoworkerContractId,FullName\n123,1001,Ann Lee\n"), 0o600)
	results := filepath.Join(e.dir, "export.results.csv")
	sum := e.run(t, path, testOptions(results))
	rows := readResults(t, results)
	if sum.Failed != 1 || !strings.Contains(rows[0].msg, "record 123 is not in the space") || !strings.Contains(rows[0].msg, "--ignore-ids") {
		t.Errorf("%+v, row 2 %q: want failed, naming the record and --ignore-ids", countsOf(sum), rows[0].msg)
	}
	opt := testOptions(results)
	opt.IgnoreIDs = true
	if sum := e.run(t, path, opt); sum.Created != 1 || e.srv.Count() != 1 {
		t.Errorf("--ignore-ids: %+v, %d records; want 1 created", countsOf(sum), e.srv.Count())
	}
}

// TestPacingDuration: writes go in bursts within the write window, one
// window after another.
func TestPacingDuration(t *testing.T) {
	t.Parallel()
	documented := Pacing{WritesPerSecond: 1, Burst: 60, Window: time.Minute, MinInterval: 100 * time.Millisecond}
	tests := []struct {
		p    Pacing
		n    int
		want time.Duration
	}{
		{documented, 0, 0},
		{documented, 8, 800 * time.Millisecond},
		{documented, 60, 6 * time.Second},
		{documented, 61, time.Minute + 100*time.Millisecond},
		{documented, 280, 4*time.Minute + 4*time.Second},
		{Pacing{WritesPerSecond: 2}, 10, 5 * time.Second},
		{Pacing{}, 10, 0},
	}
	for _, tc := range tests {
		if got := tc.p.duration(tc.n); got != tc.want {
			t.Errorf("%+v: %d writes take %v, want %v", tc.p, tc.n, got, tc.want)
		}
	}
}

// TestRunLinkingARow: a person imported without a CoworkerId, then the
// same sheet with their CoworkerId filled in, is the same person: the row
// differs on CoworkerId (and --update links the record), never a second
// record.
func TestRunLinkingARow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(e.dir, "ada.csv")
	os.WriteFile(path, []byte("Contract,Name,CoworkerId\n1001,Ada Lovelace,\n"), 0o600)
	results := filepath.Join(e.dir, "ada.results.csv")
	e.run(t, path, testOptions(results))
	os.WriteFile(path, []byte("Contract,Name,CoworkerId\n1001,Ada Lovelace,2001\n"), 0o600)
	if sum := e.run(t, path, testOptions(results)); sum.Differs != 1 || e.srv.Count() != 1 {
		t.Errorf("linked: %+v, %d records; want 1 differs (CoworkerId), one record", countsOf(sum), e.srv.Count())
	}
	opt := testOptions(results)
	opt.Update = true
	if sum := e.run(t, path, opt); sum.Updated != 1 || e.srv.Count() != 1 {
		t.Errorf("--update: %+v, %d records; want the record linked", countsOf(sum), e.srv.Count())
	}
	if recs := e.srv.Records(); len(recs) != 1 || recs[0].CoworkerID == nil || *recs[0].CoworkerID != 2001 {
		t.Errorf("records %+v, want one linked to 2001", recs)
	}
}

// TestRunNameCorrectedInResults: a name corrected in a results file fed
// back is the same contact (its Id in the file): the row differs on
// FullName, and --update corrects the record, never a second one.
func TestRunNameCorrectedInResults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(e.dir, "ann.csv")
	os.WriteFile(path, []byte("Contract,Name,Email\n1001,Ann Lee,ann@example.com\n"), 0o600)
	results := filepath.Join(e.dir, "ann.results.csv")
	e.run(t, path, testOptions(results))
	b, _ := os.ReadFile(results)
	os.WriteFile(results, []byte(strings.Replace(string(b), "Ann Lee", "Ann Leigh", 1)), 0o600)
	sum := e.run(t, results, testOptions(results))
	if sum.Differs != 1 || e.srv.Count() != 1 {
		t.Fatalf("fed back with the name corrected: %+v, %d records; want 1 differs, one record", countsOf(sum), e.srv.Count())
	}
	opt := testOptions(results)
	opt.Update = true
	e.run(t, results, opt)
	if recs := e.srv.Records(); len(recs) != 1 || recs[0].FullName != "Ann Leigh" {
		t.Errorf("records %+v, want one, named Ann Leigh", recs)
	}
}
