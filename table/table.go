// Package table writes rows of text cells as files people open in
// spreadsheets: CSV (formula cells neutralised, optional byte order mark,
// UTF-8, Windows-1252 or UTF-16LE) or XLSX (streamed in constant memory,
// text stored as text, header row frozen, cells marked). Export and the
// import results file both write through it.
//
// A Writer is made with New over any io.Writer (a stream such as stdout),
// or with Create over a path: a regular file is written under a temporary
// name and renamed into place by Commit (mode 0600); a FIFO, a character
// device or a descriptor name (/dev/stdout, /proc/self/fd/1) is written in
// place and never replaced. OpenDest gives that path handling alone, for
// a caller that writes through its own layers (a hash, a counter) to New.
// Cells are written as given, except that CSV neutralises formula cells
// with mapping.Quote unless Options.Raw (so a caller feeding back cells it
// read should mapping.Unquote them first), and XLSX stores every cell as
// text unless its column is in Options.Numbers.
//
//	f, err := table.Create("contacts.xlsx", []string{"Id", "FullName"}, table.Options{Format: table.XLSX})
//	if err != nil { ... }
//	defer f.Abort() // a no-op once committed
//	err = f.Write([]string{"1", "=cmd"}) // stored as text in XLSX, '=cmd in CSV
//	...
//	err = f.Commit()
package table

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is a file format a Writer produces.
type Format int

// The formats.
const (
	CSV Format = iota
	XLSX
)

func (f Format) String() string {
	if f == XLSX {
		return "xlsx"
	}
	return "csv"
}

// ParseFormat reads a format name, csv or xlsx (any case). It returns an
// error listing both for anything else.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return CSV, nil
	case "xlsx":
		return XLSX, nil
	}
	return CSV, fmt.Errorf("format %q: use csv or xlsx", s)
}

// FormatOf returns the format a file name's extension chooses: XLSX for
// .xlsx, CSV for anything else. ok is false when the extension names a
// spreadsheet format this package cannot write (.xls, .xlsm, .ods), so that
// the caller can refuse it rather than write CSV under that name.
func FormatOf(path string) (f Format, ok bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		return XLSX, true
	case ".xls", ".xlsm", ".xlsb", ".ods", ".numbers":
		return CSV, false
	}
	return CSV, true
}

// Mark highlights a cell of an XLSX file, so that a person finds the cells
// that need attention; CSV files carry no marks.
type Mark uint8

// The marks.
const (
	Plain   Mark = iota // no highlight
	Warning             // amber fill: look at it (e.g. a row left pending)
	Error               // red fill: wrong (e.g. an invalid or refused cell)
)

// Options says how a table is written. The zero value writes UTF-8 CSV
// with commas, \n line ends, no byte order mark, formula cells neutralised.
type Options struct {
	Format Format

	// CSV only.
	Raw      bool     // leave cells a spreadsheet would run as formulas as they are (no leading ')
	BOM      bool     // start with a byte order mark (always written for UTF-16LE)
	Encoding Encoding // UTF8 when zero
	Comma    rune     // field separator; ',' when 0
	CRLF     bool     // \r\n line ends, as Excel writes them

	// XLSX only.
	Sheet string // sheet name; "Sheet1" when ""
	// Numbers are the columns (0-based) whose cells are stored as numbers
	// when they are plain integers of at most 15 digits with no leading
	// zero, so that they sort and sum in a spreadsheet; every other cell
	// is stored as text in a text-formatted cell.
	Numbers []int
}

// ErrCellTooLong is returned, wrapped with the row and column, when a cell
// is longer than an XLSX cell may hold (32,767 characters): the file would
// lose its end, so nothing is cut.
var ErrCellTooLong = errors.New("longer than the 32,767 characters a spreadsheet cell holds; export to CSV instead")

// ErrNotEncodable is returned, wrapped with the row and column, when a
// cell holds characters the chosen single-byte encoding (Windows-1252)
// cannot hold: they would become '?', so nothing is written as that.
var ErrNotEncodable = errors.New("holds characters windows-1252 cannot hold; write UTF-8 or XLSX instead")

// CellError says which cell could not be written and why.
type CellError struct {
	Row    int    // 1 is the header
	Column string // the column's header
	Err    error
}

func (e *CellError) Error() string {
	return fmt.Sprintf("row %d, column %s: %v", e.Row, e.Column, e.Err)
}

// Unwrap returns the cell's own error, such as ErrNotEncodable.
func (e *CellError) Unwrap() error { return e.Err }

// rowWriter is one format's writer.
type rowWriter interface {
	write(row int, cells []string, marks []Mark) error
	flush() error
	// close finishes the table on its destination when commit, and in
	// any case releases what the writer holds.
	close(commit bool) error
}

// Writer writes the rows of one table. It is not safe for concurrent use.
type Writer struct {
	impl   rowWriter
	header []string
	rows   int // rows written, the header included
	err    error
	closed bool
}

// New starts a table on w and writes its header row (frozen in XLSX). The
// table is complete only after Close, which for XLSX ends the workbook
// (a spreadsheet program opens none that lacks its end). It returns an error for an unknown encoding or sheet name, or
// when the header cannot be written.
func New(w io.Writer, header []string, opt Options) (*Writer, error) {
	var impl rowWriter
	var err error
	switch opt.Format {
	case CSV:
		impl, err = newCSV(w, opt)
	case XLSX:
		impl, err = newXLSX(w, header, opt)
	default:
		err = fmt.Errorf("unknown format %d", opt.Format)
	}
	if err != nil {
		return nil, err
	}
	t := &Writer{impl: impl, header: header}
	if err := t.Write(header); err != nil {
		return nil, err
	}
	return t, nil
}

// Write adds one row. Rows may be shorter or longer than the header. It
// returns a *CellError for a cell the format cannot hold (wrapping
// ErrCellTooLong, or an encoding's error), and the destination's error.
// After an error the Writer refuses further rows.
func (t *Writer) Write(cells []string) error { return t.WriteMarked(cells, nil) }

// WriteMarked adds one row with a mark for each cell (marks may be shorter
// than cells: the rest are Plain). CSV ignores the marks.
func (t *Writer) WriteMarked(cells []string, marks []Mark) error {
	if t.err != nil {
		return t.err
	}
	if t.closed {
		return errors.New("table already closed")
	}
	t.rows++
	if err := t.impl.write(t.rows, cells, marks); err != nil {
		var ce *cellError
		if errors.As(err, &ce) {
			err = &CellError{Row: t.rows, Column: t.column(ce.col), Err: ce.err}
		}
		t.err = err
		return err
	}
	return nil
}

// cellError is a format's error about one cell, by index.
type cellError struct {
	col int
	err error
}

func (e *cellError) Error() string { return e.err.Error() }

// column names column i by its header, or by its letter when the header
// has no such column.
func (t *Writer) column(i int) string {
	if i < len(t.header) && t.header[i] != "" {
		return t.header[i]
	}
	name := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		name = string(rune('A'+(n-1)%26)) + name
	}
	return name
}

// Rows returns how many rows were written, the header included.
func (t *Writer) Rows() int { return t.rows }

// Flush hands what CSV rows are buffered to the destination and reports
// any error writing them (an XLSX workbook is readable only after Close).
// Call it when a reader downstream should see the rows so far (after each
// page of an export to stdout).
func (t *Writer) Flush() error {
	if t.err != nil {
		return t.err
	}
	if err := t.impl.flush(); err != nil {
		t.err = err
		return err
	}
	return nil
}

// Close finishes the table: it flushes CSV, or ends the XLSX workbook on
// the destination. It does not close the destination. It returns the
// first error met writing the table.
func (t *Writer) Close() error {
	if t.closed {
		return t.err
	}
	t.closed = true
	if t.err != nil {
		t.impl.close(false) // the first error stands
		return t.err
	}
	t.err = t.impl.close(true)
	return t.err
}

// Discard gives the table up: it releases what the writer holds without
// finishing the table. Use it instead of Close
// when a run fails; it is a no-op after Close.
func (t *Writer) Discard() {
	if t.closed {
		return
	}
	t.closed = true
	t.impl.close(false)
}
