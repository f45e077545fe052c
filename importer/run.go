package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// API is what an import needs from the Nexudus client (*nexudus.Client satisfies it).
type API interface {
	Create(ctx context.Context, c mapping.Contact) (int64, error)
	List(ctx context.Context, opt nexudus.ListOptions) (*nexudus.Page, error)
}

// Options configures Run.
type Options struct {
	Results      string          // results file path (the journal lives beside it); "" means DefaultResultsPath
	Target       string          // where rows are created (a base URL); a journal written for another target is refused
	Concurrency  int             // workers, default 4
	SkipInvalid  bool            // import the valid rows even when some are invalid
	SkipExisting bool            // check every row against the space first (status exists)
	Abandon      context.Context // cancelled on a second Ctrl-C: abandon requests in flight; nil means never
	Progress     io.Writer       // stderr; nil means no progress
	Terminal     bool            // Progress is a terminal: show a progress bar, else a log line every few seconds
	Rate         float64         // expected creates per second, for the ETA (the client's write pacing)
	LandingWait  time.Duration   // how long after a create was last about to be sent a killed run's request may still land: the client's request timeout plus LandingMargin; 35 s when 0

	logEvery time.Duration // interval of progress log lines; 0 means 5 s
}

// LandingMargin is what Options.LandingWait adds to the client's request
// timeout: time for a server still storing a request its client gave up on.
const LandingMargin = 5 * time.Second

// defaultLandingWait is Options.LandingWait for the client's default 30 s
// request timeout.
const defaultLandingWait = 30*time.Second + LandingMargin

// maxAmbiguous bounds how many times one row is sent after creates of
// unknown outcome that, checked, had not stored it.
const maxAmbiguous = 3

// Run validates the whole input, then creates one contact per valid row exactly once, journaled so that
// re-running continues where a crash, kill, interrupt or budget stop left off. Row failures are results,
// not errors. Run returns an error only when going on is pointless: the journal cannot be opened, is
// damaged or belongs to another input (ErrJournalMismatch; all three satisfy errors.Is(err, ErrInput),
// and nothing was done); credentials refused (nexudus.IsUnauthorized); the journal or results file not
// writable; the daily write budget spent (*nexudus.BudgetError, rows left pending); or an interrupt
// (errors.Is(err, context.Canceled)). The Summary is valid either way.
func Run(ctx context.Context, in *Input, api API, opt Options) (Summary, error) {
	start := time.Now()
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Results == "" {
		opt.Results = DefaultResultsPath(in.Name())
	}
	if opt.Abandon == nil {
		opt.Abandon = context.WithoutCancel(ctx)
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
	sum := Summary{Results: opt.Results}
	j, err := openJournal(JournalPath(opt.Results), in.Name(), opt.Target)
	if err != nil {
		// Nothing was done: the user must fix the results path or the journal.
		sum.Results = ""
		sum.Elapsed = time.Since(start)
		return sum, &inputError{err}
	}
	defer j.close()
	r := &runner{in: in, api: api, opt: opt, j: j, notes: make(map[string]string), cleared: make(map[string]bool)}
	runErr := r.run(ctx)
	if ctx.Err() != nil && r.stopped == "" {
		r.stopped = "interrupted"
	}
	sum.Stopped = r.stopped
	if errors.Is(runErr, ErrJournalMismatch) {
		// The results file beside the journal is another input's: keep it.
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

// runner is the state of one Run.
type runner struct {
	in  *Input
	api API
	opt Options
	j   *journal

	mu      sync.Mutex
	notes   map[string]string // key -> why the row is still pending, this run
	cleared map[string]bool   // in-flight rows checked and found absent: create them
	blocked string            // why no row was created (invalid rows), for pending rows
	stopped string            // Summary.Stopped
	budget  *nexudus.BudgetError
}

// item is one valid row to import.
type item struct {
	key     string
	line    int
	contact mapping.Contact
}

// plan is what the validation pass found.
type plan struct {
	valid, invalid int
	todo           int    // valid rows to send
	matched        int    // valid rows the journal knows
	inFlight       []item // rows whose earlier create has an unknown outcome
}

func (r *runner) run(ctx context.Context) error {
	p, err := r.validate(ctx)
	if err != nil {
		return err
	}
	if r.j.loadedRows() > 0 && p.valid > 0 && p.matched == 0 && r.j.mattersForResume() {
		return &inputError{fmt.Errorf("%w: %s was written for %s and holds none of the rows of %s; choose another --results path, or check the space and delete the journal to start over",
			ErrJournalMismatch, r.j.path, r.j.input, r.in.Name())}
	}
	if p.invalid > 0 && !r.opt.SkipInvalid {
		r.blocked = "not sent: other rows are invalid (fix them, or use --skip-invalid)"
		them := "them"
		if p.invalid == 1 {
			them = "it"
		}
		r.stopped = fmt.Sprintf("%s: nothing was created; fix %s, or use --skip-invalid to import the valid rows", plural(p.invalid, "invalid row", "invalid rows"), them)
		return nil
	}
	settled, err := r.reconcile(ctx, p.inFlight)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("import interrupted; run the same command again to continue: %w", ctx.Err())
	}
	return r.create(ctx, p.todo-settled)
}

// validate reads the whole input once: counts valid and invalid rows and
// finds what the journal already knows.
func (r *runner) validate(ctx context.Context) (plan, error) {
	var p plan
	err := r.eachRow(func(row *Row, key string) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("import interrupted; run the same command again to continue: %w", err)
		}
		if !row.Valid() {
			p.invalid++
			return nil
		}
		p.valid++
		e, known := r.j.lookup(key)
		if known {
			p.matched++
		}
		switch {
		case row.Prior == Created || row.Prior == Exists:
		case known && e.State == stateDone:
		case known && e.State == stateInFlight:
			p.inFlight = append(p.inFlight, item{key: key, line: row.Line, contact: row.Contact})
			p.todo++
		default:
			p.todo++
		}
		return nil
	})
	return p, err
}

// eachRow calls fn for every data row of a fresh pass with the row's
// content key ("" for invalid rows).
func (r *runner) eachRow(fn func(row *Row, key string) error) error {
	src, err := r.in.Rows()
	if err != nil {
		return fmt.Errorf("read %s: %w", r.in.Name(), err)
	}
	defer src.Close()
	k := newKeyer()
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", r.in.Name(), err)
		}
		key := ""
		if row.Valid() {
			key = k.key(row.Contact)
		}
		if err := fn(row, key); err != nil {
			return err
		}
	}
}

// reconcile settles, before anything else, every row whose create an
// earlier run began without learning the outcome: created with the Id found,
// or cleared to be created. It returns how many it settled without
// clearing them (found, or left in flight because checking failed).
func (r *runner) reconcile(ctx context.Context, rows []item) (settled int, err error) {
	r.awaitLanding(ctx, rows)
	for _, it := range rows {
		if ctx.Err() != nil {
			return settled, nil
		}
		ids, err := findExisting(ctx, r.api, it.contact)
		if err != nil {
			if nexudus.IsUnauthorized(err) {
				return settled, err
			}
			if ctx.Err() != nil {
				return settled, nil
			}
			r.note(it.key, fmt.Sprintf("an earlier create had an unknown outcome and checking failed (%s); run again to check", errText(err)))
			settled++
			continue
		}
		if id, n := pickUnclaimed(r.j, it.key, ids); n > 0 {
			if err := r.j.done(it.key, it.line, Created, id, manyNote(n)); err != nil {
				return settled, err
			}
			settled++
			continue
		}
		r.mu.Lock()
		r.cleared[it.key] = true
		r.mu.Unlock()
	}
	return settled, nil
}

// awaitLanding waits, saying so, until a request an earlier run left in
// flight for rows can no longer land: LandingWait after the latest time
// one was about to be sent. Checking sooner could miss a record that is
// stored a moment later, and create it twice. An interrupt ends the wait.
func (r *runner) awaitLanding(ctx context.Context, rows []item) {
	var last time.Time
	for _, it := range rows {
		if e, ok := r.j.lookup(it.key); ok && e.Since.After(last) {
			last = e.Since
		}
	}
	wait := time.Until(last.Add(r.opt.LandingWait))
	if wait <= 0 {
		return
	}
	wait = min(wait, r.opt.LandingWait) // the clock was set back since
	fmt.Fprintf(r.opt.Progress, "waiting %s before checking %s an earlier run left in flight, so that a request it sent has landed\n",
		roundLeft(wait), plural(len(rows), "row", "rows"))
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// create sends the rows still to do on a pool of Concurrency workers.
func (r *runner) create(ctx context.Context, total int) error {
	prog := startProgress(r.opt.Progress, r.opt.Terminal, total, r.opt.Rate, r.opt.logEvery)
	defer prog.finish()

	g, gctx := errgroup.WithContext(ctx)
	feedCtx, stopFeeding := context.WithCancel(gctx)
	defer stopFeeding()
	feed := make(chan item)
	g.Go(func() error {
		defer close(feed)
		err := r.eachRow(func(row *Row, key string) error {
			if !r.wanted(row, key) {
				return nil
			}
			select {
			case feed <- item{key: key, line: row.Line, contact: row.Contact}:
				return nil
			case <-feedCtx.Done():
				return errStopFeeding
			}
		})
		if errors.Is(err, errStopFeeding) {
			return nil
		}
		return err
	})
	for range r.opt.Concurrency {
		g.Go(func() error {
			for it := range feed {
				if feedCtx.Err() != nil {
					continue // stopping: the row stays pending
				}
				// A budget stop ends the feeding only: rows already begun
				// hold their share of the budget and go on.
				if err := r.importRow(gctx, it, stopFeeding); err != nil {
					return err
				}
				prog.add()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("import interrupted; run the same command again to continue: %w", ctx.Err())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.budget != nil {
		return r.budget
	}
	return nil
}

// errStopFeeding ends the feeding pass early; it is never returned by Run.
var errStopFeeding = errors.New("stop feeding")

// wanted reports whether a row of the create pass is to be sent.
func (r *runner) wanted(row *Row, key string) bool {
	if !row.Valid() || row.Prior == Created || row.Prior == Exists {
		return false
	}
	e, ok := r.j.lookup(key)
	if !ok {
		return true
	}
	switch e.State {
	case stateDone:
		return false
	case stateInFlight:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.cleared[key]
	}
	return true
}

// importRow creates one row (after checking the space with SkipExisting).
// stop ends with the run (interrupt, a failure of another row): a row whose request
// has not been written yet stops then; one already sent finishes unless
// Abandon ends too. It returns an error only when the whole run must stop.
func (r *runner) importRow(stop context.Context, it item, stopFeeding func()) error {
	if r.opt.SkipExisting {
		ctx, cancel := context.WithCancel(r.opt.Abandon)
		release := context.AfterFunc(stop, cancel)
		ids, err := findExisting(ctx, r.api, it.contact)
		release()
		cancel()
		if err != nil {
			if nexudus.IsUnauthorized(err) {
				return err
			}
			if ctx.Err() == nil {
				r.note(it.key, fmt.Sprintf("not sent: checking whether it exists failed (%s)", errText(err)))
			}
			return nil
		}
		if id, n := pickUnclaimed(r.j, it.key, ids); n > 0 {
			return r.j.done(it.key, it.line, Exists, id, manyNote(n))
		}
	}
	if stop.Err() != nil {
		return nil
	}
	if err := r.j.begin(it.key, it.line); err != nil {
		return err
	}
	ctx, release := sendContext(stop, r.opt.Abandon)
	defer release()
	for attempt := 1; ; attempt++ {
		sctx, stamped := r.stampSends(ctx, it)
		id, err := r.api.Create(sctx, it.contact)
		if serr := stamped(); serr != nil {
			return serr
		}
		var be *nexudus.BudgetError
		switch {
		case err == nil:
			return r.j.done(it.key, it.line, Created, id, "")
		case errors.Is(err, nexudus.ErrAmbiguous):
			found, settled, err := r.settle(ctx, it, err, attempt)
			if err != nil || settled || found {
				return err
			}
			// Checked: the create did not store it. Send it again.
		case errors.As(err, &be):
			r.mu.Lock()
			if r.budget == nil {
				r.budget = be
				r.stopped = be.Error()
			}
			r.mu.Unlock()
			stopFeeding()
			return r.j.unsent(it.key, it.line)
		case nexudus.IsUnauthorized(err):
			if jerr := r.j.unsent(it.key, it.line); jerr != nil {
				return jerr
			}
			return err
		case ctx.Err() != nil:
			// Stopped before anything was written (the client reports a
			// create cut short after sending as ErrAmbiguous).
			return r.j.unsent(it.key, it.line)
		default:
			return r.j.failed(it.key, it.line, errText(err))
		}
	}
}

// stampSends returns ctx with a trace that journals the row's begin again,
// with the time, just before each attempt of the create gets a connection
// (pacing and throttle waits can hold a create long after its first begin),
// and a function that ends the context and returns the first journal error.
// A journal error cancels the attempt's context so that it is not sent.
func (r *runner) stampSends(ctx context.Context, it item) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(ctx)
	var mu sync.Mutex
	var first error
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) {
			if err := r.j.begin(it.key, it.line); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel(err)
			}
		},
	})
	return ctx, func() error {
		cancel(nil)
		mu.Lock()
		defer mu.Unlock()
		return first
	}
}

// sendContext returns the context of one row's create requests: it ends
// with abandon, and with stop too until the first request's headers have
// been written, so an interrupt stops rows still waiting on the pacing
// while requests already sent finish.
func sendContext(stop, abandon context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(abandon)
	var mu sync.Mutex
	sent := false
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() {
			mu.Lock()
			sent = true
			mu.Unlock()
		},
	})
	unregister := context.AfterFunc(stop, func() {
		mu.Lock()
		defer mu.Unlock()
		if !sent {
			cancel()
		}
	})
	return ctx, func() {
		unregister()
		cancel()
	}
}

// settle checks whether a create of unknown outcome stored the row, once
// the request can no longer land (LandingWait after it was sent, as for a
// killed run's). found: it did and is journaled; settled: the row stays in
// flight (pending) for a later run; neither: send it again.
func (r *runner) settle(ctx context.Context, it item, cause error, attempt int) (found, settled bool, err error) {
	if attempt >= maxAmbiguous {
		r.note(it.key, fmt.Sprintf("outcome unknown after %d attempts (%s); run again to check", attempt, errText(cause)))
		return false, true, nil
	}
	wait := r.opt.LandingWait
	if e, ok := r.j.lookup(it.key); ok && !e.Since.IsZero() {
		wait = min(max(time.Until(e.Since.Add(r.opt.LandingWait)), 0), r.opt.LandingWait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		r.note(it.key, "abandoned in flight; run again to check whether it was created")
		return false, true, nil
	}
	ids, err := findExisting(ctx, r.api, it.contact)
	if err != nil {
		if nexudus.IsUnauthorized(err) {
			return false, true, err
		}
		r.note(it.key, fmt.Sprintf("outcome unknown (%s) and checking failed (%s); run again to check", errText(cause), errText(err)))
		return false, true, nil
	}
	if id, n := pickUnclaimed(r.j, it.key, ids); n > 0 {
		return true, false, r.j.done(it.key, it.line, Created, id, manyNote(n))
	}
	return false, false, nil
}

func (r *runner) note(key, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes[key] = msg
}

// writeResults writes the results file from a final pass over the input
// joined with the journal, and counts the summary from it.
func (r *runner) writeResults(sum *Summary) error {
	src, err := r.in.Rows()
	if err != nil {
		return fmt.Errorf("read %s: %w", r.in.Name(), err)
	}
	w, err := CreateResults(r.opt.Results, src.Columns())
	if err != nil {
		src.Close()
		return err
	}
	src.Close()
	err = r.eachRow(func(row *Row, key string) error {
		status, id, msg := r.outcome(row, key, sum)
		return w.Write(row.Line, status, id, msg, row.Cells)
	})
	if err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// outcome says what happened to one row, and counts it in sum.
func (r *runner) outcome(row *Row, key string, sum *Summary) (Status, int64, string) {
	sum.Rows++
	if !row.Valid() {
		sum.Invalid++
		msgs := make([]string, len(row.Problems))
		for i, p := range row.Problems {
			msgs[i] = p.String()
		}
		return Invalid, 0, strings.Join(msgs, "; ")
	}
	if row.Prior == Created || row.Prior == Exists {
		sum.Skipped++
		return row.Prior, row.PriorID, ""
	}
	e, _ := r.j.lookup(key)
	r.mu.Lock()
	note := r.notes[key]
	r.mu.Unlock()
	switch e.State {
	case stateDone:
		switch {
		case !e.fresh:
			sum.Skipped++
		case e.Status == Exists:
			sum.Exists++
		default:
			sum.Created++
		}
		return e.Status, e.ID, e.Msg
	case stateFailed:
		sum.Failed++
		return Failed, 0, e.Msg
	case stateInFlight:
		if note == "" {
			note = "an earlier create had an unknown outcome; run again to check whether it was created"
		}
	}
	if note == "" {
		note = r.blocked
	}
	sum.Pending++
	return Pending, 0, note
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

// manyNote explains a match among several identical contacts.
func manyNote(n int) string {
	if n > 1 {
		return fmt.Sprintf("%d identical contacts exist; this is the newest", n)
	}
	return ""
}
