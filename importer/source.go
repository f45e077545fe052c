package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/gocarina/gocsv"

	"contactbulk/mapping"
)

// Status is what happened to a row, as the results file says it.
type Status string

// The statuses of the results file.
const (
	Created Status = "created" // created by this import (its journal says so)
	Exists  Status = "exists"  // found in the space already, with the row's values
	Invalid Status = "invalid" // refused by validation; never sent
	Failed  Status = "failed"  // refused by the API
	Pending Status = "pending" // not done yet: a re-run continues with it
)

// Problem is one problem of a row: the API field (or the sheet's column
// when unmapped) and what is wrong.
type Problem = mapping.Problem

// Row is one data row: what the sheet said, the contact it maps to, and
// every problem found.
type Row struct {
	Line     int                     // spreadsheet row number; the header is row 1
	Cells    []string                // the input's own cells, as read (results columns stripped)
	Contact  mapping.Contact         // meaningful only when Valid()
	RecordID int64                   // the record the row is, from an Id column (an export fed back); 0 for none
	Given    [mapping.NumFields]bool // the fields the row gives (a constant or a non-blank cell); an update changes only these
	Problems []Problem               // every problem of the row
	Prior    Status                  // when the input is a results file: its status column ("" otherwise)
	PriorID  int64                   // and its id column
	Lookups  *mapping.LookupValues   // what the row names its contract, coworker or country by, to look their Ids up (lookup.go); nil for nothing

	repeatKey uint64 // what makes the row the same as another, hashed
	repeat    repeat // and what kind of sameness that is
}

// Valid reports whether the row has no problem.
func (r *Row) Valid() bool { return len(r.Problems) == 0 }

// resultsColumns are the columns a results file puts before the input's.
var resultsColumns = [4]string{"row", "status", "id", "error"}

// Source yields the data rows of one pass, in order, in constant memory.
type Source struct {
	in         *Input
	rd         gocsv.CSVReader // the file's records, header first
	closers    []io.Closer
	columns    []string
	results    bool // the input is a results file: strip its four columns
	layout     *mapping.Layout
	notes      []string
	line       int
	lastEnd    int       // the file line the previous record ended on (CSV)
	sheet      *xlsxRows // the .xlsx reader, nil for CSV
	xlsx       bool
	pre        batch // data rows read while looking for the header
	headerLine int   // the header's row number (raw passes)
	dateCol    int   // the record index of the date column, -1 for none
	seed       maphash.Seed
	seen       *rowSet        // repeat key -> first row
	batches    chan *batch    // batches in order, mapped or being mapped
	work       chan *batch    // batches to map
	free       chan *batch    // batches Next is done with, for the reader to fill again
	stop       chan struct{}  // closed by Close: the goroutines stop
	wg         sync.WaitGroup // the reader and the mappers
	cur        *batch
	next       int // the next row of cur
}

// batch is a run of records read ahead, each with its row number, and
// the rows they map to once done is closed.
type batch struct {
	recs  [][]string
	lines []int
	slab  []string // one array for the cells of recs: one allocation, not one a row
	rows  []Row
	err   error         // after the records: why reading stopped (io.EOF at the end)
	done  chan struct{} // closed when rows are mapped
}

// nextBatch returns a batch Next is done with, emptied, or a new one:
// reusing them spares the garbage collector most of a pass's allocations.
func (s *Source) nextBatch() *batch {
	select {
	case b := <-s.free:
		b.recs, b.lines, b.slab, b.err = b.recs[:0], b.lines[:0], b.slab[:0], nil
		b.done = make(chan struct{})
		return b
	default:
		return &batch{recs: make([][]string, 0, batchSize), lines: make([]int, 0, batchSize), done: make(chan struct{})}
	}
}

const batchSize = 256

// readAhead reads records on its own goroutine, in batches that mappers
// on the other cores turn into rows, while Next takes them in order: so
// parsing the file and checking rows use every core. Only the repeat
// check, which needs the rows in order, is left to Next.
func (s *Source) readAhead() {
	defer s.wg.Done()
	defer close(s.work)
	defer close(s.batches)
	first := true
	for {
		b := s.nextBatch()
		if first {
			b.recs, b.lines = append(b.recs, s.pre.recs...), append(b.lines, s.pre.lines...)
			first = false
		}
		if b.slab == nil {
			width := len(s.columns)
			if s.results {
				width += len(resultsColumns)
			}
			b.slab = make([]string, 0, batchSize*width)
		}
		slab := b.slab
		for len(b.recs) < batchSize {
			rec, err := s.read()
			if err != nil {
				b.err = err
				break
			}
			if blank(rec) {
				continue
			}
			start := len(slab)
			slab = append(slab, rec...)
			b.recs = append(b.recs, slab[start:len(slab):len(slab)])
			b.lines = append(b.lines, s.line)
		}
		b.slab = slab
		select {
		case s.batches <- b:
		case <-s.stop:
			return
		}
		select {
		case s.work <- b:
		case <-s.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// mapRows maps the batches read ahead into rows.
func (s *Source) mapRows() {
	defer s.wg.Done()
	for b := range s.work {
		if n := len(b.recs); cap(b.rows) >= n {
			b.rows = b.rows[:n]
			clear(b.rows)
		} else {
			b.rows = make([]Row, n)
		}
		for i, rec := range b.recs {
			s.row(&b.rows[i], rec, b.lines[i])
		}
		close(b.done)
	}
}

// Rows starts a fresh pass over the input from its first data row. Its
// errors satisfy errors.Is(err, ErrInput).
func (in *Input) Rows() (*Source, error) {
	s, err := in.header(0)
	if err != nil {
		return nil, err
	}
	s.seed, s.seen = maphash.MakeSeed(), newRowSet(in.found.rows)
	mappers := max(1, runtime.GOMAXPROCS(0))
	s.batches, s.work, s.stop = make(chan *batch, 2*mappers+2), make(chan *batch, mappers), make(chan struct{})
	s.free = make(chan *batch, 2)
	s.wg.Add(1 + mappers)
	go s.readAhead()
	for range mappers {
		go s.mapRows()
	}
	return s, nil
}

// header starts a pass that reads at most limit bytes of a CSV (0: all)
// and reads its header; Rows then reads the rows.
func (in *Input) header(limit int64) (*Source, error) {
	s := &Source{in: in, dateCol: -1}
	if in.xlsx {
		if err := s.openXLSX(); err != nil {
			return nil, err
		}
	} else if err := s.openCSV(limit); err != nil {
		return nil, err
	}
	if err := s.readHeader(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) openCSV(limit int64) error {
	r, closeText, err := s.in.text(limit)
	if err != nil {
		return badInput("read %s: %w", s.in.name, err)
	}
	s.closers = append(s.closers, closer(closeText))
	if s.in.enc == encWindows1252 {
		r = decode(r, encWindows1252)
	}
	cr := csv.NewReader(r)
	cr.Comma = s.in.delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = false
	s.rd = cr
	return nil
}

// closer makes a func an io.Closer.
type closer func() error

func (c closer) Close() error { return c() }

// maxTitleRows is how many rows above the header a sheet may have: a
// title, a date, a blank line between.
const maxTitleRows = 10

// readHeader finds the header row, maps it and sets the layout. The
// header is the first non-blank row that names a field (or a column of
// the mapping); rows above it are a title, skipped and noted. When no row
// of the first few names one, the first row is the header, and mapping it
// says what is missing.
func (s *Source) readHeader() error {
	var rows batch
	header := -1
	for len(rows.recs) <= maxTitleRows && header < 0 {
		rec, err := s.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		rows.recs = append(rows.recs, append([]string(nil), rec...))
		rows.lines = append(rows.lines, s.line)
		if mapping.HeaderScore(trimHeader(rec), s.in.opt.Mapping) > 0 {
			header = len(rows.recs) - 1
		}
	}
	if len(rows.recs) == 0 {
		return badInput("%s is empty: it needs a header row and at least one data row", s.in.name)
	}
	if s.in.opt.Raw {
		s.columns, s.headerLine = trimHeader(rows.recs[0]), rows.lines[0]
		s.pre = batch{recs: rows.recs[1:], lines: rows.lines[1:]}
		return nil
	}
	if header < 0 {
		header = 0
	}
	for i := range header {
		s.notes = append(s.notes, fmt.Sprintf("row %d (%s) is above the header row: skipped", rows.lines[i], titleText(rows.recs[i])))
	}
	s.pre = batch{recs: rows.recs[header+1:], lines: rows.lines[header+1:]}
	header2 := trimHeader(rows.recs[header])
	if len(header2) >= 4 {
		s.results = true
		for i, c := range resultsColumns {
			if !strings.EqualFold(header2[i], c) {
				s.results = false
			}
		}
	}
	if s.results {
		header2 = header2[4:]
		s.notes = append(s.notes, "reading a results file: its row, status, id and error columns are not data; its statuses and ids are hints the import checks against the space")
	}
	s.columns = header2
	layout, err := mapping.NewLayout(header2, s.in.opt.Mapping, s.in.order, s.in.today)
	if err != nil {
		return badInput("%s: %w", s.in.name, err)
	}
	if s.in.why != "" {
		layout.InferDateOrder(s.in.order, s.in.why)
	}
	if s.in.enc.singleByte() {
		layout.SetSingleByte(s.in.enc.String())
	}
	s.layout = layout
	s.notes = append(s.notes, s.layout.Notes()...)
	s.notes = append(s.notes, s.in.notes...)
	if dob := s.layout.Column(mapping.FieldDateOfBirth); dob >= 0 {
		if s.results {
			dob += len(resultsColumns)
		}
		s.dateCol = dob
		if s.sheet != nil {
			s.sheet.date = dob
		}
	}
	return nil
}

// trimHeader returns a header row's cells trimmed and unquoted.
func trimHeader(rec []string) []string {
	header := make([]string, len(rec))
	for i, h := range rec {
		header[i] = strings.TrimSpace(mapping.Unquote(h))
	}
	return header
}

// titleText quotes a title row's text for a note, shortened.
func titleText(rec []string) string {
	var parts []string
	for _, c := range rec {
		if c = strings.TrimSpace(c); c != "" {
			parts = append(parts, c)
		}
	}
	t := strings.Join(parts, " ")
	if r := []rune(t); len(r) > 60 {
		t = string(r[:57]) + "..."
	}
	return strconv.Quote(t)
}

// read returns the next record and advances the row number.
func (s *Source) read() ([]string, error) {
	rec, err := s.rd.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, badInput("read %s: row %d: %w (fix the quoting in that row)", s.in.name, s.line+1, pe.Err)
		}
		if err == io.EOF {
			return nil, err
		}
		return nil, badInput("read %s: %w", s.in.name, err)
	}
	if cr, ok := s.rd.(*csv.Reader); ok {
		// A spreadsheet shows a blank line as an empty row, and a quoted
		// cell's newlines inside one row: count rows as it does.
		start, _ := cr.FieldPos(0)
		end, _ := cr.FieldPos(len(rec) - 1)
		end += strings.Count(rec[len(rec)-1], "\n")
		if s.lastEnd == 0 {
			s.line = start
		} else {
			s.line += 1 + max(0, start-s.lastEnd-1)
		}
		s.lastEnd = end
	} else {
		s.line++
	}
	return rec, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Records calls fn with the header (line 0 for it is its row number) and
// then every non-blank record of a fresh pass, as read: no mapping, no
// check. It is for files opened with ReadOptions.Raw, such as a results
// file read back. fn's error ends the pass and is returned.
func (in *Input) Records(ctx context.Context, fn func(line int, rec []string) error) error {
	s, err := in.header(0)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := fn(s.headerLine, s.columns); err != nil {
		return err
	}
	for i, rec := range s.pre.recs {
		if err := fn(s.pre.lines[i], rec); err != nil {
			return err
		}
	}
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := s.read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !blank(rec) {
			if err := fn(s.line, rec); err != nil {
				return err
			}
		}
	}
}

// BadCells returns the indexes of the row's cells that its problems are
// about, for marking them in a results workbook.
func (s *Source) BadCells(r *Row) []int {
	var out []int
	for _, p := range r.Problems {
		if i := s.cellOf(p.Column); i >= 0 {
			out = append(out, i)
		}
	}
	return out
}

// cellOf returns the index of the cell a problem's column names: a
// field's column, the Id column, or a header; -1 for none.
func (s *Source) cellOf(column string) int {
	switch {
	case column == "":
		return -1
	case strings.EqualFold(column, "Id"):
		return s.layout.IDColumn()
	}
	if fi, ok := mapping.LookupField(column); ok {
		return s.layout.Column(fi)
	}
	if k, ok := mapping.LookupByName(column); ok {
		return s.layout.LookupColumn(k)
	}
	for i, h := range s.columns {
		if strings.EqualFold(h, column) {
			return i
		}
	}
	return -1
}

// Columns returns the input's own header cells, without a results file's
// row/status/id/error columns.
func (s *Source) Columns() []string { return s.columns }

// Notes returns what the header says once: ignored columns, read-only
// export fields ignored, the encoding read.
func (s *Source) Notes() []string { return s.notes }

// Next returns the next data row, or io.EOF after the last. Rows with every
// cell blank are skipped. The row, its cells included, is the caller's
// until the next call: copy what must outlive it. Its errors (a file that
// cannot be read on) satisfy errors.Is(err, ErrInput).
func (s *Source) Next() (*Row, error) {
	for s.cur == nil || s.next == len(s.cur.rows) {
		if s.cur != nil && s.cur.err != nil {
			return nil, s.cur.err
		}
		b, ok := <-s.batches
		if !ok {
			return nil, io.EOF
		}
		<-b.done
		if s.cur != nil {
			select {
			case s.free <- s.cur: // its rows are the caller's no more
			default:
			}
		}
		s.cur, s.next = b, 0
	}
	r := &s.cur.rows[s.next]
	s.next++
	s.checkRepeat(r)
	return r, nil
}

// repeat says what makes two rows one: the kinds of repeat key.
type repeat uint8

const (
	noRepeatKey repeat = iota // the row has no identity to compare
	repeatsID
	repeatsCoworker
	repeatsName
)

func (w repeat) String() string {
	switch w {
	case repeatsID:
		return "same Id"
	case repeatsCoworker:
		return "same contract, coworker and type"
	}
	return "same contract, name and type"
}

// row maps and checks one record into r. It runs on the mappers, so it
// only reads s.
func (s *Source) row(r *Row, rec []string, line int) {
	r.Line = line
	if s.results && len(rec) >= 4 {
		switch st := Status(strings.ToLower(strings.TrimSpace(rec[1]))); st {
		case Created, Updated, Exists, Differs, Ambiguous, New, Invalid, Failed, Pending, Deleted:
			r.Prior = st
		}
		r.PriorID, _ = strconv.ParseInt(strings.TrimSpace(rec[2]), 10, 64)
		rec = rec[4:]
	}
	width := len(s.columns)
	cells := rec
	if s.xlsx {
		// Spreadsheets drop trailing empty cells: pad them back.
		for len(cells) < width {
			cells = append(cells, "")
		}
	}
	r.Cells = cells
	if len(cells) != width && !(s.xlsx && blank(cells[width:])) {
		r.Problems = append(r.Problems, Problem{Message: fmt.Sprintf("row has %s but the header has %d; check the delimiters and quotes in this row", plural(len(cells), "cell", "cells"), width)})
	}
	r.Contact, r.Given, r.Problems = s.layout.Read(cells, r.Problems)
	r.Lookups, r.Problems = s.layout.Lookups(cells, &r.Contact, r.Problems)
	if id, msg := s.layout.RecordID(cells); msg != "" {
		r.Problems = append(r.Problems, Problem{Column: "Id", Message: msg})
	} else {
		r.RecordID = id
	}
	r.repeatKey, r.repeat = s.repeatKey(r)
}

// repeatKey returns the hash of what makes a row the same as another: the
// record (Id), or the identity (contract, type, and coworker or name; see
// mapping.Identity); noRepeatKey for a row that has neither.
func (s *Source) repeatKey(r *Row) (uint64, repeat) {
	c := &r.Contact
	if r.RecordID == 0 && (c.CoworkerContractID == 0 || c.FullName == "") {
		return 0, noRepeatKey
	}
	if r.RecordID == 0 && c.CoworkerID == nil && r.Lookups.ForField(mapping.FieldCoworkerID) {
		// Linked to a coworker by a lookup: who it is is known only once
		// looked up (two John Smiths told apart by their emails), and
		// checked then.
		return 0, noRepeatKey
	}
	for _, p := range r.Problems {
		if p.Column == "ContractContactType" || p.Column == "CoworkerId" || p.Column == "Id" {
			return 0, noRepeatKey
		}
	}
	var buf [64]byte
	b := buf[:0]
	what := repeatsName
	switch {
	case r.RecordID != 0:
		b = append(b, "id:"...)
		b = strconv.AppendInt(b, r.RecordID, 10)
		what = repeatsID
	case c.CoworkerID != nil:
		b = strconv.AppendInt(b, c.CoworkerContractID, 10)
		b = append(b, 0, byte('0'+c.ContractContactType), 1)
		b = strconv.AppendInt(b, *c.CoworkerID, 10)
		what = repeatsCoworker
	default:
		b = strconv.AppendInt(b, c.CoworkerContractID, 10)
		b = append(b, 0, byte('0'+c.ContractContactType), 0)
		b = foldKey(b, c.FullName)
	}
	return maphash.Bytes(s.seed, b), what
}

// checkRepeat flags a row that is an earlier row again. It keeps a hash
// of each row, not the rows.
func (s *Source) checkRepeat(r *Row) {
	if r.repeat == noRepeatKey {
		return
	}
	if first := s.seen.firstOr(r.repeatKey, int32(r.Line)); first != int32(r.Line) {
		r.Problems = append(r.Problems, Problem{Message: fmt.Sprintf("repeats row %d (%s)", first, r.repeat)})
	}
}

// foldKey appends name's mapping.NameKey; plain ASCII names, the common
// case, are folded without allocating.
func foldKey(b []byte, name string) []byte {
	start := len(b)
	space := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			return append(b[:start], mapping.NameKey(name)...)
		}
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			space = len(b) > start
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return b
}

// Close ends the pass.
func (s *Source) Close() error {
	if s.stop != nil {
		close(s.stop)
		s.wg.Wait()
		s.stop = nil
	}
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}
