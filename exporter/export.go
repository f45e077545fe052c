package exporter

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"contactbulk/nexudus"
	"contactbulk/table"
)

// API is what an export needs from the Nexudus client.
type API interface {
	// List fetches one page of the listing.
	List(ctx context.Context, opt nexudus.ListOptions) (*nexudus.Page, error)
	// Get reads full records by id; ids it cannot find are left out.
	Get(ctx context.Context, ids []int64) ([]nexudus.Record, error)
	// GetOne reads one full record; nexudus.IsNotFound tells a record
	// that no longer exists.
	GetOne(ctx context.Context, id int64) (nexudus.Record, error)
}

// Options configures an export. The zero value exports every record, every
// column, ordered by Id ascending, to CSV, neutralising formula cells.
type Options struct {
	Columns      []Column     // nil means Columns()
	NumericEnums bool         // ContractContactType as 0-3 instead of its name
	Format       table.Format // CSV or XLSX
	Raw          bool         // CSV: do not neutralise cells a spreadsheet would run as formulas
	BOM          bool         // CSV: start with a UTF-8 byte order mark, for Excel
	Full         bool         // fill Address, PostCode, CityName, State and Notes with the several-at-once read
	Filters      url.Values   // documented filters by query name (see AddFilter)
	OrderBy      string       // a record property; "" means Id (see Run for other orders)
	Descending   bool
	// DirectionAsked says the direction was asked for: a server that
	// cannot sort that way is then refused (a *ServerError) instead of
	// paged in the order it gives.
	DirectionAsked bool
	// Since, when set, lists every record the filters select but writes
	// only those updated at or after it (or, with no UpdatedOn, created at
	// or after it), comparing dates in every form servers write them.
	Since time.Time
	// IDs, when set, is called at the end of a complete export with every
	// Id listed (written or not), once each, ascending.
	IDs       func(id int64) error
	PageSize  int // records asked per page; 0 means 1000 (the server may serve fewer)
	Window    int // pages requested ahead of the one being written; 0 means 4
	BatchSize int // ids per several-at-once read; 0 means 50
	MaxPasses int // verification passes after data changed during the export; 0 means 2
	// Progress, when set, is called after each page is written.
	Progress func(Progress)
}

// Progress is how far an export has got.
type Progress struct {
	Records int // records written so far
	Total   int // the server's latest TotalItems
	Pages   int // pages fetched so far
	Pass    int // 1 for the first pass, more for verification passes
	Listed  int // distinct records listed so far: more than Records with Since
}

// Summary is what an export did.
type Summary struct {
	Records    int           `json:"records"`     // records written
	Listed     int           `json:"listed"`      // distinct records the listing served (more than records with Since)
	Pages      int           `json:"pages"`       // listing pages fetched
	TotalItems int           `json:"total_items"` // the server's count at the end
	Passes     int           `json:"passes"`      // listing passes: 1, more when data changed while paging
	Repaired   int           `json:"repaired"`    // records found by verification passes after moving, written at the end
	Repeats    int           `json:"repeats"`     // records served again and left out (already written)
	FullReads  int           `json:"full_reads"`  // several-at-once reads made for --full
	OneReads   int           `json:"one_reads"`   // one-record reads made for --full where the several-at-once read left records out or short
	Vanished   int           `json:"vanished"`    // records deleted between their listing and their full read, left out
	Undated    int           `json:"undated"`     // with Since: records whose dates could not be read, written to be safe
	Order      string        `json:"order"`       // the order of the file, e.g. "Id ascending"
	PageSize   int           `json:"page_size"`   // records the server served per page
	Direction  string        `json:"dir_convention"`
	Consistent bool          `json:"consistent"` // a pass saw a stable listing and the file holds all of it
	Notes      []string      `json:"notes,omitempty"`
	Elapsed    time.Duration `json:"-"`
}

// ErrInconsistent is returned, wrapped, when the data kept changing so that
// the export could not be shown complete; the file written holds
// everything found, with no duplicate Id.
var ErrInconsistent = errors.New("records kept moving while paging; the export could not be made consistent")

// ServerError says what the server does that keeps an export from being
// shown complete, and how to export anyway. Nothing is left half done:
// the caller keeps its previous file.
type ServerError struct {
	What string // what the server does, e.g. "it answers every page with page 1"
	Fix  string // what to change
}

func (e *ServerError) Error() string { return e.What }

// Run exports the records opt selects from api to w, as CSV or XLSX.
// Pages are fetched a few at a time and written in order as they arrive.
//
// Listed by Id (the default), a record is new when its Id lies beyond the
// last one written, so nothing grows with the count in memory; the Ids
// met go to a temporary file, read back only by verification passes and
// for opt.IDs. Ordered by another field, the Ids written are kept in
// memory (8 bytes each) to leave out repeats.
//
// The server's ways are read from its answers, not assumed: the dir
// convention (a probe of two records), the page size it serves (the
// first page), the end of the listing (an empty or short page), pages it
// repeats. When records moved while a pass paged, verification passes
// list again by Id and write what was missed at the end of the file (with
// another order than Id the file is then complete but not fully sorted:
// Summary.Repaired says how many rows are out of place).
//
// It returns a *ServerError when the server cannot be paged completely,
// an error wrapping ErrInconsistent when the data kept changing, ctx's
// error when interrupted, and the API's or the writer's error otherwise.
func Run(ctx context.Context, api API, w io.Writer, opt Options) (Summary, error) {
	start := time.Now()
	e, err := newExport(api, opt)
	if err == nil {
		err = e.run(ctx, w)
	}
	e.sum.Elapsed = time.Since(start)
	return e.sum, err
}

type export struct {
	api  API
	opt  Options
	cols []Column
	out  *table.Writer
	row  []string
	sum  Summary
	mu   sync.Mutex // guards sum.FullReads, sum.OneReads and sum.Vanished, counted by fetches

	conv    Convention
	orderBy string // the order of the current pass: opt.OrderBy, then Id
	dir     int    // the dir value sent for the current pass
	asc     bool   // the current pass's values ascend
	idDir   int    // the dir value that lists Ids in the direction of the first Id pass
	idAsc   bool   // that direction is ascending
	size    int    // records asked per page, once the server's page size is known

	// The current pass.
	pass    int
	mark    int64 // Id order: the last distinct Id met
	marked  bool
	maxID   int64 // the highest Id when the pass started
	top     bool  // maxID is known
	passOld int   // distinct records met in the pass with Ids up to maxID
	passN   int   // records served in the pass
	passRep int   // records served again within the pass
	totals  []int
	sigs    map[uint64]int // page signature -> page number
	seed    maphash.Seed

	runs    []*idRun     // Id order: the Ids each pass met
	cur     *idRun       // the current pass's
	cursors []*runCursor // over the earlier passes' runs, in the pass's order
	seen    idSet        // another order: the Ids met

	shape batchShape // what the several-at-once read answers, once seen
}

// batchShape is what the server's several-at-once read was seen to answer.
type batchShape int

const (
	shapeUnknown batchShape = iota
	shapeFull               // a record came back with fields listings leave out
	shapeSummary            // a record came back without them, and its one-record read had them
)

func newExport(api API, opt Options) (*export, error) {
	if opt.PageSize <= 0 {
		opt.PageSize = 1000
	}
	if opt.Window <= 0 {
		opt.Window = 4
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 50
	}
	if opt.MaxPasses <= 0 {
		opt.MaxPasses = 2
	}
	if opt.OrderBy == "" {
		opt.OrderBy = "Id"
	}
	cols := opt.Columns
	if cols == nil {
		cols = Columns()
	}
	return &export{api: api, opt: opt, cols: cols, row: make([]string, len(cols)), seed: maphash.MakeSeed()}, nil
}

// tableOptions are the table settings for the export's columns: whole
// numbers stored as numbers in XLSX, the rest as text.
func (e *export) tableOptions() table.Options {
	t := table.Options{Format: e.opt.Format, Raw: e.opt.Raw, BOM: e.opt.BOM, Sheet: "ContractContacts"}
	for i, c := range e.cols {
		switch c.Name {
		case "Id", "CoworkerContractId", "CoworkerId", "CountryId", "CoworkerContractQuantity":
			t.Numbers = append(t.Numbers, i)
		}
		if c.Name == "ContractContactType" && e.opt.NumericEnums {
			t.Numbers = append(t.Numbers, i)
		}
	}
	return t
}

func (e *export) run(ctx context.Context, w io.Writer) error {
	defer func() {
		for _, r := range e.runs {
			r.remove()
		}
	}()
	if err := e.direction(ctx); err != nil {
		return err
	}
	out, err := table.New(w, ColumnNames(e.cols), e.tableOptions())
	if err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	e.out = out
	ok := false
	defer func() {
		if !ok {
			out.Discard()
		}
	}()
	for e.pass = 1; e.pass <= 1+e.opt.MaxPasses; e.pass++ {
		e.sum.Passes = e.pass
		stable, err := e.listAll(ctx)
		if err != nil {
			return err
		}
		if stable {
			e.sum.Consistent = true
			break
		}
	}
	if !e.sum.Consistent {
		return fmt.Errorf("%w (%d records written, server now counts %d)", ErrInconsistent, e.sum.Records, e.sum.TotalItems)
	}
	ok = true
	if err := out.Close(); err != nil {
		return err
	}
	if e.opt.IDs != nil {
		return e.listIDs()
	}
	return nil
}

// listIDs hands every Id met to opt.IDs, ascending.
func (e *export) listIDs() error {
	if e.runs != nil {
		return mergeRuns(e.runs, e.opt.IDs)
	}
	for _, id := range e.seen.all() {
		if err := e.opt.IDs(id); err != nil {
			return err
		}
	}
	return nil
}

// direction reads the server's dir convention and chooses the dir to
// send: the one asked for, or, when the server cannot sort that way and
// the direction was not asked for, the one it gives.
func (e *export) direction(ctx context.Context) error {
	conv, err := ProbeDirection(ctx, e.api)
	if err != nil {
		return err
	}
	e.conv = conv
	e.sum.Direction = conv.Name
	e.asc = !e.opt.Descending
	if e.asc && !conv.HasAsc || !e.asc && !conv.HasDesc {
		want, got := "ascending", "descending"
		if !e.asc {
			want, got = got, want
		}
		if e.opt.DirectionAsked {
			return &ServerError{
				What: fmt.Sprintf("the server ignores dir and always sorts %s, so it cannot list %s", got, want),
				Fix:  fmt.Sprintf("leave out --dir to export in %s order, and sort the file afterwards", got),
			}
		}
		e.asc = !e.asc
		e.note("the server ignores dir and always sorts %s: the file is in %s order", got, got)
	}
	e.dir = conv.Desc
	if e.asc {
		e.dir = conv.Asc
	}
	e.orderBy = e.opt.OrderBy
	// Verification passes list by Id: the same direction when the export
	// is by Id, else ascending if the server can.
	e.idAsc = e.asc
	if !e.byIDOrder() {
		e.idAsc = conv.HasAsc
	}
	e.idDir = conv.Desc
	if e.idAsc {
		e.idDir = conv.Asc
	}
	word := "ascending"
	if !e.asc {
		word = "descending"
	}
	e.sum.Order = e.opt.OrderBy + " " + word
	return nil
}

func (e *export) note(format string, args ...any) {
	e.sum.Notes = append(e.sum.Notes, fmt.Sprintf(format, args...))
}

// byIDOrder reports whether the current pass pages by Id.
func (e *export) byIDOrder() bool { return strings.EqualFold(e.orderBy, "Id") }

func (e *export) listOptions(page, size int) nexudus.ListOptions {
	dir := e.dir
	return nexudus.ListOptions{Page: page, Size: size, OrderBy: e.orderBy, Dir: &dir, Filters: e.opt.Filters}
}

// listAll makes one pass over the listing, writing the records not written
// yet, and reports whether the pass is shown complete.
//
// Offset paging skips a record when one before it is deleted between two
// page requests (and repeats one when a record is added before it, which
// is left out). Nexudus gives new records increasing Ids, so the pass
// notes the highest Id and the count before it starts; at the end it
// counts the records above that Id. When the records at or below it are
// exactly as many as at the start, none was deleted, nothing moved back,
// and the pass met every record that existed throughout, which it checks
// by count too. Otherwise the caller makes another pass, writing what it
// missed.
func (e *export) listAll(ctx context.Context) (bool, error) {
	e.passN, e.passOld, e.passRep = 0, 0, 0
	e.totals = e.totals[:0]
	e.marked = false
	e.sigs = map[uint64]int{}
	if e.pass > 1 && !e.byIDOrder() {
		// Only paging by Id can show that nothing was missed: verify by Id
		// and append what the ordered pass missed.
		e.orderBy, e.dir, e.asc = "Id", e.idDir, e.idAsc
	}
	if e.byIDOrder() {
		if e.pass == 1 {
			e.runs = []*idRun{} // Id order from the start: the runs hold what was met
		}
		if e.runs != nil {
			e.cursors = e.cursors[:0]
			for _, r := range e.runs {
				e.cursors = append(e.cursors, r.cursor(e.asc))
			}
			run, err := newRun(!e.asc)
			if err != nil {
				return false, err
			}
			e.runs = append(e.runs, run)
			e.cur = run
		}
	}
	startCount, err := e.findTop(ctx)
	if err != nil {
		return false, err
	}
	if err := e.page(ctx); err != nil {
		return false, err
	}
	if e.cur != nil {
		if err := e.cur.finish(); err != nil {
			return false, err
		}
	}
	endCount, added, err := e.countAdded(ctx)
	if err != nil {
		return false, err
	}
	e.sum.TotalItems = endCount
	if endCount-added != startCount || e.passOld < startCount {
		return false, nil // records older than the pass were deleted or missed
	}
	if e.byIDOrder() {
		return true, nil
	}
	// In another order, new records land anywhere and an updated record can
	// move past the offset (served twice, or missed while another is served
	// twice): ask for a listing that did not change at all and served each
	// record once.
	for _, t := range e.totals {
		if t != endCount {
			return false, nil
		}
	}
	return e.passRep == 0 && e.passN == endCount, nil
}

// findTop notes the highest Id the filters select and returns their count.
func (e *export) findTop(ctx context.Context) (int, error) {
	e.maxID, e.top = 0, false
	if e.conv.HasDesc {
		pg, err := e.api.List(ctx, e.byID(1, 1, e.conv.Desc))
		if err != nil {
			return 0, fmt.Errorf("count contacts: %w", err)
		}
		if len(pg.Records) > 0 {
			e.maxID, e.top = pg.Records[0].ID, true
		}
		return pg.TotalItems, e.checkCount(pg)
	}
	// Ascending only: the last record of a one-record page at the count.
	pg, err := e.api.List(ctx, e.byID(1, 1, e.conv.Asc))
	if err != nil {
		return 0, fmt.Errorf("count contacts: %w", err)
	}
	if err := e.checkCount(pg); err != nil {
		return 0, err
	}
	for try := 0; try < 3 && pg.TotalItems > 0; try++ {
		last, err := e.api.List(ctx, e.byID(pg.TotalItems, 1, e.conv.Asc))
		if err != nil {
			return 0, fmt.Errorf("count contacts: %w", err)
		}
		if len(last.Records) > 0 {
			e.maxID, e.top = last.Records[0].ID, true
			return last.TotalItems, nil
		}
		pg = last // records were deleted in between: try at the new count
	}
	return pg.TotalItems, nil
}

// checkCount refuses a server whose count says nothing while it serves
// records: completeness is checked against that count.
func (e *export) checkCount(pg *nexudus.Page) error {
	if pg.TotalItems == 0 && len(pg.Records) > 0 {
		return &ServerError{
			What: "the server serves records but counts TotalItems 0, so an export cannot be shown complete",
			Fix:  "report this server to Nexudus support; contactbulk doctor shows the paging fields it answers",
		}
	}
	return nil
}

// countAdded returns the server's count now and how many of those records
// have an Id above the highest one when the pass started.
func (e *export) countAdded(ctx context.Context) (total, added int, err error) {
	size := max(e.size, 1)
	if e.conv.HasDesc {
		var first int64
		for page := 1; ; page++ {
			pg, err := e.api.List(ctx, e.byID(page, size, e.conv.Desc))
			if err != nil {
				return 0, 0, fmt.Errorf("count contacts: %w", err)
			}
			if page == 1 {
				total = pg.TotalItems
			}
			if len(pg.Records) > 0 {
				if page > 1 && pg.Records[0].ID == first {
					return 0, 0, &ServerError{
						What: fmt.Sprintf("the server answered page %d with the records of page 1: it ignores the page parameter", page),
						Fix:  "run contactbulk doctor to see how the server pages, and report it to Nexudus support",
					}
				}
				if page == 1 {
					first = pg.Records[0].ID
				}
			}
			for _, r := range pg.Records {
				if e.top && r.ID <= e.maxID {
					return total, added, nil
				}
				added++
			}
			if len(pg.Records) < size {
				return total, added, nil
			}
		}
	}
	// Ascending only: from the last page backwards.
	first, err := e.api.List(ctx, e.byID(1, 1, e.conv.Asc))
	if err != nil {
		return 0, 0, fmt.Errorf("count contacts: %w", err)
	}
	total = first.TotalItems
	for page := (total + size - 1) / size; page >= 1; page-- {
		pg, err := e.api.List(ctx, e.byID(page, size, e.conv.Asc))
		if err != nil {
			return 0, 0, fmt.Errorf("count contacts: %w", err)
		}
		for _, r := range slices.Backward(pg.Records) {
			if e.top && r.ID <= e.maxID {
				return total, added, nil
			}
			added++
		}
	}
	return total, added, nil
}

// byID returns the options of a listing by Id with the export's filters.
func (e *export) byID(page, size, dir int) nexudus.ListOptions {
	return nexudus.ListOptions{Page: page, Size: size, OrderBy: "Id", Dir: &dir, Filters: e.opt.Filters}
}

// page lists the pass's pages: the first alone, to learn the page size the
// server serves, then the rest a window at a time up to what the count
// says, then one at a time while pages come back full.
func (e *export) page(ctx context.Context) error {
	size := e.opt.PageSize
	first, err := e.fetch(ctx, 1, size)
	if err != nil {
		return err
	}
	n := len(first.Records)
	if n == 0 || n >= first.TotalItems {
		e.size = max(e.size, n)
		if e.pass == 1 {
			e.sum.PageSize = e.size
		}
		return e.write(ctx, first)
	}
	if n != size {
		// The server serves another size than asked (a cap): ask for what
		// it serves, so that page N starts where the pages before it end
		// however the server counts its offsets.
		if n < size && e.pass == 1 {
			e.note("the server serves at most %d records a page (asked %d)", n, size)
			if first.CurrentPageSize != n {
				e.note("its CurrentPageSize says %d and TotalPages %d: export pages by the %d records it serves", first.CurrentPageSize, first.TotalPages, n)
			}
		}
		size = n
	}
	e.size = size
	if e.pass == 1 {
		e.sum.PageSize = size
	}
	if err := e.write(ctx, first); err != nil {
		return err
	}
	last := first
	pages := (first.TotalItems + size - 1) / size
	err = e.pipeline(ctx, 2, pages, size, func(pg *page) (bool, error) {
		last = pg
		return len(pg.Records) == size, e.write(ctx, pg)
	})
	if err != nil {
		return err
	}
	// Records added while paging can add pages: go on while pages come
	// back full and the count says there are more.
	for next := max(2, pages+1); len(last.Records) == size && last.TotalItems > (next-1)*size; next++ {
		pg, err := e.fetch(ctx, next, size)
		if err != nil {
			return err
		}
		if err := e.write(ctx, pg); err != nil {
			return err
		}
		last = pg
	}
	return nil
}

// page is one listing answer with what --full has read of its records.
type page struct {
	*nexudus.Page
	number int
	full   []bool // record i's full fields were read
}

// pipeline fetches pages from..to with up to Window requests at once and
// hands them to write in page order, until write says to stop (after an
// empty or short page: a count that says otherwise is not believed).
func (e *export) pipeline(ctx context.Context, from, to, size int, write func(*page) (more bool, err error)) error {
	if from > to {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	type result struct {
		pg  *page
		err error
	}
	slots := make(chan chan result, e.opt.Window-1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(slots)
		for p := from; p <= to; p++ {
			ch := make(chan result, 1)
			select {
			case slots <- ch:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				pg, err := e.fetch(ctx, p, size)
				ch <- result{pg, err}
			}()
		}
	}()
	for ch := range slots {
		r := <-ch
		if r.err != nil {
			return r.err
		}
		more, err := write(r.pg)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return ctx.Err()
}

// fetch lists one page and, for --full in the first pass, reads the full
// fields of the records that look new (the write fills in any other).
func (e *export) fetch(ctx context.Context, number, size int) (*page, error) {
	pg, err := e.api.List(ctx, e.listOptions(number, size))
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", number, err)
	}
	p := &page{Page: pg, number: number, full: make([]bool, len(pg.Records))}
	if !e.opt.Full || e.pass > 1 {
		return p, nil
	}
	var want []int
	for i := range pg.Records {
		r := &pg.Records[i]
		if e.mayBeNew(r.ID) && e.selected(r) {
			want = append(want, i)
		}
	}
	return p, e.readFull(ctx, p, want)
}

// mayBeNew is fetch's guess, made ahead of the write, that a record has
// not been met yet.
func (e *export) mayBeNew(id int64) bool {
	if e.runs == nil {
		return !e.seen.has(id)
	}
	return true // Id order: a repeat is rare, and the write tells
}

// selected reports whether r goes in the file (all records unless Since).
func (e *export) selected(r *nexudus.Record) bool {
	if e.opt.Since.IsZero() {
		return true
	}
	ok, _ := changedSince(r, e.opt.Since)
	return ok
}

// readFull reads the full fields of p's records at the indexes want: the
// several-at-once read in batches, then one at a time for any record it
// left out. A record the batch answered with every field a listing leaves
// out empty may be a summary rather than an empty record: until a batch
// has shown full records (one with any of those fields set), such records
// are read one at a time too, and once a one-record read shows one was a
// summary, batches are not used again. A record found nowhere was deleted
// since it was listed: it stays unread (full false), never written blank.
func (e *export) readFull(ctx context.Context, p *page, want []int) error {
	var single []int
	for len(want) > 0 {
		n := min(len(want), e.opt.BatchSize)
		if e.batchShape() == shapeSummary {
			single = append(single, want[:n]...)
			want = want[n:]
			continue
		}
		ids := make([]int64, n)
		for j, i := range want[:n] {
			ids[j] = p.Records[i].ID
		}
		got, err := e.api.Get(ctx, ids)
		if err != nil {
			return fmt.Errorf("read full contacts: %w", err)
		}
		e.mu.Lock()
		e.sum.FullReads++
		e.mu.Unlock()
		byID := make(map[int64]*nexudus.Record, len(got))
		for k := range got {
			byID[got[k].ID] = &got[k]
			if hasUnlisted(&got[k]) {
				e.setShape(shapeFull)
			}
		}
		for _, i := range want[:n] {
			f, ok := byID[p.Records[i].ID]
			if !ok {
				single = append(single, i) // left out: deleted, or a partial answer
				continue
			}
			fill(&p.Records[i], f)
			p.full[i] = true
		}
		if e.batchShape() != shapeFull {
			for _, i := range want[:n] {
				if p.full[i] && !hasUnlisted(&p.Records[i]) {
					p.full[i] = false // a summary or an empty record: only a one-record read tells
					single = append(single, i)
				}
			}
		}
		want = want[n:]
	}
	for _, i := range single {
		if p.full[i] {
			continue
		}
		f, err := e.api.GetOne(ctx, p.Records[i].ID)
		e.mu.Lock()
		e.sum.OneReads++
		e.mu.Unlock()
		if nexudus.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read full contact %d: %w", p.Records[i].ID, err)
		}
		if hasUnlisted(&f) && !hasUnlisted(&p.Records[i]) && e.batchShape() == shapeUnknown {
			e.setShape(shapeSummary)
			e.mu.Lock()
			e.note("the several-at-once read answers summary records (no Address, PostCode, CityName, State or Notes): --full reads one record at a time")
			e.mu.Unlock()
		}
		fill(&p.Records[i], &f)
		p.full[i] = true
	}
	return nil
}

func (e *export) batchShape() batchShape {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.shape
}

func (e *export) setShape(s batchShape) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shape == shapeUnknown {
		e.shape = s
	}
}

// hasUnlisted reports whether r carries any field a listing leaves out.
func hasUnlisted(r *nexudus.Record) bool {
	return r.Address != nil || r.PostCode != nil || r.CityName != nil || r.State != nil || r.Notes != nil
}

// fill copies the fields listings leave out from a full record.
func fill(r, f *nexudus.Record) {
	r.Address, r.PostCode, r.CityName, r.State, r.Notes = f.Address, f.PostCode, f.CityName, f.State, f.Notes
}

// write writes the page's records not written yet, in order.
func (e *export) write(ctx context.Context, pg *page) error {
	e.sum.Pages++
	e.totals = append(e.totals, pg.TotalItems)
	e.passN += len(pg.Records)
	if err := e.checkPage(pg); err != nil {
		return err
	}
	fresh := make([]bool, len(pg.Records))
	var unread []int
	for i := range pg.Records {
		r := &pg.Records[i]
		isNew, err := e.meet(r.ID)
		if err != nil {
			return err
		}
		if !isNew {
			e.sum.Repeats++
			if e.pass == 1 {
				e.passRep++ // in later passes most repeats are from earlier passes
			}
			continue
		}
		e.sum.Listed++
		if !e.selected(r) {
			continue
		}
		fresh[i] = true
		if e.opt.Full && !pg.full[i] {
			unread = append(unread, i)
		}
	}
	if len(unread) > 0 {
		if err := e.readFull(ctx, pg, unread); err != nil {
			return err
		}
	}
	for i := range pg.Records {
		if !fresh[i] {
			continue
		}
		r := &pg.Records[i]
		if e.opt.Full && !pg.full[i] {
			e.mu.Lock()
			e.sum.Vanished++ // deleted since listed: no blank is written for it
			e.mu.Unlock()
			continue
		}
		if !e.opt.Since.IsZero() {
			if _, known := changedSince(r, e.opt.Since); !known {
				e.sum.Undated++
			}
		}
		for j, c := range e.cols {
			e.row[j] = c.cell(r, e.opt.NumericEnums)
		}
		if err := e.out.Write(e.row); err != nil {
			return fmt.Errorf("record %d: %w", r.ID, err)
		}
		e.sum.Records++
		if e.pass > 1 {
			e.sum.Repaired++
		}
	}
	if err := e.out.Flush(); err != nil {
		return err
	}
	if e.opt.Progress != nil {
		e.opt.Progress(Progress{Records: e.sum.Records, Total: pg.TotalItems, Pages: e.sum.Pages, Pass: e.pass, Listed: e.sum.Listed})
	}
	return nil
}

// checkPage refuses a page that shows the server does not page as asked:
// Ids out of order in a listing by Id, or a page that repeats an earlier
// one of the pass record for record.
func (e *export) checkPage(pg *page) error {
	recs := pg.Records
	if len(recs) == 0 {
		return nil
	}
	if e.byIDOrder() {
		for i := 1; i < len(recs); i++ {
			if a, b := recs[i-1].ID, recs[i].ID; a == b || (a < b) != e.asc {
				return &ServerError{
					What: fmt.Sprintf("the server did not sort page %d by Id as asked (orderBy=Id, dir=%d): Id %d came before %d", pg.number, e.dir, a, b),
					Fix:  "run contactbulk doctor to see how the server sorts, and report it to Nexudus support",
				}
			}
		}
	}
	var h maphash.Hash
	h.SetSeed(e.seed)
	for _, r := range recs {
		var b [8]byte
		for k := range b {
			b[k] = byte(r.ID >> (8 * k))
		}
		h.Write(b[:])
	}
	sig := h.Sum64()
	if prev, ok := e.sigs[sig]; ok && prev != pg.number {
		what := fmt.Sprintf("the server answered page %d with the same %d records as page %d: it ignores the page parameter", pg.number, len(recs), prev)
		fix := fmt.Sprintf("no page size can help, as the server serves at most %d records a page; ask Nexudus support", e.size)
		if e.size >= e.opt.PageSize {
			fix = fmt.Sprintf("ask for every record on one page: --page-size %d or more (if the server serves that many)", max(pg.TotalItems, e.size+1))
		}
		return &ServerError{What: what, Fix: fix}
	}
	e.sigs[sig] = pg.number
	return nil
}

// meet notes that the pass met the record with this Id and reports
// whether it is new to the export: neither met earlier in the pass (in Id
// order, at or behind the pass's last Id) nor in an earlier pass.
func (e *export) meet(id int64) (bool, error) {
	if e.byIDOrder() {
		if e.marked && (e.asc && id <= e.mark || !e.asc && id >= e.mark) {
			return false, nil
		}
		e.mark, e.marked = id, true
	}
	if e.top && id <= e.maxID {
		e.passOld++
	}
	if e.runs == nil {
		return e.seen.add(id), nil
	}
	if err := e.cur.add(id); err != nil {
		return false, err
	}
	for _, c := range e.cursors {
		in, err := c.has(id, e.asc)
		if err != nil {
			return false, err
		}
		if in {
			return false, nil
		}
	}
	return true, nil
}
