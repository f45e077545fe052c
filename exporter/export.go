package exporter

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gocarina/gocsv"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// API is what an export needs from the Nexudus client.
type API interface {
	// List fetches one page of the listing.
	List(ctx context.Context, opt nexudus.ListOptions) (*nexudus.Page, error)
	// Get reads full records by id; ids it cannot find are left out.
	Get(ctx context.Context, ids []int64) ([]nexudus.Record, error)
}

// Options configures an export. The zero value exports every record, every
// column, ordered by Id ascending, neutralising formula cells.
type Options struct {
	Columns      []Column   // nil means Columns()
	NumericEnums bool       // ContractContactType as 0-3 instead of its name
	Raw          bool       // do not neutralise cells a spreadsheet would run as formulas
	BOM          bool       // start with a UTF-8 byte order mark, for Excel
	Full         bool       // fill Address, PostCode, CityName, State and Notes with the several-at-once read
	Filters      url.Values // documented filters by query name (see AddFilter)
	OrderBy      string     // a record property; "" means Id (see Run for other orders)
	Descending   bool
	PageSize     int // records asked per page; 0 means 1000 (the server may serve fewer)
	Window       int // pages requested ahead of the one being written; 0 means 4
	BatchSize    int // ids per several-at-once read; 0 means 50
	MaxPasses    int // verification passes after data changed during the export; 0 means 2
	// Progress, when set, is called after each page is written.
	Progress func(Progress)
}

// Progress is how far an export has got.
type Progress struct {
	Records int // records written so far
	Total   int // the server's latest TotalItems
	Pages   int // pages fetched so far
	Pass    int // 1 for the first pass, more for verification passes
}

// Summary is what an export did.
type Summary struct {
	Records    int           `json:"records"`     // records written
	Pages      int           `json:"pages"`       // listing pages fetched
	TotalItems int           `json:"total_items"` // the server's count at the end
	Passes     int           `json:"passes"`      // listing passes: 1, more when data changed while paging
	Repaired   int           `json:"repaired"`    // records found by verification passes after moving, written at the end
	Repeats    int           `json:"repeats"`     // records served again and left out (already written)
	FullReads  int           `json:"full_reads"`  // several-at-once reads made for --full
	Consistent bool          `json:"consistent"`  // a pass saw a stable listing and the file holds all of it
	Elapsed    time.Duration `json:"-"`
}

// ErrInconsistent is returned, wrapped, when the data kept changing so that
// the export could not be shown complete; the CSV written holds everything
// found, with no duplicate Id.
var ErrInconsistent = errors.New("records kept moving while paging; the export could not be made consistent")

// Run exports the records opt selects from api to w as CSV. Pages are
// fetched a few at a time and written in order as they arrive, so memory
// does not grow with the number of records; only the set of Ids written
// (8 bytes each) does. The first pass pages in opt's order; when records
// moved while it paged, verification passes list again by Id (the only order
// in which a move can be detected) and write what was missed at the end of
// the output, so with another order than Id the file is then complete but
// not fully sorted (Summary.Repaired says how many rows are out of place).
// It returns an error wrapping ErrInconsistent when the result cannot be
// shown complete, ctx's error when interrupted, and the API's or the
// writer's error otherwise.
func Run(ctx context.Context, api API, w io.Writer, opt Options) (Summary, error) {
	start := time.Now()
	e := newExport(api, w, opt)
	err := e.run(ctx)
	e.sum.Elapsed = time.Since(start)
	return e.sum, err
}

type export struct {
	api     API
	opt     Options
	cols    []Column
	rawOut  io.Writer
	out     *csv.Writer
	safe    *gocsv.SafeCSVWriter
	row     []string
	seen    idSet
	dir     int    // the direction sent for the export's order
	orderBy string // the order of the current pass: opt.OrderBy, then Id
	asc     int    // the server's value for ascending
	desc    int    // the server's value for descending
	maxID   int64  // the highest Id when the current pass started
	passOld int    // records served in the current pass with Ids up to maxID
	sum     Summary
	mu      sync.Mutex // guards sum.FullReads
	pass    int
	passN   int // records served in the current pass
	passRep int // records served again within the current pass
	totals  []int
}

func newExport(api API, w io.Writer, opt Options) *export {
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
	out := csv.NewWriter(w)
	return &export{
		api:    api,
		opt:    opt,
		rawOut: w,
		cols:   cols,
		out:    out,
		safe:   gocsv.NewSafeCSVWriter(out),
		row:    make([]string, len(cols)),
	}
}

func (e *export) run(ctx context.Context) error {
	if err := e.direction(ctx); err != nil {
		return err
	}
	if e.opt.BOM {
		// Nothing is buffered in the CSV writer yet, so the mark comes first.
		if _, err := io.WriteString(e.rawOut, "\uFEFF"); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := e.safe.Write(ColumnNames(e.cols)); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	for e.pass = 1; e.pass <= 1+e.opt.MaxPasses; e.pass++ {
		e.sum.Passes = e.pass
		stable, err := e.listAll(ctx)
		if err != nil {
			return err
		}
		if stable {
			e.sum.Consistent = true
			return nil
		}
	}
	return fmt.Errorf("%w (%d records written, server now counts %d)", ErrInconsistent, e.sum.Records, e.sum.TotalItems)
}

// direction finds the server's sort direction convention: the endpoint page
// says 1 ascending and -1 descending, other Nexudus pages 0 and 1. It asks
// for two records by Id with dir=1 and looks at the order they come in.
func (e *export) direction(ctx context.Context) error {
	asc, desc := 1, -1
	one := 1
	pg, err := e.api.List(ctx, nexudus.ListOptions{Page: 1, Size: 2, OrderBy: "Id", Dir: &one})
	if err != nil {
		return fmt.Errorf("find the sort direction: %w", err)
	}
	if len(pg.Records) >= 2 && pg.Records[0].ID > pg.Records[1].ID {
		asc, desc = 0, 1 // dir=1 sorted descending: the other convention
	}
	e.asc, e.desc = asc, desc
	e.dir = asc
	if e.opt.Descending {
		e.dir = desc
	}
	return nil
}

func (e *export) listOptions(page, size int) nexudus.ListOptions {
	dir := e.dir
	return nexudus.ListOptions{Page: page, Size: size, OrderBy: e.orderBy, Dir: &dir, Filters: e.opt.Filters}
}

// byIDOrder reports whether the current pass pages by Id.
func (e *export) byIDOrder() bool { return strings.EqualFold(e.orderBy, "Id") }

// listAll makes one pass over the listing, writing the records not written
// yet, and reports whether the pass is shown complete.
//
// Offset paging skips a record when one before it is deleted between two
// page requests (and repeats one when a record is added before it, which
// the Id set leaves out). Nexudus gives new records increasing Ids, so the
// pass notes the highest Id and the count before it starts; at the end it
// counts the records above that Id. When the records at or below it are
// exactly as many as at the start, none was deleted, nothing moved back,
// and the pass saw every record that existed throughout it, which it
// checks by count too. Otherwise the caller makes another pass, writing
// what it missed.
func (e *export) listAll(ctx context.Context) (bool, error) {
	e.passN, e.passOld, e.passRep = 0, 0, 0
	e.totals = e.totals[:0]
	e.orderBy = e.opt.OrderBy
	if e.pass > 1 && !strings.EqualFold(e.orderBy, "Id") {
		// Only paging by Id can show that nothing was missed: verify by Id,
		// ascending, and append what the ordered pass missed.
		e.orderBy, e.dir = "Id", e.asc
	}
	top, err := e.api.List(ctx, e.byID(1, 1, e.desc))
	if err != nil {
		return false, fmt.Errorf("count contacts: %w", err)
	}
	startCount := top.TotalItems
	e.maxID = 0
	if len(top.Records) > 0 {
		e.maxID = top.Records[0].ID
	}
	first, err := e.fetch(ctx, 1)
	if err != nil {
		return false, err
	}
	if err := e.checkOrder(first); err != nil {
		return false, err
	}
	if err := e.write(first); err != nil {
		return false, err
	}
	last := first
	err = e.pipeline(ctx, 2, first.TotalPages, func(pg *nexudus.Page) error {
		last = pg
		return e.write(pg)
	})
	if err != nil {
		return false, err
	}
	// Records added while paging can add pages: go on while the server
	// says there are more.
	for next := max(2, first.TotalPages+1); len(last.Records) > 0 && (last.HasNextPage || next <= last.TotalPages); next++ {
		pg, err := e.fetch(ctx, next)
		if err != nil {
			return false, err
		}
		if err := e.write(pg); err != nil {
			return false, err
		}
		last = pg
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

// countAdded returns the server's count now and how many of those records
// have an Id above the highest one when the pass started.
func (e *export) countAdded(ctx context.Context) (total, added int, err error) {
	for page := 1; ; page++ {
		pg, err := e.api.List(ctx, e.byID(page, e.opt.PageSize, e.desc))
		if err != nil {
			return 0, 0, fmt.Errorf("count contacts: %w", err)
		}
		if page == 1 {
			total = pg.TotalItems
		}
		for _, r := range pg.Records {
			if r.ID <= e.maxID {
				return total, added, nil
			}
			added++
		}
		if len(pg.Records) == 0 || !pg.HasNextPage && page >= pg.TotalPages {
			return total, added, nil
		}
	}
}

// byID returns the options of a listing by Id with the export's filters.
func (e *export) byID(page, size, dir int) nexudus.ListOptions {
	return nexudus.ListOptions{Page: page, Size: size, OrderBy: "Id", Dir: &dir, Filters: e.opt.Filters}
}

// checkOrder makes sure a listing by Id comes back in the order asked.
func (e *export) checkOrder(pg *nexudus.Page) error {
	if !e.byIDOrder() {
		return nil
	}
	for i := 1; i < len(pg.Records); i++ {
		a, b := pg.Records[i-1].ID, pg.Records[i].ID
		if (a > b) != (e.dir != e.asc) {
			return fmt.Errorf("list contacts: the server did not sort by Id as asked (dir=%d); cannot page consistently", e.dir)
		}
	}
	return nil
}

// pipeline fetches pages from..to with up to Window requests at once and
// hands them to write in page order.
func (e *export) pipeline(ctx context.Context, from, to int, write func(*nexudus.Page) error) error {
	if from > to {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	type result struct {
		pg  *nexudus.Page
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
				pg, err := e.fetch(ctx, p)
				ch <- result{pg, err}
			}()
		}
	}()
	for ch := range slots {
		r := <-ch
		if r.err != nil {
			return r.err
		}
		if err := write(r.pg); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// fetch lists one page and, for --full, fills in the fields the listing
// leaves out for the records not written yet.
func (e *export) fetch(ctx context.Context, page int) (*nexudus.Page, error) {
	pg, err := e.api.List(ctx, e.listOptions(page, e.opt.PageSize))
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", page, err)
	}
	if !e.opt.Full {
		return pg, nil
	}
	var ids []int64
	index := make(map[int64]int, len(pg.Records))
	for i, r := range pg.Records {
		if !e.seen.has(r.ID) {
			ids = append(ids, r.ID)
			index[r.ID] = i
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), e.opt.BatchSize)
		full, err := e.api.Get(ctx, ids[:n])
		if err != nil {
			return nil, fmt.Errorf("read full contacts: %w", err)
		}
		e.mu.Lock()
		e.sum.FullReads++
		e.mu.Unlock()
		for _, f := range full {
			if i, ok := index[f.ID]; ok {
				r := &pg.Records[i]
				r.Address, r.PostCode, r.CityName, r.State, r.Notes = f.Address, f.PostCode, f.CityName, f.State, f.Notes
			}
		}
		ids = ids[n:]
	}
	return pg, nil
}

// write writes the page's records not written yet, in order.
func (e *export) write(pg *nexudus.Page) error {
	e.sum.Pages++
	e.totals = append(e.totals, pg.TotalItems)
	e.passN += len(pg.Records)
	for i := range pg.Records {
		r := &pg.Records[i]
		if r.ID <= e.maxID {
			e.passOld++
		}
		if !e.seen.add(r.ID) {
			e.sum.Repeats++
			if e.pass == 1 {
				e.passRep++ // in later passes most repeats are from earlier passes
			}
			continue
		}
		for j, c := range e.cols {
			v := c.cell(r, e.opt.NumericEnums)
			if !e.opt.Raw {
				v = mapping.Quote(v)
			}
			e.row[j] = v
		}
		if err := e.safe.Write(e.row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		e.sum.Records++
		if e.pass > 1 {
			e.sum.Repaired++
		}
	}
	e.safe.Flush()
	if err := e.safe.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if e.opt.Progress != nil {
		e.opt.Progress(Progress{Records: e.sum.Records, Total: pg.TotalItems, Pages: e.sum.Pages, Pass: e.pass})
	}
	return nil
}
