package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"contactbulk/nexudus"
)

// Verification is what reading the space again after the writes found: a
// done row should map to exactly one record.
type Verification struct {
	Rows       int      `json:"rows"`       // rows checked: created, updated or existing
	Records    int      `json:"records"`    // records found for them
	Duplicates int      `json:"duplicates"` // extra records of one row's contact (see Problems)
	Missing    int      `json:"missing"`    // rows whose record is gone
	Repaired   int      `json:"repaired"`   // duplicates deleted by --repair
	Problems   []string `json:"problems,omitempty"`
}

// Unresolved counts what the verification found and left: duplicates not
// repaired, and missing records.
func (v *Verification) Unresolved() int {
	if v == nil {
		return 0
	}
	return v.Duplicates - v.Repaired + v.Missing
}

// String is the summary line: "verified: 300 rows, 300 records, 0 duplicates".
func (v *Verification) String() string {
	s := fmt.Sprintf("verified: %s, %s, %s", plural(v.Rows, "row", "rows"), plural(v.Records, "record", "records"), plural(v.Duplicates, "duplicate", "duplicates"))
	if v.Repaired > 0 {
		s += fmt.Sprintf(" (%d deleted by --repair)", v.Repaired)
	}
	if v.Missing > 0 {
		s += fmt.Sprintf(", %d missing", v.Missing)
	}
	return s
}

// maxProblems bounds the problems a verification lists.
const maxProblems = 20

// verify reads the contracts the run touched again and checks that every
// done row maps to exactly one record. A second record of a row's contact
// that this import made (newer than the first read, or journaled as
// created) is a duplicate; --repair deletes the later one.
func (r *runner) verify(ctx context.Context) error {
	var done []*item
	var contracts, ids []int64
	for _, it := range r.items {
		switch it.status {
		case Created, Updated, Exists:
			if it.id != 0 {
				done = append(done, it)
				contracts = append(contracts, it.contact.CoworkerContractID)
				ids = append(ids, it.id)
			}
		}
	}
	if len(done) == 0 {
		return nil
	}
	for _, id := range ids {
		if rec := r.base.byID[id]; rec != nil {
			contracts = append(contracts, rec.CoworkerContractID)
		}
	}
	sp, err := reader{r.api}.read(ctx, contractsOf(contracts), ids)
	if err != nil {
		return r.fail(ctx, fmt.Errorf("verify: %w", err))
	}
	v := &Verification{}
	r.verified = v
	owner := make(map[int64]*item, len(done))
	for _, it := range done {
		owner[it.id] = it
	}
	for _, it := range done {
		v.Rows++
		rec := sp.byID[it.id]
		if rec == nil {
			v.Missing++
			v.problem(fmt.Sprintf("row %d: record %d is no longer in the space", it.line, it.id))
			continue
		}
		v.Records++
		var extra []int64
		byName, byCoworker := recordKeys(rec)
		for _, k := range []string{byName, byCoworker} {
			for _, id := range sp.candidates(k) {
				if id != it.id && owner[id] == nil && !slices.Contains(extra, id) {
					extra = append(extra, id)
				}
			}
		}
		if len(extra) == 0 {
			continue
		}
		slices.Sort(extra)
		v.Records += len(extra)
		v.Duplicates += len(extra)
		if err := r.duplicates(ctx, v, it, extra); err != nil {
			return err
		}
	}
	return nil
}

// madeHere reports whether this import made record id for row it:
// journaled as created; newer than what the run that first sent the row's
// create had read (a create sent again, whose first send landed too,
// then or in a later run); or, for a row this run created, newer than the
// space as first read.
func (r *runner) madeHere(it *item, id int64) bool {
	if _, ours := r.j.createdBy(id); ours {
		return true
	}
	if above, known := r.j.madeAbove(it.key); known && id > above {
		return true
	}
	return it.status == Created && !it.already && id > r.base.maxID
}

// duplicates reports the extra records of row it and, with --repair,
// deletes those this import made, keeping the oldest record as the row's.
func (r *runner) duplicates(ctx context.Context, v *Verification, it *item, extra []int64) error {
	all := append([]int64{it.id}, extra...)
	slices.Sort(all)
	var made []int64
	for _, id := range all {
		if r.madeHere(it, id) {
			made = append(made, id)
		}
	}
	// Keep the oldest record: the one made first, or the one that was
	// there before the run.
	keep := all[0]
	var later []int64
	for _, id := range all[1:] {
		if slices.Contains(made, id) {
			later = append(later, id)
			if _, ours := r.j.createdBy(id); !ours {
				// Known from now on as this import's: undo and a later
				// --repair take it too.
				if err := r.j.stray(it.key, it.line, id); err != nil {
					return err
				}
			}
		}
	}
	what := fmt.Sprintf("row %d: records %s are one contact (%s)", it.line, idList(all), identityOf(it))
	if len(later) < len(all)-1 {
		v.problem(what + "; some were not made by this import: check them in Nexudus")
	}
	if len(later) == 0 {
		return nil
	}
	if !r.opt.Repair {
		v.problem(fmt.Sprintf("%s; %s made by this import: --repair deletes %s", what, idList(later), pronoun(len(later))))
		return nil
	}
	for _, id := range later {
		gone, refusal, err := r.deleteRecord(ctx, it.key, it.line, id)
		if err != nil {
			return err
		}
		if gone {
			v.Repaired++
		} else if refusal != "" {
			v.problem(fmt.Sprintf("row %d: deleting record %d failed: %s", it.line, id, refusal))
		}
	}
	if it.id != keep {
		it.id = keep
	}
	v.problem(fmt.Sprintf("%s; deleted %s, kept %d", what, idList(later), keep))
	return nil
}

func (v *Verification) problem(s string) {
	if len(v.Problems) < maxProblems {
		v.Problems = append(v.Problems, s)
	}
}

// maxDeleteAttempts bounds the re-sends of a delete of unknown outcome.
const maxDeleteAttempts = 5

// deleteRecord deletes record id (row key's), journaled; see
// deleteJournaled.
func (r *runner) deleteRecord(ctx context.Context, key string, row int, id int64) (gone bool, refusal string, err error) {
	return deleteJournaled(ctx, r.api, r.j, r.opt.Abandon, key, row, id, r.stop)
}

// deleteJournaled deletes record id (row key's), journaled. A delete is
// safe to send again, so one of unknown outcome is read back: gone is
// done, still there is sent again. It reports whether the record is gone,
// or the server's refusal; stop is told of a stop that leaves the record
// (the daily budget spent), and the error is one that ends the run.
func deleteJournaled(ctx context.Context, api API, j *journal, abandon context.Context, key string, row int, id int64, stop func(error, string)) (gone bool, refusal string, err error) {
	if err := j.beginDelete(key, row, id); err != nil {
		return false, "", err
	}
	for attempt := 1; ; attempt++ {
		sctx, release := sendContext(ctx, abandon)
		err := api.Delete(sctx, id)
		release()
		switch {
		case err == nil, nexudus.IsNotFound(err):
			return true, "", j.deletedRecord(key, row, id, true)
		case errors.Is(err, nexudus.ErrAmbiguous):
			if attempt >= maxDeleteAttempts {
				return false, "", nil // still in flight: the next run reads it back
			}
			if _, gerr := api.GetOne(ctx, id); nexudus.IsNotFound(gerr) {
				return true, "", j.deletedRecord(key, row, id, true)
			}
			if err := sleepCtx(ctx, time.Duration(attempt)*time.Second); err != nil {
				return false, "", nil
			}
			continue
		}
		if jerr := j.deletedRecord(key, row, id, false); jerr != nil {
			return false, "", jerr
		}
		if reason, ok := stopReason(err); ok {
			stop(err, reason)
			return false, "", nil
		}
		if nexudus.StopsRun(err) {
			return false, "", err
		}
		if ctx.Err() != nil {
			return false, "", nil
		}
		return false, strings.TrimSpace(errText(err)), nil
	}
}
