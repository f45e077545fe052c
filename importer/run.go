package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// API is what an import needs from the Nexudus client (*nexudus.Client
// satisfies it).
type API interface {
	List(ctx context.Context, opt nexudus.ListOptions) (*nexudus.Page, error)
	Get(ctx context.Context, ids []int64) ([]nexudus.Record, error)
	GetOne(ctx context.Context, id int64) (nexudus.Record, error)
	Create(ctx context.Context, c mapping.Contact) (int64, error)
	Update(ctx context.Context, id int64, c mapping.Contact) error
	Delete(ctx context.Context, id int64) error
	// The lists a sheet's names are looked up in (lookup.go).
	ListContracts(ctx context.Context, opt nexudus.ListOptions) (*nexudus.ListPage[nexudus.Contract], error)
	ListCoworkers(ctx context.Context, opt nexudus.ListOptions) (*nexudus.ListPage[nexudus.Coworker], error)
	ListCountries(ctx context.Context, opt nexudus.ListOptions) (*nexudus.ListPage[nexudus.Country], error)
}

// Options configures Run.
type Options struct {
	Results     string          // results file path (the journal lives beside it); "" means DefaultResultsPath
	Target      string          // where rows are written (a base URL); a journal written for another target is refused
	Concurrency int             // workers, default 4
	SkipInvalid bool            // import the valid rows even when some are invalid
	Plan        bool            // read the space and classify every row, write nothing to it
	Update      bool            // send rows that differ from their record as updates (else they are reported)
	IgnoreIDs   bool            // ignore the sheet's Id column (an export of another space): match rows by identity
	Inactive    bool            // lookups may find contracts that are not active or are cancelled (--include-inactive)
	Repair      bool            // delete the duplicates of a row that this import made, found by the verification
	Abandon     context.Context // cancelled on a second Ctrl-C: abandon requests in flight; nil means never
	Progress    io.Writer       // stderr; nil means no progress
	Terminal    bool            // Progress is a terminal: show a progress bar, else a log line every few seconds
	Pacing      Pacing          // the client's write pacing: the ETA and the plan's estimate
	LandingWait time.Duration   // the earliest a write of unknown outcome is checked: the client's request timeout plus LandingMargin; 35 s when 0
	Settle      time.Duration   // a create of unknown outcome is sent again only when a read this long after it was sent still does not find it; 2 min when 0 (never less than LandingWait)
	SettleFor   time.Duration   // how long the end of a run goes on settling unknown outcomes before leaving them pending; 10 min when 0

	logEvery time.Duration    // interval of progress log lines; 0 means 5 s
	now      func() time.Time // the clock; time.Now when nil
}

// Pacing is the client's write pacing, as the import needs to know it.
type Pacing struct {
	WritesPerSecond float64       // the write rate in the long run; 0 unknown
	Burst           int           // writes allowed in one window (60 a minute): a short job goes this fast
	Window          time.Duration // the window of Burst
	MinInterval     time.Duration // between two requests within a burst
	DailyWrites     int           // the rolling 24-hour budget; 0 none
	WritesUsed      int           // of which already spent
}

// duration returns how long n writes take: bursts of Burst writes, each
// MinInterval apart, one window after another; at WritesPerSecond when
// the windows are not known. 0 when nothing is known.
func (p Pacing) duration(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	if p.Burst > 0 && p.Window > 0 {
		full := (n - 1) / p.Burst
		return time.Duration(full)*p.Window + time.Duration((n-1)%p.Burst+1)*max(p.MinInterval, time.Millisecond)
	}
	if p.WritesPerSecond > 0 {
		return time.Duration(float64(n) / p.WritesPerSecond * float64(time.Second))
	}
	return 0
}

// LandingMargin is what Options.LandingWait adds to the client's request
// timeout: time for a server still storing a request its client gave up on.
const LandingMargin = 5 * time.Second

// Defaults of Options.
const (
	defaultLandingWait = 30*time.Second + LandingMargin
	defaultSettle      = 2 * time.Minute
	defaultSettleFor   = 10 * time.Minute
)

// Run imports the valid rows of in exactly once. It reads what the space
// holds for the sheet's contracts, classifies every row (new, exists,
// differs, ambiguous: see the package doc), creates the new rows (and
// updates those that differ, with Options.Update) on a paced worker pool,
// settles every write of unknown outcome by reading the space again, and
// verifies the finish; all of it journaled, so that a crash, kill,
// interrupt or budget stop resumes where it stopped. With Options.Plan it
// stops after the classification and writes nothing to the space.
//
// Row failures are results, not errors. Run returns an error only when
// going on is pointless: the results file or journal cannot be used (they
// satisfy errors.Is(err, ErrInput), nothing was done); credentials refused
// (nexudus.IsUnauthorized); the space cannot be read; the journal not
// writable; a stop that leaves rows pending (*nexudus.BudgetError); or an
// interrupt (errors.Is(err, context.Canceled)). The Summary is valid
// either way.
func Run(ctx context.Context, in *Input, api API, opt Options) (Summary, error) {
	opt = withDefaults(opt, in)
	start := opt.now()
	sum := Summary{Plan: opt.Plan, Update: opt.Update, Results: opt.Results}
	if err := CheckOutputs(opt.Results, in.Path()); err != nil {
		sum.Results = ""
		return sum, err
	}
	j, err := openJournal(JournalPath(opt.Results), in.Name(), opt.Target)
	if err != nil {
		// Nothing was done: the user must fix the results path or the journal.
		sum.Results = ""
		sum.Elapsed = time.Since(start)
		return sum, &inputError{err}
	}
	defer j.close()
	r := &runner{in: in, api: api, opt: opt, j: j, start: start}
	stopNote := r.sayWhatInterruptWaitsFor(ctx)
	defer stopNote()
	runErr := r.run(ctx)
	if ctx.Err() != nil && r.stopped == "" {
		r.stopped = "interrupted"
	}
	sum.Stopped = r.stopped
	sum.Lookups = r.looked
	sum.Verified = r.verified
	sum.Estimate = r.estimate
	if errors.Is(runErr, ErrJournalMismatch) || r.items == nil && runErr != nil {
		// Nothing is known about the rows: keep whatever results file there is.
		sum.Results = ""
		sum.Elapsed = time.Since(start)
		return sum, runErr
	}
	if err := r.writeResults(&sum); err != nil {
		sum.Results = ""
		if runErr == nil {
			runErr = err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, runErr
}

func withDefaults(opt Options, in *Input) Options {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Results == "" {
		opt.Results = DefaultResultsPath(in.Name())
	}
	if opt.Abandon == nil {
		opt.Abandon = context.Background()
	}
	if opt.Progress == nil {
		opt.Progress = io.Discard
	}
	if opt.logEvery == 0 {
		opt.logEvery = 5 * time.Second
	}
	if opt.LandingWait <= 0 {
		opt.LandingWait = defaultLandingWait
	}
	if opt.Settle <= 0 {
		opt.Settle = defaultSettle
	}
	opt.Settle = max(opt.Settle, opt.LandingWait)
	if opt.SettleFor <= 0 {
		opt.SettleFor = defaultSettleFor
	}
	if opt.now == nil {
		opt.now = time.Now
	}
	return opt
}

// class is what the space holds for a row.
type class int

const (
	classNew       class = iota // no record is this row: create it
	classExists                 // one record is this row, with the fields the row gives
	classDiffers                // one record is this row; some fields differ
	classAmbiguous              // several records could be this row: never guess
	classMissing                // the row's Id names a record the space does not hold
)

// item is one valid row and what became of it.
type item struct {
	line     int
	key      string // rowKey: the journal's name for the row
	contact  mapping.Contact
	given    [mapping.NumFields]bool
	recordID int64                 // the row's Id column
	hint     int64                 // the record a fed-back results file says the row is
	lookups  *mapping.LookupValues // what the row looks Ids up by (lookup.go); nil for nothing

	class class
	cands []int64 // the records it may be
	diffs []diff

	status  Status // "" while not done
	id      int64
	msg     string
	already bool // done by an earlier run of this import
}

// runner is the state of one Run.
type runner struct {
	in    *Input
	api   API
	opt   Options
	j     *journal
	start time.Time

	items         []*item
	invalid       int
	failedLookups map[int]lookupFailure      // rows a lookup made invalid, by line (lookup.go)
	looked        *LookupSummary             // what the lookups did; nil when no row has any
	lookupHeaders [mapping.NumLookups]string // the header of each lookup's column; "" for none or a constant
	contracts     []int64                    // the contracts the valid rows name
	base          *space                     // the space as read before writing
	inFlight      int                        // requests sent and not answered, for the interrupt note

	mu       sync.Mutex
	unknown  []unknownWrite // writes of unknown outcome to settle
	stopped  string         // Summary.Stopped
	stopErr  error          // the error of a stop that leaves rows pending
	verified *Verification
	estimate *Estimate
}

func (r *runner) run(ctx context.Context) error {
	if err := r.load(ctx); err != nil {
		return err
	}
	if err := r.lookUp(ctx); err != nil {
		return err
	}
	r.identify()
	// A journal of another file that knows none of this one's rows is
	// another import's (the same file, edited, is this one's).
	if r.j.version() >= 2 && r.j.input != r.in.Name() && r.j.loadedRows() > 0 && len(r.items) > 0 && r.j.mattersForResume() && !r.anyKnown() {
		return &inputError{fmt.Errorf("%w: %s was written for %s and holds none of the rows of %s; choose another --results path, or check the space and delete the journal to start over",
			ErrJournalMismatch, r.j.path, r.j.input, r.in.Name())}
	}
	if r.invalid > 0 && !r.opt.SkipInvalid && !r.opt.Plan {
		r.block(fmt.Sprintf("%s: nothing was written; fix %s, or use --skip-invalid to import the valid rows",
			plural(r.invalid, "invalid row", "invalid rows"), pronoun(r.invalid)))
		return nil
	}
	if len(r.items) == 0 {
		if r.invalid == 0 {
			return fmt.Errorf("%s: %w", r.in.Name(), ErrNoRows)
		}
		return nil
	}
	if err := r.awaitLanding(ctx); err != nil {
		return err
	}
	orphans := r.orphans()
	sp, err := reader{r.api}.read(ctx, contractsOf(r.contracts, orphanContracts(orphans)), r.recordIDs())
	if err == nil {
		r.base = sp
		err = r.classify(ctx, sp)
	}
	if err == nil && !r.opt.Plan {
		err = r.settleOrphans(sp, orphans)
	}
	if err != nil {
		if ctx.Err() == nil {
			// Nothing was written: every row stays pending, saying why.
			r.stop(err, "the space could not be read ("+errText(err)+"); nothing was written")
		}
		return r.fail(ctx, err)
	}
	if r.opt.Plan {
		r.estimate = r.estimateWrites()
		return nil
	}
	if err := r.write(ctx); err != nil {
		return err
	}
	if err := r.settle(ctx); err != nil {
		return err
	}
	if r.stopErr != nil {
		return r.stopErr
	}
	return r.verify(ctx)
}

// fail returns err for the run, or the interrupt when ctx ended.
func (r *runner) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return interruptedErr(ctx)
	}
	return err
}

// interruptedErr is the error of a run stopped by an interrupt.
func interruptedErr(ctx context.Context) error {
	return fmt.Errorf("import interrupted; run the same command again to continue: %w", ctx.Err())
}

// load reads the whole input once, keeping the valid rows.
func (r *runner) load(ctx context.Context) error {
	src, err := r.in.Rows()
	if err != nil {
		return fmt.Errorf("read %s: %w", r.in.Name(), err)
	}
	defer src.Close()
	var items []*item
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return interruptedErr(ctx)
		}
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", r.in.Name(), err)
		}
		if !row.Valid() {
			r.invalid++
			continue
		}
		recordID := row.RecordID
		if r.opt.IgnoreIDs {
			recordID = 0
		}
		it := &item{line: row.Line, contact: row.Contact, given: row.Given, recordID: recordID}
		switch row.Prior {
		case Created, Updated, Exists, Differs:
			// The record a fed-back results file says the row is.
			it.hint = row.PriorID
		}
		it.lookups = row.Lookups
		items = append(items, it)
	}
	r.items = items
	if r.items == nil {
		r.items = []*item{}
	}
	for _, k := range mapping.Lookups() {
		if ci := src.layout.LookupColumn(k); ci >= 0 && ci < len(src.Columns()) {
			r.lookupHeaders[k] = src.Columns()[ci]
		}
	}
	return nil
}

// identify names each row by its identity (the journal's key), now that
// lookups gave their Ids, and collects the contracts the rows name.
func (r *runner) identify() {
	for _, it := range r.items {
		it.key = rowKey(it.contact, it.recordID)
	}
	if r.looked != nil {
		r.refuseRepeats()
	}
	seen := make(map[int64]bool)
	for _, it := range r.items {
		if c := it.contact.CoworkerContractID; !seen[c] {
			seen[c] = true
			r.contracts = append(r.contracts, c)
		}
	}
	r.contracts = contractsOf(r.contracts)
}

// orphans returns the creates an earlier run left in flight for rows the
// input no longer holds (edited, removed, or now invalid).
func (r *runner) orphans() []inFlight {
	keys := make(map[string]bool, len(r.items))
	for _, it := range r.items {
		keys[it.key] = true
	}
	var out []inFlight
	for _, w := range r.j.createsInFlight() {
		if !keys[w.Key] {
			out = append(out, w)
		}
	}
	return out
}

// orphanContracts returns the contracts of the orphans' identities (the
// contract comes first in an identity key).
func orphanContracts(ws []inFlight) []int64 {
	var out []int64
	for _, w := range ws {
		if c, ok := keyContract(w.Key); ok {
			out = append(out, c)
		}
	}
	return out
}

// keyContract reads the contract of an identity key ("1001/1/name:ann").
func keyContract(key string) (int64, bool) {
	head, _, ok := strings.Cut(key, "/")
	if !ok {
		return 0, false // a version 1 content key
	}
	c, err := strconv.ParseInt(head, 10, 64)
	return c, err == nil
}

// settleOrphans settles the creates earlier runs left in flight for rows
// no longer in the input: a record newer than what their run had read,
// with their identity, is journaled as this import's (so that undo and
// --repair know it); one not found a Settle after it was sent did not
// land, and is forgotten. Others wait for a later run.
func (r *runner) settleOrphans(sp *space, ws []inFlight) error {
	for _, w := range ws {
		var found int64
		for _, id := range sp.candidates(w.Key) {
			if _, ours := r.j.createdBy(id); id > w.Above && !ours {
				found = id
				break
			}
		}
		switch {
		case found != 0:
			fmt.Fprintf(r.opt.Progress, "note: a create an earlier run began for row %d, no longer in the sheet as it was, landed as record %d; undo counts it as this import's\n", w.Row, found)
			if err := r.j.done(w.Key, w.Row, found, ""); err != nil {
				return err
			}
		case r.opt.now().Sub(w.Since) >= r.opt.Settle:
			if err := r.j.unsent(w.Key, w.Row); err != nil {
				return err
			}
		}
	}
	return nil
}

// anyKnown reports whether the journal knows any of the rows.
func (r *runner) anyKnown() bool {
	for _, it := range r.items {
		if r.j.knows(it.key) {
			return true
		}
		if _, ours := r.j.createdBy(it.hint); ours && it.hint != 0 {
			return true // its results file fed back, a name corrected
		}
	}
	return false
}

// recordIDs returns the records the rows name: Id columns and hints.
func (r *runner) recordIDs() []int64 {
	var ids []int64
	for _, it := range r.items {
		if it.recordID != 0 {
			ids = append(ids, it.recordID)
		} else if it.hint != 0 {
			ids = append(ids, it.hint)
		}
	}
	return contractsOf(ids)
}

// block leaves every valid row pending: nothing is written.
func (r *runner) block(stopped string) {
	r.stopped = stopped
	for _, it := range r.items {
		it.status, it.msg = Pending, "not sent: other rows are invalid (fix them, or use --skip-invalid)"
	}
}

// awaitLanding waits, saying so, until every write an earlier run left in
// flight can have landed: LandingWait after the latest was about to be
// sent. Reading the space sooner could miss a record stored a moment
// later, and create it twice. An interrupt ends the wait.
func (r *runner) awaitLanding(ctx context.Context) error {
	var last time.Time
	n := 0
	for _, w := range r.j.createsInFlight() {
		n++
		if w.Since.After(last) {
			last = w.Since
		}
	}
	for _, w := range r.j.updatesInFlight() {
		n++
		if w.Since.After(last) {
			last = w.Since
		}
	}
	wait := last.Add(r.opt.LandingWait).Sub(r.opt.now())
	if n == 0 || wait <= 0 {
		return nil
	}
	wait = min(wait, r.opt.LandingWait) // the clock was set back since
	fmt.Fprintf(r.opt.Progress, "waiting %s before checking %s an earlier run left in flight, so that a request it sent has landed\n",
		roundLeft(wait), plural(n, "row", "rows"))
	if err := sleepCtx(ctx, wait); err != nil {
		return interruptedErr(ctx)
	}
	return nil
}

// sleepCtx waits d or until ctx ends, returning ctx's error then.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sayWhatInterruptWaitsFor writes, when the first Ctrl-C arrives while
// requests are in flight, what the run is waiting for and how to stop
// waiting. It returns the function that stops watching.
func (r *runner) sayWhatInterruptWaitsFor(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, func() {
		r.mu.Lock()
		n := r.inFlight
		r.mu.Unlock()
		if n > 0 {
			fmt.Fprintf(r.opt.Progress, "interrupted: waiting for %s already sent to be answered (at most the request timeout); press Ctrl-C again to abandon %s (the next run checks %s)\n",
				plural(n, "request", "requests"), pronoun(n), pronoun(n))
		} else {
			fmt.Fprintln(r.opt.Progress, "interrupted: stopping; no request is in flight")
		}
	})
}

// stop ends the run's writing for a reason that leaves rows pending (the
// daily budget spent, the server throttling for good, unreachable); the
// first reason wins.
func (r *runner) stop(err error, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopErr == nil {
		r.stopErr, r.stopped = err, reason
	}
}

// stopping returns the reason of a stop, "" when the run goes on.
func (r *runner) stopping() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

// errText is the message of err for a results file: the API's own words
// for a refusal ("FullName: is a required field").
func errText(err error) string {
	var ae *nexudus.APIError
	if errors.As(err, &ae) {
		if len(ae.Fields) > 0 {
			return ae.Error()
		}
		if m := strings.TrimSpace(ae.Message); m != "" {
			return strings.Join(strings.Fields(strings.ReplaceAll(m, "\n", "; ")), " ")
		}
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// pronoun is "it" or "them" for n things.
func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// writeResults writes the results file from a final pass over the input,
// joined in order with the rows' outcomes, and counts the summary. The
// file is written as its input was (ResultsShape; see writeResultsFile).
func (r *runner) writeResults(sum *Summary) error {
	counted := *sum
	return writeResultsFile(r.opt.Results, ResultsShape(r.opt.Results, r.in.Shape()), func(create func([]string) (*ResultsWriter, error)) error {
		*sum = counted // a second attempt counts afresh
		return r.fillResults(sum, create)
	})
}

// fillResults is writeResults' pass over the input.
func (r *runner) fillResults(sum *Summary, create func([]string) (*ResultsWriter, error)) error {
	src, err := r.in.Rows()
	if err != nil {
		return fmt.Errorf("read %s: %w", r.in.Name(), err)
	}
	defer src.Close()
	ids := r.idColumns(src)
	w, err := create(ids.header(src.Columns()))
	if err != nil {
		return err
	}
	next := 0
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", r.in.Name(), err)
		}
		status, id, msg, already := Invalid, int64(0), problemText(row.Problems), false
		var found *mapping.Contact // the Ids the row's lookups found
		bad := src.BadCells(row)
		if f, ok := r.failedLookups[row.Line]; ok && row.Valid() {
			msg, found, bad = problemText(f.problems), &f.contact, src.cellsOf(f.problems)
		} else if row.Valid() {
			if next >= len(r.items) || r.items[next].line != row.Line {
				return fmt.Errorf("read %s: the file changed during the import; its results were not written", r.in.Name())
			}
			it := r.items[next]
			next++
			status, id, msg, already = r.outcome(it)
			found = &it.contact
		}
		sum.note(row.Line, status, msg, already)
		if err := w.Write(row.Line, status, id, msg, ids.cells(row, found), bad); err != nil {
			return err
		}
	}
}

// outcome is what the results file says of a valid row.
func (r *runner) outcome(it *item) (Status, int64, string, bool) {
	if it.status != "" {
		return it.status, it.id, it.msg, it.already
	}
	why := "not sent yet: the run was interrupted; run the same command again"
	if s := r.stopping(); s != "" && s != "interrupted" {
		why = "not sent: " + s
	}
	return Pending, it.id, why, false
}

// problemText joins a row's problems for the results file.
func problemText(ps []Problem) string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.String()
	}
	return strings.Join(msgs, "; ")
}
