package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"contactbulk/nexudus"
)

// unknownWrite is a write whose outcome is unknown: it may have been
// stored. It is settled by reading the space, never by sending it again
// blindly.
type unknownWrite struct {
	it      *item
	create  bool      // a create; else an update of it.id
	sent    time.Time // when it was last about to be sent
	checked bool      // a read at least LandingWait after sent did not find it
	cause   string    // why the outcome is unknown
}

func (r *runner) addUnknown(u unknownWrite) {
	r.mu.Lock()
	r.unknown = append(r.unknown, u)
	r.mu.Unlock()
}

// todo returns the rows the write pass sends: new rows, and rows that
// differ when updating.
func (r *runner) todo() []*item {
	var out []*item
	for _, it := range r.items {
		if it.status != "" {
			continue
		}
		if it.class == classNew || it.class == classDiffers && r.opt.Update {
			out = append(out, it)
		}
	}
	return out
}

// write sends the rows to create or update on a pool of Concurrency
// workers. A stop (budget, throttling for good, unreachable) ends the
// feeding; rows already begun finish. It returns an error only when the
// whole run must end: refused credentials or role, the journal not
// writable, an interrupt.
func (r *runner) write(ctx context.Context) error {
	rows := r.todo()
	prog := startProgress(r.opt.Progress, r.opt.Terminal, len(rows), r.opt.Pacing.WritesPerSecond, r.opt.logEvery)
	defer prog.finish()
	err := eachOnPool(ctx, r.opt.Concurrency, rows, func() bool { return r.stopping() != "" },
		func(ctx context.Context, it *item) error {
			if it.class == classNew {
				return r.create(ctx, it)
			}
			return r.update(ctx, it)
		}, prog.add)
	if err == nil && ctx.Err() != nil {
		err = interruptedErr(ctx)
	}
	if err != nil {
		// No settling now: the writes of unknown outcome are left for the
		// next run, which checks them before anything else.
		r.mu.Lock()
		unknown := r.unknown
		r.unknown = nil
		r.mu.Unlock()
		r.leave(unknown, "")
	}
	return err
}

// create sends one row's create, journaled: begin before, done after.
// stop ends with the run (interrupt, a failure of another row): a create
// whose request has not been written yet stops then; one already sent
// finishes unless Abandon ends too.
func (r *runner) create(stop context.Context, it *item) error {
	ctx, release := sendContext(stop, r.opt.Abandon)
	defer release()
	sctx, stamped := r.stampSends(ctx, it)
	r.sending(1)
	id, err := r.api.Create(sctx, it.contact)
	r.sending(-1)
	if serr := stamped(); serr != nil {
		return serr
	}
	if err == nil {
		it.status, it.id, it.msg = Created, id, ""
		return r.j.done(it.key, it.line, id, fingerprint(it.contact))
	}
	if errors.Is(err, nexudus.ErrAmbiguous) {
		r.addUnknown(unknownWrite{it: it, create: true, sent: r.opt.now(), cause: unknownCause(err)})
		it.status, it.msg = Pending, "outcome unknown ("+unknownCause(err)+"); checking"
		return nil
	}
	if jerr := r.j.unsent(it.key, it.line); jerr != nil {
		return jerr
	}
	return r.refused(ctx, it, err)
}

// refused sets the outcome of a write the server refused or that was never
// sent, and returns the error that must end the run, if any. What would
// refuse every row alike (the budget spent, a lasting throttle, refused
// credentials or role, an unreachable server) leaves the row pending,
// never failed.
func (r *runner) refused(ctx context.Context, it *item, err error) error {
	if reason, ok := stopReason(err); ok {
		r.stop(err, reason)
		it.status, it.msg = Pending, "not sent: "+reason
		return nil
	}
	switch {
	case nexudus.StopsRun(err):
		r.stop(err, errText(err))
		it.status, it.msg = Pending, "not sent: "+errText(err)
		return err
	case ctx.Err() != nil:
		// Stopped before anything was written (the client reports a
		// write cut short after sending as ErrAmbiguous).
		it.status, it.msg = Pending, "not sent: the run was interrupted; run the same command again"
		return nil
	}
	it.status, it.msg = Failed, errText(err)
	return nil
}

// stopReason reports whether err stops the run's writing for a while (the
// daily budget spent, the server throttling for long), leaving the rows
// pending for a later run, and says why.
func stopReason(err error) (string, bool) {
	var (
		be *nexudus.BudgetError
		te *nexudus.ThrottledError
	)
	switch {
	case errors.As(err, &be):
		return be.Error(), true
	case errors.As(err, &te):
		return te.Error(), true
	}
	return "", false
}

// update replaces the row's record with the sheet's values: the record is
// read whole first (never a listing's partial record), only the fields the
// row gives are changed, and the whole record is sent, journaled.
func (r *runner) update(stop context.Context, it *item) error {
	id := it.cands[0]
	it.id = id
	rec, err := r.api.GetOne(stop, id)
	switch {
	case nexudus.IsNotFound(err):
		it.status, it.msg = Failed, fmt.Sprintf("record %d was deleted since the space was read", id)
		return nil
	case err != nil:
		return r.refused(stop, it, err)
	}
	if it.diffs = differences(it.contact, &it.given, &rec, true); len(it.diffs) == 0 {
		it.status, it.msg = Exists, ""
		return nil
	}
	body := merged(contactOf(&rec), it.contact, &it.given)
	if err := r.j.beginUpdate(it.key, it.line, id); err != nil {
		return err
	}
	ctx, release := sendContext(stop, r.opt.Abandon)
	defer release()
	r.sending(1)
	err = r.api.Update(ctx, id, body)
	r.sending(-1)
	switch {
	case err == nil:
		it.status, it.msg = Updated, "updated: "+fieldNames(it.diffs)
		return r.j.updated(it.key, it.line, id, true, fingerprint(body))
	case errors.Is(err, nexudus.ErrAmbiguous):
		r.addUnknown(unknownWrite{it: it, sent: r.opt.now(), cause: unknownCause(err)})
		it.status, it.msg = Pending, "outcome unknown ("+unknownCause(err)+"); checking"
		return nil
	case nexudus.IsNotFound(err):
		if jerr := r.j.updated(it.key, it.line, id, false, ""); jerr != nil {
			return jerr
		}
		it.status, it.msg = Failed, fmt.Sprintf("record %d was deleted since the space was read", id)
		return nil
	}
	if jerr := r.j.updated(it.key, it.line, id, false, ""); jerr != nil {
		return jerr
	}
	return r.refused(ctx, it, err)
}

// unknownCause is why a write's outcome is unknown, without the words
// the client's ErrAmbiguous adds ("no answer within the request timeout").
func unknownCause(err error) string {
	text := errText(err)
	if _, after, ok := strings.Cut(text, nexudus.ErrAmbiguous.Error()+": "); ok {
		return after
	}
	return text
}

// fieldNames lists the fields of ds: "Email, PhoneNumber".
func fieldNames(ds []diff) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += ", "
		}
		s += d.field
	}
	return s
}

// sending counts requests in flight, for the interrupt note.
func (r *runner) sending(n int) {
	r.mu.Lock()
	r.inFlight += n
	r.mu.Unlock()
}

// stampSends returns ctx with a trace that journals the row's begin, with
// the time, just before each attempt of the create gets a connection: a
// create held by pacing or throttle waits and then stopped was never sent
// and leaves no begin, and the last begin tells from when a request may
// still land. It also returns a function that ends the context and returns
// the first journal error. A journal error cancels the attempt's context
// so that it is not sent.
func (r *runner) stampSends(ctx context.Context, it *item) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(ctx)
	var mu sync.Mutex
	var first error
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) {
			if err := r.j.begin(it.key, it.line, r.base.maxID); err != nil {
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

// sendContext returns the context of one row's write requests: it ends
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
