package importer

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// messy returns people whose names, emails and phones a server may store
// otherwise than sent: odd case and spacing, spaced phone numbers.
func messy(n int) []person {
	ps := people(n)
	for i := range ps {
		p := &ps[i]
		p.name = fmt.Sprintf("  %s  van der berg-%03d ", []string{"ANN", "bob", "cLaRa", "Dee"}[i%4], i)
		p.email = fmt.Sprintf("Person.%03d@Example.COM", i)
		p.phone = fmt.Sprintf("+44 20 7946 %04d", i)
	}
	return ps
}

// TestRunAgainstServerBehaviours imports through servers that store what
// they are sent otherwise (names title-cased or collapsed, phones packed,
// emails lower-cased, names and emails from the coworker) and drop a third
// of the answers after storing: every row ends with one record, and a
// second run finds every row done, none differing.
func TestRunAgainstServerBehaviours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		b       sandbox.Behaviour
		linked  bool // rows name a coworker
		batched bool // rows give fields listings leave out
	}{
		{name: "names title-cased", b: sandbox.Behaviour{Names: sandbox.NamesTitleCase}},
		{name: "names collapsed", b: sandbox.Behaviour{Names: sandbox.NamesCollapsed}},
		{name: "phones packed", b: sandbox.Behaviour{PackPhones: true}},
		{name: "emails lower-cased", b: sandbox.Behaviour{LowerEmails: true}},
		{name: "coworker names", b: sandbox.Behaviour{CoworkerNames: true}, linked: true},
		{name: "everything at once", b: sandbox.Behaviour{Names: sandbox.NamesTitleCase, PackPhones: true, LowerEmails: true}, batched: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{Behaviour: tc.b, Faults: sandbox.Faults{DropAfterCreate: 0.3, Seed: 11}})
			ps := messy(20)
			var input string
			if tc.linked {
				var b strings.Builder
				b.WriteString("Contract,Name,Email,CoworkerId,Phone,Type\n")
				for i, p := range ps {
					fmt.Fprintf(&b, "%d,%s,%s,%d,%s,%s\n", 1001+i%10, p.name, p.email, 2001+i%5, p.phone, []string{"Director", "NominatedRecipient"}[i/10])
				}
				input = filepath.Join(e.dir, "contacts.csv")
				if err := os.WriteFile(input, []byte(b.String()), 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				if tc.batched {
					for i := range ps {
						ps[i].address = fmt.Sprintf("%d  High  Street", i)
					}
				}
				input = writeInput(t, e.dir, "contacts.csv", ps)
			}
			results := filepath.Join(e.dir, "contacts.results.csv")
			api := &counting{API: e.client}
			sum, err := Run(context.Background(), openInput(t, input), api, testOptions(results))
			if err != nil {
				t.Fatal(err)
			}
			if api.ambiguous.Load() == 0 {
				t.Error("no answer was lost: the faults were not exercised")
			}
			if sum.Created != 20 || sum.Unfinished() != 0 || e.srv.Count() != 20 {
				t.Fatalf("%+v, %v; %d records; want 20 created, one record each", countsOf(sum), sum.Verified, e.srv.Count())
			}
			sum, err = Run(context.Background(), openInput(t, input), e.client, testOptions(results))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := countsOf(sum), (counts{Rows: 20, Skipped: 20}); got != want {
				t.Errorf("second run: %+v, want all 20 already done", got)
				for _, r := range readResults(t, results) {
					if r.status != Created {
						t.Logf("row %d: %s %s", r.row, r.status, r.msg)
					}
				}
			}
			if n := e.srv.Count(); n != 20 {
				t.Errorf("%d records after the second run, want 20", n)
			}
		})
	}
}

// TestRunLateLandingCreate: a server that stores a create only after the
// client has given up on it (later than the request timeout plus the
// landing margin). The create is looked for, not found, looked for again
// and found before anything is sent again: one record.
func TestRunLateLandingCreate(t *testing.T) {
	t.Parallel()
	const timeout, storeDelay = 300 * time.Millisecond, 1200 * time.Millisecond
	e := newEnv(t, sandbox.Config{Behaviour: sandbox.Behaviour{StoreDelay: storeDelay}})
	cfg := testClientConfig(e.ts.URL, e.srv.Token(), 0, e.dir)
	cfg.Timeout = timeout
	client := newTestClient(t, cfg)
	ps := people(3)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := testOptions(results)
	opt.LandingWait, opt.Settle = timeout+200*time.Millisecond, 2*storeDelay
	api := &counting{API: client}
	sum, err := Run(context.Background(), openInput(t, path), api, opt)
	if err != nil {
		t.Fatal(err)
	}
	if api.creates.Load() != 3 {
		t.Errorf("%d creates sent for 3 rows: a late create was sent again", api.creates.Load())
	}
	if sum.Created != 3 || sum.Unfinished() != 0 {
		t.Errorf("%+v, want 3 created", countsOf(sum))
	}
	e.srv.Close() // let anything still held land
	checkExactlyOnce(t, e.srv, ps, results)
}

// planting creates through the client, and plants a duplicate of the
// first row it creates in the space, as a second app (or a create retried
// behind the tool's back) would.
type planting struct {
	API
	srv  *sandbox.Server
	once sync.Once
	dup  int64
}

func (p *planting) Create(ctx context.Context, c mapping.Contact) (int64, error) {
	id, err := p.API.Create(ctx, c)
	p.once.Do(func() {
		p.dup = p.srv.Insert(sandbox.Record{CoworkerContractID: c.CoworkerContractID, FullName: strings.ToLower(c.FullName),
			Email: &c.Email, ContractContactType: int(c.ContractContactType)})
	})
	return id, err
}

// TestRunVerifiesTheFinish: a duplicate planted during the run is reported
// by the verification with both Ids, the run does not end as done, and
// --repair deletes the later record.
func TestRunVerifiesTheFinish(t *testing.T) {
	t.Parallel()
	for _, repair := range []bool{false, true} {
		t.Run(fmt.Sprintf("repair=%v", repair), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{})
			ps := people(5)
			path := writeInput(t, e.dir, "contacts.csv", ps)
			results := filepath.Join(e.dir, "contacts.results.csv")
			api := &planting{API: e.client, srv: e.srv}
			opt := testOptions(results)
			opt.Concurrency, opt.Repair = 1, repair
			sum, err := Run(context.Background(), openInput(t, path), api, opt)
			if err != nil {
				t.Fatal(err)
			}
			v := sum.Verified
			if v == nil || v.Duplicates != 1 || v.Rows != 5 || v.Records != 6 {
				t.Fatalf("verification %v, want 5 rows, 6 records, 1 duplicate", v)
			}
			first := readResults(t, results)[0].id
			var text strings.Builder
			sum.WriteText(&text)
			if !strings.Contains(text.String(), fmt.Sprint(first)) || !strings.Contains(text.String(), fmt.Sprint(api.dup)) {
				t.Errorf("report does not name both records %d and %d:\n%s", first, api.dup, text.String())
			}
			if !repair {
				if sum.Unfinished() == 0 || !strings.Contains(text.String(), "--repair") {
					t.Errorf("an unrepaired duplicate ends as done, or the report does not say --repair:\n%s", text.String())
				}
				if n := e.srv.Count(); n != 6 {
					t.Errorf("%d records, want 6", n)
				}
				return
			}
			if v.Repaired != 1 || sum.Unfinished() != 0 {
				t.Errorf("with --repair: %v, %d unfinished; want the duplicate deleted", v, sum.Unfinished())
			}
			checkExactlyOnce(t, e.srv, ps, results)
		})
	}
}

// TestRunAcrossServerBehaviours imports the same sheet (with fields the
// listings leave out, on small pages) through each listing, answer and
// access behaviour the docs allow, then runs it again and edits a row:
// every behaviour ends with one record per row and the edit found, or with
// the run refused, nothing written and every row pending.
func TestRunAcrossServerBehaviours(t *testing.T) {
	t.Parallel()
	readOnly := []string{"ContractContact-List", "ContractContact-Read"}
	tests := []struct {
		name  string
		b     sandbox.Behaviour
		stops string // the error of a run that must stop, "" when it completes
	}{
		{name: "dir as 0/1", b: sandbox.Behaviour{Direction: sandbox.DirLegacy}},
		{name: "dir ignored, ascending", b: sandbox.Behaviour{Direction: sandbox.DirIgnoredAsc}},
		{name: "dir ignored, descending", b: sandbox.Behaviour{Direction: sandbox.DirIgnoredDesc}},
		{name: "paging fields from the asked size", b: sandbox.Behaviour{PagingFields: sandbox.PagingAsked}},
		{name: "paging fields zero", b: sandbox.Behaviour{PagingFields: sandbox.PagingZero}},
		{name: "page ignored", b: sandbox.Behaviour{SamePage: true}, stops: "does not page"},
		{name: "dates local with Z", b: sandbox.Behaviour{Dates: sandbox.DatesLocalZ}},
		{name: "dates with fractions", b: sandbox.Behaviour{Dates: sandbox.DatesFraction}},
		{name: "dates without a zone", b: sandbox.Behaviour{Dates: sandbox.DatesNoZone}},
		{name: "dates with an offset", b: sandbox.Behaviour{Dates: sandbox.DatesOffset}},
		{name: "type as a name", b: sandbox.Behaviour{TypeNames: true}},
		{name: "UpdatedOn null", b: sandbox.Behaviour{NullUpdatedOn: true}},
		{name: "Id as a string", b: sandbox.Behaviour{CreateIDs: sandbox.IDString}},
		{name: "Id bare", b: sandbox.Behaviour{CreateIDs: sandbox.IDBare}},
		{name: "batch read summary", b: sandbox.Behaviour{Batch: sandbox.BatchSummary}},
		{name: "batch read partial", b: sandbox.Behaviour{Batch: sandbox.BatchPartial}},
		{name: "batch read 404", b: sandbox.Behaviour{Batch: sandbox.BatchNotFound}},
		{name: "batch read 400", b: sandbox.Behaviour{Batch: sandbox.BatchBadRequest}},
		{name: "503 with Retry-After", b: sandbox.Behaviour{Unavailable: 0.2}},
		{name: "role missing", b: sandbox.Behaviour{Roles: readOnly}, stops: "ContractContact-Create"},
		{name: "write quota spent elsewhere", b: sandbox.Behaviour{QuotaSpent: time.Hour}, stops: "still throttled"},
		{name: "redirected elsewhere", b: sandbox.Behaviour{RedirectTo: "http://192.0.2.1:9"}, stops: "redirect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Config{Behaviour: tc.b, MaxPageSize: 4})
			cfg := testClientConfig(e.ts.URL, e.srv.Token(), 0, e.dir)
			cfg.MaxThrottled = 300 * time.Millisecond
			client := newTestClient(t, cfg)
			ps := people(12)
			for i := range ps {
				ps[i].address = fmt.Sprintf("%d Canal Street", i+1)
			}
			e.srv.Generate(9, 1001) // others' records, so that reading takes pages
			path := writeInput(t, e.dir, "contacts.csv", ps)
			results := filepath.Join(e.dir, "contacts.results.csv")
			sum, err := Run(context.Background(), openInput(t, path), client, testOptions(results))
			if tc.stops != "" {
				if err == nil || !strings.Contains(err.Error(), tc.stops) {
					t.Fatalf("got %v, want the run stopped saying %q", err, tc.stops)
				}
				if sum.Pending != 12 || sum.Failed != 0 || e.srv.Count() != 9 {
					t.Errorf("%+v, %d records: want every row pending, nothing written", countsOf(sum), e.srv.Count())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Created != 12 || sum.Unfinished() != 0 {
				t.Fatalf("%+v, %v: want 12 created", countsOf(sum), sum.Verified)
			}
			ps[5].address = "6 Canal Street, Flat 2"
			path = writeInput(t, e.dir, "contacts.csv", ps)
			sum, err = Run(context.Background(), openInput(t, path), client, testOptions(results))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := countsOf(sum), (counts{Rows: 12, Differs: 1, Skipped: 11}); got != want {
				t.Errorf("edited sheet again: %+v, want 1 differs (the address), 11 already done", got)
			}
			if rows := readResults(t, results); !strings.Contains(rows[5].msg, "Address") {
				t.Errorf("row 7: %s %q, want the address named", rows[5].status, rows[5].msg)
			}
			if n := e.srv.Count(); n != 21 {
				t.Errorf("%d records, want 21", n)
			}
		})
	}
}

// deleting wraps the client to delete a record in the space right after
// the first listing page is served, once: the pages after it shift by one.
type deleting struct {
	API
	srv  *sandbox.Server
	id   int64
	once sync.Once
}

func (d *deleting) List(ctx context.Context, opt nexudus.ListOptions) (*nexudus.Page, error) {
	p, err := d.API.List(ctx, opt)
	if opt.Page == 1 && opt.Size > 1 {
		d.once.Do(func() { d.srv.Delete(d.id) })
	}
	return p, err
}

// TestRunReadsTheSpaceWhole: a record deleted while the space is read
// shifts the pages after it; the read notices (the count changed) and
// reads again, so the row whose record sat past the shift is found, not
// created twice.
func TestRunReadsTheSpaceWhole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	var ids []int64
	for i := range 1500 {
		ids = append(ids, e.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: fmt.Sprintf("P %04d", i), ContractContactType: 1}))
	}
	path := filepath.Join(e.dir, "one.csv")
	if err := os.WriteFile(path, []byte("Contract,Name\n1001,P 1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	api := &deleting{API: e.client, srv: e.srv, id: ids[10]}
	sum, err := Run(context.Background(), openInput(t, path), api, testOptions(filepath.Join(e.dir, "one.results.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Exists != 1 || sum.Created != 0 || e.srv.Count() != 1499 {
		t.Errorf("%+v, %d records; want the row found (exists), nothing created", countsOf(sum), e.srv.Count())
	}
}

// TestRunAdoptsOnlyWhatItMade: a create left in flight is settled only by
// a record newer than what its run had read; an older record with the
// row's identity is someone else's, never journaled as this import's,
// and undo leaves it.
func TestRunAdoptsOnlyWhatItMade(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	ps := people(1)
	old := e.srv.Insert(recordOf(ps[0]))
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	j, err := openJournal(JournalPath(results), path, "")
	if err != nil {
		t.Fatal(err)
	}
	j.now = func() time.Time { return time.Now().Add(-time.Hour) }
	if err := j.begin(rowKey(contactFor(ps[0]), 0), 2, old); err != nil {
		t.Fatal(err)
	}
	j.close()
	if sum := e.run(t, path, testOptions(results)); sum.Exists != 1 || sum.Created != 0 {
		t.Errorf("%+v, want the older record found as existing, not as this import's", countsOf(sum))
	}
	sum, err := Undo(context.Background(), results, e.client, UndoOptions{})
	if err != nil || sum.Deleted != 0 || e.srv.Count() != 1 {
		t.Errorf("undo: %+v, %v, %d records; want nothing deleted", sum, err, e.srv.Count())
	}
}

// TestRunRepairsLateDuplicatesLater: creates that the server stores only
// long after they were sent are sent again (the space still lacked them at
// Settle) and then all land: a later run's verification knows every one
// of them as this import's, --repair deletes the extra ones, and undo
// deletes the rest.
func TestRunRepairsLateDuplicatesLater(t *testing.T) {
	t.Parallel()
	const timeout, storeDelay = 300 * time.Millisecond, 2500 * time.Millisecond
	e := newEnv(t, sandbox.Config{Behaviour: sandbox.Behaviour{StoreDelay: storeDelay}})
	cfg := testClientConfig(e.ts.URL, e.srv.Token(), 0, e.dir)
	cfg.Timeout = timeout
	client := newTestClient(t, cfg)
	ps := people(1)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	opt := testOptions(results)
	opt.LandingWait, opt.Settle, opt.SettleFor = timeout+100*time.Millisecond, 700*time.Millisecond, 10*time.Second
	if _, err := Run(context.Background(), openInput(t, path), client, opt); err != nil {
		t.Fatal(err)
	}
	e.srv.Close() // every create still held lands now
	if n := e.srv.Count(); n < 2 {
		t.Fatalf("%d records: the server stored no create late enough for the test", n)
	}
	opt.Repair = true
	sum, err := Run(context.Background(), openInput(t, path), e.client, opt)
	if err != nil {
		t.Fatal(err)
	}
	if v := sum.Verified; v == nil || v.Repaired == 0 || v.Unresolved() != 0 || e.srv.Count() != 1 {
		t.Fatalf("--repair on a later run: %v, %d records; want the late duplicates deleted", v, e.srv.Count())
	}
	if u, err := Undo(context.Background(), results, e.client, UndoOptions{}); err != nil || e.srv.Count() != 0 {
		t.Errorf("undo: %+v, %v, %d records left; want none", u, err, e.srv.Count())
	}
}

// TestRunBesideAnotherApp imports under the documented limits while
// another integration with the same credentials spends them (a request a
// second): the pacer cannot see its requests, so some of this run's meet
// 409, wait and go again. Every row ends with exactly one record, and a
// second run finds them all done.
func TestRunBesideAnotherApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{Limits: sandbox.DocumentedLimits(), Behaviour: sandbox.Behaviour{OtherApp: 60}})
	cfg := testClientConfig(e.ts.URL, e.srv.Token(), 0, e.dir)
	cfg.Rate, cfg.MinInterval, cfg.WriteRate = nexudus.Rate{}, 0, nexudus.Rate{} // the documented limits
	cfg.MaxRetryAfter = 0                                                        // as the server says (1 s)
	throttled := &statusCount{RoundTripper: cfg.HTTPClient.Transport, status: http.StatusConflict}
	cfg.HTTPClient.Transport = throttled
	client := newTestClient(t, cfg)
	path := writeInput(t, e.dir, "contacts.csv", people(12))
	results := filepath.Join(e.dir, "contacts.results.csv")
	for run, want := range []counts{{Rows: 12, Created: 12}, {Rows: 12, Skipped: 12}} {
		sum, err := Run(context.Background(), openInput(t, path), client, testOptions(results))
		if err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if got := countsOf(sum); got != want || sum.Verified == nil || sum.Verified.Duplicates != 0 {
			t.Errorf("run %d: %+v, verified %+v; want %+v, no duplicate", run+1, got, sum.Verified, want)
		}
	}
	if n := e.srv.Count(); n != 12 {
		t.Errorf("%d records, want 12", n)
	}
	// The other app's request each second usually falls among this run's,
	// paced about 100 ms apart, and some meet 409 (two or three); on a
	// slow machine the run's requests may all miss the 100 ms after each
	// of its requests, so the count is told, not asserted.
	t.Logf("%d answers of 409", throttled.n.Load())
}

// statusCount counts the answers with one status.
type statusCount struct {
	http.RoundTripper
	status int
	n      atomic.Int64
}

func (c *statusCount) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.RoundTripper.RoundTrip(req)
	if err == nil && resp.StatusCode == c.status {
		c.n.Add(1)
	}
	return resp, err
}
