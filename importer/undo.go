package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// UndoOptions configures Undo.
type UndoOptions struct {
	Target      string          // where the import wrote (a base URL); a journal of another target is refused
	Force       bool            // delete records changed since the import too
	Concurrency int             // workers, default 4
	Abandon     context.Context // cancelled on a second Ctrl-C; nil means never
	Progress    io.Writer       // stderr; nil means none
	Terminal    bool            // Progress is a terminal
	Pacing      Pacing          // the client's write pacing, for the ETA
	// Confirm is asked, with what is about to be deleted, before anything
	// is; it returns false to stop. nil deletes without asking.
	Confirm func(prompt string) (bool, error)

	now func() time.Time
}

// UndoSummary is what Undo did. Its JSON form is documented in README.md.
type UndoSummary struct {
	Records  int           `json:"records"`           // records the import created that are to go
	Deleted  int           `json:"deleted"`           // deleted now
	Gone     int           `json:"gone"`              // already gone (an earlier undo, or deleted in Nexudus)
	Kept     int           `json:"kept"`              // changed since the import and left (--force deletes them)
	NotOurs  int           `json:"not_ours"`          // marked created in the results file, but not by this import's journal: left
	Failed   int           `json:"failed"`            // refused by Nexudus
	Pending  int           `json:"pending"`           // not deleted yet (the run stopped)
	Stopped  string        `json:"stopped,omitempty"` // why the run stopped early
	Results  string        `json:"results"`
	Verified *Verification `json:"verified,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
	Elapsed  time.Duration `json:"-"`
}

// ErrUndoDeclined is returned when the confirmation was declined: nothing
// was deleted.
var ErrUndoDeclined = errors.New("nothing was deleted")

// undoTarget is one record the import created.
type undoTarget struct {
	id      int64
	key     string // the row's journal key; "" when only the results file knows it
	row     int
	rec     *nexudus.Record
	cells   []string // the row's cells in the results file, when only it says the import created the record
	changed string   // why it counts as changed since the import
	status  Status   // outcome: Deleted, or "" while not deleted
	msg     string
}

// Undo deletes exactly the records that the import behind the results file
// created: those its journal records as created (rows that existed or were
// updated are left), or, when the journal is gone, those the results file
// marks created. A record changed since the import is kept unless Force.
// Deletion in Nexudus is permanent: Confirm is asked first. Deletes are
// journaled, paced as writes and within the daily budget, and a killed
// undo resumes. The results file is rewritten with the rows deleted marked
// so, and the contracts touched are read again to verify that the records
// are gone. Errors are as for Run; a declined confirmation is
// ErrUndoDeclined.
func Undo(ctx context.Context, results string, api API, opt UndoOptions) (UndoSummary, error) {
	if opt.now == nil {
		opt.now = time.Now
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Progress == nil {
		opt.Progress = io.Discard
	}
	if opt.Abandon == nil {
		opt.Abandon = context.Background()
	}
	start := opt.now()
	sum := UndoSummary{Results: results}
	recs, shape, err := readResultsFile(ctx, results)
	if err != nil {
		return sum, &inputError{err}
	}
	lines := resultsIDs(recs)
	j, err := openJournal(JournalPath(results), results, opt.Target)
	if err != nil {
		return sum, &inputError{err}
	}
	defer j.close()
	u := &undo{api: api, opt: opt, j: j, sum: &sum}
	// A journal that records no create (none, or only an earlier undo's
	// deletes) cannot say what the import created: the results file does.
	u.targets(lines, recs, len(j.createdIDs()) > 0)
	err = u.run(ctx)
	sum.Elapsed = opt.now().Sub(start)
	if errors.Is(err, ErrUndoDeclined) {
		return sum, err
	}
	if werr := u.rewrite(results, recs, shape); werr != nil && err == nil {
		err = werr
	}
	u.count()
	return sum, err
}

type undo struct {
	api     API
	opt     UndoOptions
	j       *journal
	sum     *UndoSummary
	list    []*undoTarget
	rows    map[int64]int // record Id -> results file row
	notOurs map[int64]bool

	mu      sync.Mutex
	stopErr error
}

// resultsLine is the part of a results file line undo reads.
type resultsLine struct {
	row    int
	status Status
	id     int64
}

// targets works out the records to delete: those the journal says this
// import created; without a journal that records creates, those the
// results file marks created, each to be checked against its row.
func (u *undo) targets(lines []resultsLine, recs [][]string, hadJournal bool) {
	u.rows = make(map[int64]int)
	u.notOurs = make(map[int64]bool)
	marked := make(map[int64]bool)
	for _, l := range lines {
		if l.id != 0 {
			u.rows[l.id] = l.row
		}
		if (l.status == Created || l.status == Deleted) && l.id != 0 {
			marked[l.id] = true
		}
	}
	if !hadJournal {
		u.sum.Notes = append(u.sum.Notes, "no journal beside the results file: deleting the records it marks created, checked against the space")
		for i, l := range lines {
			if marked[l.id] {
				u.list = append(u.list, &undoTarget{id: l.id, row: l.row, cells: recs[i+1][len(resultsColumns):]})
				delete(marked, l.id)
			}
		}
		return
	}
	created := u.j.createdIDs()
	for id := range marked {
		if _, ok := created[id]; !ok {
			u.notOurs[id] = true
		}
	}
	ids := make([]int64, 0, len(created))
	for id := range created {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		u.list = append(u.list, &undoTarget{id: id, key: created[id], row: u.rows[id]})
	}
	if n := len(u.notOurs); n > 0 {
		u.sum.Notes = append(u.sum.Notes, fmt.Sprintf("%s marked created in the results file but not created by this import (its journal says so) %s left alone", plural(n, "record", "records"), isAre(n)))
	}
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func (u *undo) run(ctx context.Context) error {
	if len(u.list) == 0 {
		return nil
	}
	ids := make([]int64, len(u.list))
	for i, t := range u.list {
		ids[i] = t.id
	}
	recs, err := u.api.Get(ctx, ids)
	if err != nil {
		if ctx.Err() != nil {
			return interruptedErr(ctx)
		}
		return fmt.Errorf("read the records to delete: %w", err)
	}
	byID := make(map[int64]*nexudus.Record, len(recs))
	for i := range recs {
		byID[recs[i].ID] = &recs[i]
	}
	var todo []*undoTarget
	for _, t := range u.list {
		t.rec = byID[t.id]
		if t.rec == nil && u.j.wasDeleted(t.id) {
			t.status, t.msg = Deleted, "deleted by an earlier undo"
			u.sum.Gone++
			continue
		}
		if t.rec == nil {
			t.status, t.msg = Deleted, "already gone"
			u.sum.Gone++
			if !u.j.wasDeleted(t.id) {
				if err := u.j.deletedRecord(t.key, t.row, t.id, true); err != nil {
					return err
				}
			}
			continue
		}
		t.changed = changedSince(t, u.j.lastWritten(t.id))
		if t.changed != "" && !u.opt.Force {
			t.msg = "changed since the import (" + t.changed + "); not deleted: --force deletes it"
			continue
		}
		todo = append(todo, t)
	}
	if len(todo) == 0 {
		return nil
	}
	if u.opt.Confirm != nil {
		prompt := fmt.Sprintf("undo deletes %s that this import created", plural(len(todo), "record", "records"))
		if n := u.kept(); n > 0 {
			prompt += fmt.Sprintf(" (%d changed since are kept; --force deletes them too)", n)
		}
		prompt += ". Deleting is permanent: Nexudus cannot recover deleted records."
		ok, err := u.opt.Confirm(prompt)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUndoDeclined
		}
	}
	if err := u.delete(ctx, todo); err != nil {
		return err
	}
	if u.stopErr != nil {
		return u.stopErr
	}
	return u.verify(ctx)
}

// kept counts the records left because they changed.
func (u *undo) kept() int {
	n := 0
	for _, t := range u.list {
		if t.changed != "" && !u.opt.Force && t.rec != nil {
			n++
		}
	}
	return n
}

// changedSince says why a record counts as changed since the import last
// wrote it: its fields (as the space may store them) are not what was
// written (fp, the journal's fingerprint). Without a fingerprint (a
// journal of an older contactbulk, or none) its identity is not the row's
// any more, or it was updated after it was created.
func changedSince(t *undoTarget, fp string) string {
	r := t.rec
	if t.cells != nil && !mentions(t.cells, r) {
		return "it is not the row's contact: no cell of the row gives its name or coworker"
	}
	if fp != "" {
		if fingerprint(contactOf(r)) != fp {
			return "its fields changed since the import wrote it"
		}
		return ""
	}
	if strings.Contains(t.key, "/") {
		byName, byCoworker := recordKeys(r)
		if t.key != byName && t.key != byCoworker {
			return "its name, type or contract changed"
		}
	}
	created, ok1 := nexudus.ParseTime(r.CreatedOn)
	updated, ok2 := nexudus.ParseTime(r.UpdatedOn)
	if ok1 && ok2 && updated.Sub(created) > time.Minute {
		return "updated " + r.UpdatedOn
	}
	return ""
}

// mentions reports whether a row's cells name the record: its name (as
// names compare) or, for a contact linked to a coworker, the coworker's
// Id or name.
func mentions(cells []string, r *nexudus.Record) bool {
	want := []string{mapping.NameKey(r.FullName), mapping.NameKey(str(r.CoworkerFullName)), idText(r.CoworkerID)}
	for _, c := range cells {
		c = mapping.Unquote(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		k := mapping.NameKey(c)
		for _, w := range want {
			if w != "" && (k == w || c == w) {
				return true
			}
		}
	}
	return false
}

// delete deletes the records on a pool of workers.
func (u *undo) delete(ctx context.Context, todo []*undoTarget) error {
	prog := startProgress(u.opt.Progress, u.opt.Terminal, len(todo), u.opt.Pacing.WritesPerSecond, 5*time.Second)
	defer prog.finish()
	stop := func(err error, reason string) {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.stopErr == nil {
			u.stopErr, u.sum.Stopped = err, reason
		}
	}
	stopped := func() bool {
		u.mu.Lock()
		defer u.mu.Unlock()
		return u.stopErr != nil
	}
	err := eachOnPool(ctx, u.opt.Concurrency, todo, stopped, func(ctx context.Context, t *undoTarget) error {
		gone, refusal, err := deleteJournaled(ctx, u.api, u.j, u.opt.Abandon, t.key, t.row, t.id, stop)
		switch {
		case err != nil:
			return err
		case gone:
			t.status, t.msg = Deleted, "deleted by undo"
		case refusal != "":
			t.status, t.msg = Failed, "delete refused: "+refusal
		}
		return nil
	}, prog.add)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("undo interrupted; run the same command again to continue: %w", ctx.Err())
	}
	return nil
}

// verify reads the contracts of the deleted records again and checks that
// none of them is left.
func (u *undo) verify(ctx context.Context) error {
	var contracts, deleted []int64
	for _, t := range u.list {
		if t.status == Deleted && t.rec != nil {
			contracts = append(contracts, t.rec.CoworkerContractID)
			deleted = append(deleted, t.id)
		}
	}
	if len(deleted) == 0 {
		return nil
	}
	sp, err := reader{u.api}.read(ctx, contractsOf(contracts), nil)
	if err != nil {
		if ctx.Err() != nil {
			return interruptedErr(ctx)
		}
		return fmt.Errorf("verify: %w", err)
	}
	v := &Verification{Rows: len(deleted)}
	for _, id := range deleted {
		if sp.byID[id] != nil {
			v.Records++
			v.problem(fmt.Sprintf("record %d is still in the space", id))
		}
	}
	u.sum.Verified = v
	return nil
}

// count fills the summary's counts.
func (u *undo) count() {
	s := u.sum
	s.Records = len(u.list)
	s.NotOurs = len(u.notOurs)
	for _, t := range u.list {
		switch {
		case t.status == Deleted && (t.msg == "already gone" || t.msg == "deleted by an earlier undo"):
		case t.status == Deleted:
			s.Deleted++
		case t.status == Failed:
			s.Failed++
		case t.changed != "" && !u.opt.Force:
			s.Kept++
		default:
			s.Pending++
		}
	}
}

// resultsIDs reads the row, status and id columns of a results file's
// records (header first).
func resultsIDs(recs [][]string) []resultsLine {
	var out []resultsLine
	for _, rec := range recs[min(1, len(recs)):] {
		if len(rec) < len(resultsColumns) {
			continue
		}
		row, _ := strconv.Atoi(strings.TrimSpace(rec[0]))
		id, _ := strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
		out = append(out, resultsLine{row: row, status: Status(strings.ToLower(strings.TrimSpace(rec[1]))), id: id})
	}
	return out
}

// rewrite writes the results file again, as it was written, with the
// undone rows marked.
func (u *undo) rewrite(path string, recs [][]string, shape Shape) error {
	byID := make(map[int64]*undoTarget, len(u.list))
	for _, t := range u.list {
		byID[t.id] = t
	}
	n := len(resultsColumns)
	return writeResultsFile(path, ResultsShape(path, shape), func(create func([]string) (*ResultsWriter, error)) error {
		w, err := create(recs[0][min(n, len(recs[0])):])
		if err != nil {
			return err
		}
		for _, rec := range recs[1:] {
			if len(rec) < n {
				continue
			}
			line, _ := strconv.Atoi(strings.TrimSpace(rec[0]))
			id, _ := strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
			status, msg := Status(strings.TrimSpace(rec[1])), rec[3]
			switch t := byID[id]; {
			case t != nil && t.status == Deleted:
				status, msg = Deleted, t.msg
			case t != nil && t.msg != "":
				msg = t.msg
			case u.notOurs[id]:
				msg = "not created by this import (its journal): left by undo"
			}
			if err := w.Write(line, status, id, msg, rec[n:], nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteText writes the undo summary for people.
func (s UndoSummary) WriteText(w io.Writer) {
	var b strings.Builder
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	fmt.Fprintf(&b, "undo: %s created by the import: %d deleted, %d already gone, %d kept (changed since), %d failed, %d pending",
		plural(s.Records, "record", "records"), s.Deleted, s.Gone, s.Kept, s.Failed, s.Pending)
	if s.NotOurs > 0 {
		fmt.Fprintf(&b, "; %d not created by this import left alone", s.NotOurs)
	}
	fmt.Fprintf(&b, " in %s\n", s.Elapsed.Round(time.Second/10))
	if v := s.Verified; v != nil {
		fmt.Fprintf(&b, "verified: %s deleted, %s left\n", plural(v.Rows, "record", "records"), plural(v.Records, "record", "records"))
		for _, p := range v.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	if s.Stopped != "" {
		fmt.Fprintf(&b, "stopped: %s\n", s.Stopped)
	}
	if s.Kept > 0 {
		b.WriteString("next: the kept records changed after the import; check them, and run with --force to delete them too\n")
	} else if s.Pending > 0 {
		b.WriteString("next: run the same command again to continue\n")
	}
	fmt.Fprintf(&b, "results: %s\n", s.Results)
	io.WriteString(w, b.String())
}

// MarshalJSON writes the summary with its elapsed time in seconds.
func (s UndoSummary) MarshalJSON() ([]byte, error) {
	type plain UndoSummary
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}{plain(s), s.Elapsed.Seconds()})
}

// Unfinished counts the records not dealt with: a run with any exits 1.
func (s UndoSummary) Unfinished() int {
	n := s.Kept + s.Failed + s.Pending
	if s.Verified != nil {
		n += s.Verified.Records
	}
	return n
}
