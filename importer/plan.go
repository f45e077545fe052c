package importer

import (
	"context"
	"fmt"
	"math"
	"slices"

	"contactbulk/mapping"
)

// classify decides what the space holds for every row (see class), reading
// in full the records whose unlisted fields a row gives, and sets the
// status of the rows that need no write. Rows naming their record (an Id
// column) are matched first: an Id is stronger than a name.
func (r *runner) classify(ctx context.Context, sp *space) error {
	ordered := slices.Clone(r.items)
	slices.SortStableFunc(ordered, func(a, b *item) int {
		return boolRank(a.recordID == 0) - boolRank(b.recordID == 0)
	})
	claims := make(map[int64]*item)
	for _, it := range ordered {
		r.match(it, sp, claims)
	}
	var need []int64
	for _, it := range r.items {
		if len(it.cands) == 1 && it.class != classAmbiguous && unlisted(&it.given) && !sp.full[it.cands[0]] {
			need = append(need, it.cands[0])
		}
	}
	if err := (reader{r.api}).readFull(ctx, sp, need); err != nil {
		return err
	}
	for _, it := range r.items {
		if err := r.decide(it, sp); err != nil {
			return err
		}
	}
	return nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// match finds the records a row may be: its Id column's record; else the
// record this import created for it (the journal) or that a fed-back
// results file names, when that record still has the row's identity or
// this import created it; else every record with the row's identity. A
// record already claimed by another row is not this row's.
func (r *runner) match(it *item, sp *space, claims map[int64]*item) {
	var cands []int64
	switch {
	case it.recordID != 0:
		if sp.byID[it.recordID] == nil {
			it.class = classMissing
			return
		}
		cands = []int64{it.recordID}
	default:
		cands = sp.candidates(it.key)
		if len(cands) == 0 && it.contact.CoworkerID != nil {
			cands = unlinkedByName(it, sp)
		}
		if id := r.hinted(it, sp, cands); id != 0 {
			cands = []int64{id}
		}
	}
	if w, ok := r.j.createInFlight(it.key); ok && w.Above >= 0 && it.recordID == 0 {
		// An earlier run's create of unknown outcome: a record it made
		// is newer than what that run had read. When one is there, it is
		// the row's (the oldest; any other is a duplicate the verification
		// reports); else the older records are what they were.
		var newer, older []int64
		for _, id := range cands {
			if id > w.Above {
				newer = append(newer, id)
			} else {
				older = append(older, id)
			}
		}
		if len(newer) > 0 {
			cands = newer[:1]
		} else {
			cands = older
		}
	}
	var free []int64
	var other *item
	for _, id := range cands {
		if c := claims[id]; c != nil && c != it {
			other = c
			continue
		}
		free = append(free, id)
	}
	switch {
	case len(free) == 0 && other != nil:
		it.class, it.cands = classAmbiguous, cands
		it.msg = fmt.Sprintf("record %d is also row %d: the sheet holds this contact twice", cands[0], other.line)
	case len(free) == 0:
		it.class = classNew
	case len(free) == 1:
		it.cands = free
		claims[free[0]] = it
	default:
		it.class, it.cands = classAmbiguous, free
		it.msg = fmt.Sprintf("%d records could be this row (Ids %s): make the sheet say which with an Id column, or remove the extra records", len(free), idList(free))
	}
}

// unlinkedByName returns the records that are a linked row's contact by
// name but not linked to any coworker: the same person entered before
// they were linked (the row then differs on CoworkerId).
func unlinkedByName(it *item, sp *space) []int64 {
	id := mapping.IdentityOf(it.contact)
	id.Coworker, id.Name = 0, mapping.NameKey(it.contact.FullName)
	var out []int64
	for _, c := range sp.candidates(id.Key()) {
		if rec := sp.byID[c]; rec.CoworkerID == nil || *rec.CoworkerID == 0 {
			out = append(out, c)
		}
	}
	return out
}

// hinted returns the record the journal or a fed-back results file says
// the row is, when the space still holds it on the row's contract: when it
// is one of the row's candidates, or when it has the row's type and, as a
// person would judge, is the row's contact with its name corrected in the
// sheet (a name near the row's, or the row's email). The row then differs
// on FullName instead of being a new contact; a record of another space
// that happens to have the hinted Id is not near enough to be taken.
func (r *runner) hinted(it *item, sp *space, cands []int64) int64 {
	for _, id := range []int64{r.j.createdFor(it.key), it.hint} {
		rec := sp.byID[id]
		if id == 0 || rec == nil || rec.CoworkerContractID != it.contact.CoworkerContractID {
			continue
		}
		if slices.Contains(cands, id) {
			return id
		}
		if rec.ContractContactType != it.contact.ContractContactType || it.contact.CoworkerID != nil {
			continue
		}
		sameEmail := it.contact.Email != "" && mapping.EmailKey(str(rec.Email)) == mapping.EmailKey(it.contact.Email)
		if sameEmail || mapping.NearName(rec.FullName, it.contact.FullName) {
			return id
		}
	}
	return 0
}

// decide compares a matched row with its record and sets what the run
// does with it.
func (r *runner) decide(it *item, sp *space) error {
	switch it.class {
	case classMissing:
		it.status, it.id = Failed, it.recordID
		it.msg = fmt.Sprintf("record %d is not in the space (deleted?); clear the row's Id cell to create it as a new record, or use --ignore-ids for a file exported from another space", it.recordID)
		return nil
	case classAmbiguous:
		it.status = Ambiguous
		return nil
	}
	if len(it.cands) == 0 {
		it.class = classNew
		w, inFlight := r.j.createInFlight(it.key)
		switch {
		case !inFlight:
		case r.opt.now().Sub(w.Since) >= r.opt.Settle:
			// Read long enough after the earlier run's create: it did not
			// store the row. Send it again.
		default:
			// Not found yet, and the server may still store it: settle it
			// with the run's own unknown outcomes, before any re-send.
			it.status, it.msg = Pending, "an earlier run's create of this row had an unknown outcome; the import looks for it again before sending anything"
			if !r.opt.Plan {
				r.addUnknown(unknownWrite{it: it, create: true, sent: w.Since, cause: "an earlier run was stopped while creating it"})
			}
		}
		if it.status == "" && r.opt.Plan {
			it.status = New
		}
		return nil
	}
	id := it.cands[0]
	rec := sp.byID[id]
	it.id = id
	settled := false
	if w, ok := r.j.createInFlight(it.key); ok && !r.opt.Plan && id > w.Above {
		// The earlier run's create landed: record it as done, and count
		// it as created now, when its outcome became known.
		if err := r.j.done(it.key, w.Row, id, fingerprint(it.contact)); err != nil {
			return err
		}
		settled = true
	}
	it.diffs = differences(it.contact, &it.given, rec, sp.full[id])
	if len(it.diffs) > 0 {
		it.class = classDiffers
		it.status, it.msg = Differs, diffText(it.diffs)
		if r.opt.Update {
			it.msg += "; --update replaces them"
			if !r.opt.Plan {
				it.status = "" // to update
			}
		} else {
			it.msg += "; run with --update to apply the sheet's values"
		}
		return nil
	}
	it.class = classExists
	it.already = !settled
	_, ours := r.j.createdBy(id)
	if w, ok := r.j.updateInFlight(it.key); ok && w.ID == id && !r.opt.Plan {
		// An earlier run's update of unknown outcome landed.
		if err := r.j.updated(it.key, it.line, id, true, fingerprint(contactOf(rec))); err != nil {
			return err
		}
		it.status, it.already = Updated, false
		return nil
	}
	// Created and updated only as this import's journal says: a status
	// in a fed-back results file is a hint, never proof (undo deletes
	// what this journal says it created).
	switch {
	case ours:
		it.status = Created
	case r.j.wasUpdated(id):
		it.status = Updated
	default:
		it.status, it.already = Exists, false
	}
	return nil
}

// Estimate is what the writes of a plan will take under the limits.
type Estimate struct {
	Creates int `json:"creates"` // rows to create
	Updates int `json:"updates"` // rows to update (with --update)
	// Seconds is the time the writes take at the write rate, when they fit
	// in the daily budget left; 0 when they do not or the rate is unknown.
	Seconds float64 `json:"seconds"`
	// Days is how many days the writes span under the daily budget: 1
	// when they fit in what is left today.
	Days int `json:"days"`
	text string
}

// String describes the estimate for people.
func (e *Estimate) String() string { return e.text }

// estimateWrites works out how long the plan's writes take.
func (r *runner) estimateWrites() *Estimate {
	e := &Estimate{Days: 1}
	for _, it := range r.items {
		switch {
		case it.class == classNew && it.status != Pending:
			e.Creates++
		case it.class == classDiffers && r.opt.Update:
			e.Updates++
		}
	}
	writes := e.Creates + e.Updates
	p := r.opt.Pacing
	what := plural(writes, "write", "writes")
	if writes == 0 {
		e.text = "nothing to write"
		return e
	}
	left := p.DailyWrites - p.WritesUsed
	if p.DailyWrites > 0 && writes > left {
		e.Days = 1 + int(math.Ceil(float64(writes-max(left, 0))/float64(p.DailyWrites)))
		e.text = fmt.Sprintf("%s: about %d days within the daily budget of %d writes (%d left today); run the same command each day, it continues where it stopped",
			what, e.Days, p.DailyWrites, max(left, 0))
		return e
	}
	if d := p.duration(writes); d > 0 {
		e.Seconds = d.Seconds()
		e.text = fmt.Sprintf("%s: about %s under the write limits", what, roundLeft(d))
		return e
	}
	e.text = what
	return e
}

// identityOf is the identity of a row, for messages.
func identityOf(it *item) mapping.Identity { return mapping.IdentityOf(it.contact) }
