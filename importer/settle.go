package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"contactbulk/nexudus"
)

// settle resolves the writes whose outcome is unknown, by reading the
// space. A create is looked for once the server has had LandingWait to
// store it; one not found is looked for again, and sent again only when a
// read Settle after it was sent still does not find it, because nothing
// says how late a server may store a request its client gave up on.
// Re-sends may be unknown again; the run goes on settling until every
// write is resolved or SettleFor has passed, and leaves the rest pending
// for the next run, which checks them before anything else.
func (r *runner) settle(ctx context.Context) error {
	deadline := r.opt.now().Add(r.opt.SettleFor)
	for {
		r.mu.Lock()
		pending := r.unknown
		r.unknown = nil
		r.mu.Unlock()
		if len(pending) == 0 {
			return nil
		}
		if ctx.Err() != nil || r.stopping() != "" {
			r.leave(pending, "")
			if ctx.Err() != nil {
				return interruptedErr(ctx)
			}
			return nil
		}
		next := pending[0].due(r.opt)
		for _, u := range pending[1:] {
			if d := u.due(r.opt); d.Before(next) {
				next = d
			}
		}
		if next.After(deadline) {
			r.leave(pending, fmt.Sprintf("still not found %s after it was sent", roundLeft(r.opt.SettleFor)))
			return nil
		}
		if wait := next.Sub(r.opt.now()); wait > 0 {
			fmt.Fprintf(r.opt.Progress, "checking %s of unknown outcome in %s (the server may still be storing %s)\n",
				plural(len(pending), "write", "writes"), roundLeft(wait), pronoun(len(pending)))
			if err := sleepCtx(ctx, wait); err != nil {
				r.leave(pending, "")
				return interruptedErr(ctx)
			}
		}
		now := r.opt.now()
		var due, later []unknownWrite
		for _, u := range pending {
			if u.due(r.opt).After(now) {
				later = append(later, u)
			} else {
				due = append(due, u)
			}
		}
		r.mu.Lock()
		r.unknown = append(r.unknown, later...)
		r.mu.Unlock()
		if err := r.check(ctx, due); err != nil {
			return err
		}
	}
}

// due is when u can next be acted on: looked for at LandingWait after it
// was sent, and, not found then, again at Settle, when it may be re-sent.
func (u unknownWrite) due(opt Options) time.Time {
	if !u.checked {
		return u.sent.Add(opt.LandingWait)
	}
	return u.sent.Add(opt.Settle)
}

// leave keeps writes of unknown outcome pending for the next run.
func (r *runner) leave(pending []unknownWrite, why string) {
	for _, u := range pending {
		u.it.status = Pending
		u.it.msg = "outcome unknown (" + u.cause + ")"
		if why != "" {
			u.it.msg += "; " + why
		}
		u.it.msg += "; run the same command again: it checks the space before sending anything"
	}
}

// check reads the space for the due writes and settles each: found, done;
// not found at Settle, sent again; else looked for again later.
func (r *runner) check(ctx context.Context, due []unknownWrite) error {
	var contracts []int64
	for _, u := range due {
		contracts = append(contracts, u.it.contact.CoworkerContractID)
	}
	sp, err := reader{r.api}.read(ctx, contractsOf(contracts), nil)
	if err != nil {
		if ctx.Err() != nil {
			r.leave(due, "")
			return interruptedErr(ctx)
		}
		if nexudus.IsUnauthorized(err) {
			r.leave(due, "")
			return err
		}
		// Checking failed: nothing may be sent again. Try later.
		for i := range due {
			due[i].cause = errText(err)
		}
		r.mu.Lock()
		r.unknown = append(r.unknown, due...)
		r.mu.Unlock()
		return sleepCtx(ctx, min(r.opt.LandingWait, 5*time.Second))
	}
	now := r.opt.now()
	for _, u := range due {
		it := u.it
		if u.create {
			if id := r.found(it, sp); id != 0 {
				it.status, it.id, it.msg = Created, id, ""
				if err := r.j.done(it.key, it.line, id, fingerprint(it.contact)); err != nil {
					return err
				}
				continue
			}
			if now.Sub(u.sent) < r.opt.Settle {
				u.checked = true
				r.addUnknown(u)
				continue
			}
			if err := r.create(ctx, it); err != nil {
				return err
			}
			continue
		}
		if err := r.checkUpdate(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// found returns the record a create of unknown outcome stored for it: the
// oldest record with the row's identity newer than the space as this run
// first read it (when the row was sent, the space held none that was
// not older).
func (r *runner) found(it *item, sp *space) int64 {
	for _, id := range sp.candidates(it.key) {
		if id <= r.base.maxID {
			continue
		}
		if key, ours := r.j.createdBy(id); ours && key != it.key {
			continue // created for another row
		}
		return id
	}
	return 0
}

// checkUpdate settles an update of unknown outcome: the record read whole
// holds the sheet's values (done), or not yet (sent again once
// LandingWait has passed: an update sends the same whole record, so
// sending it twice changes nothing more).
func (r *runner) checkUpdate(ctx context.Context, u unknownWrite) error {
	it := u.it
	rec, err := r.api.GetOne(ctx, it.id)
	switch {
	case nexudus.IsNotFound(err):
		it.status, it.msg = Failed, fmt.Sprintf("record %d was deleted while it was being updated", it.id)
		return r.j.updated(it.key, it.line, it.id, false, "")
	case err != nil && (ctx.Err() != nil || nexudus.IsUnauthorized(err)):
		r.leave([]unknownWrite{u}, "")
		if ctx.Err() != nil {
			return interruptedErr(ctx)
		}
		return err
	case err != nil:
		u.cause = errText(err)
		r.addUnknown(u)
		return nil
	}
	if len(differences(it.contact, &it.given, &rec, true)) == 0 {
		it.status, it.msg = Updated, "updated: "+fieldNames(it.diffs)
		return r.j.updated(it.key, it.line, it.id, true, fingerprint(contactOf(&rec)))
	}
	err = r.update(ctx, it)
	if errors.Is(err, context.Canceled) {
		return interruptedErr(ctx)
	}
	return err
}
