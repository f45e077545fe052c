package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"contactbulk/mapping"
	"contactbulk/safefile"
	"contactbulk/table"
)

// The statuses a results file adds to those of source.go.
const (
	New       Status = "new"       // plan: no record is this row; the import creates it
	Updated   Status = "updated"   // the row's record was updated with the sheet's values (--update)
	Differs   Status = "differs"   // the row's record exists with other values; error names them
	Ambiguous Status = "ambiguous" // several records could be this row; nothing was written
	Deleted   Status = "deleted"   // undo deleted the record this row created
)

// ResultsWriter writes a results file: header row,status,id,error and the
// input's columns, then one line per input data row, in input order. It
// writes through the table package: CSV (every cell neutralised with
// mapping.Quote) or XLSX (text cells, the header frozen, the status and
// the wrong cells marked), under a temporary name renamed into place by
// Commit, so a crash never leaves half a file.
type ResultsWriter struct {
	path  string
	f     *table.File
	rec   []string
	marks []table.Mark
}

// ResultsShape returns how the results file at path is written when its
// input was in: XLSX for a .xlsx path; otherwise CSV the way the input was
// written, so that Excel opens it as it opened the input (its encoding,
// byte order mark, delimiter and line ends), and UTF-8 with a byte order
// mark for an input that was a workbook.
func ResultsShape(path string, in Shape) table.Options {
	if f, _ := table.FormatOf(path); f == table.XLSX {
		return table.Options{Format: table.XLSX, Sheet: "Results"}
	}
	if in.XLSX {
		return table.Options{BOM: true, CRLF: true}
	}
	opt := table.Options{Comma: in.Delimiter, CRLF: in.CRLF, BOM: in.BOM}
	switch {
	case strings.HasPrefix(in.Encoding, "utf-16"), strings.HasPrefix(in.Encoding, "utf-32"):
		opt.Encoding, opt.BOM = table.UTF16LE, true // Excel's "Unicode text"
	case in.Encoding == "windows-1252":
		opt.Encoding, opt.BOM = table.Windows1252, false
	}
	return opt
}

// CreateResults starts a results file at path for an input with the given
// columns, written as opt says (see ResultsShape). It returns an error
// when the folder is not writable.
func CreateResults(path string, columns []string, opt table.Options) (*ResultsWriter, error) {
	header := append(resultsColumns[:len(resultsColumns):len(resultsColumns)], columns...)
	f, err := table.Create(path, header, opt)
	if err != nil {
		return nil, fmt.Errorf("write results %s: %w", path, err)
	}
	return &ResultsWriter{path: path, f: f}, nil
}

// Write adds the line of one input row: its row number, status, the Id
// created or found (0: none), the message, the row's own cells, and the
// indexes of the cells that are wrong (marked in XLSX, with the status and
// the message).
func (w *ResultsWriter) Write(line int, status Status, id int64, msg string, cells []string, bad []int) error {
	w.rec = append(w.rec[:0], strconv.Itoa(line), string(status), "", oneLine(msg))
	if id != 0 {
		w.rec[2] = strconv.FormatInt(id, 10)
	}
	for _, c := range cells {
		// The cell's value as import reads it, quoted again on writing:
		// the line fed back imports the same value, and an already
		// neutralised cell is not quoted twice.
		w.rec = append(w.rec, mapping.Unquote(c))
	}
	mark := markOf(status)
	w.marks = w.marks[:0]
	if mark != table.Plain {
		w.marks = append(w.marks, table.Plain, mark, table.Plain, mark)
		for range cells {
			w.marks = append(w.marks, table.Plain)
		}
		for _, i := range bad {
			if i >= 0 && i < len(cells) {
				w.marks[len(resultsColumns)+i] = table.Error
			}
		}
	}
	if err := w.f.WriteMarked(w.rec, w.marks); err != nil {
		return fmt.Errorf("write results %s: %w", w.path, err)
	}
	return nil
}

// writeResultsFile writes the results file at path as opt says: fill
// writes its rows, calling create with the columns once it knows them.
// A Windows-1252 file that cannot hold a cell (a value from the space
// quoted in a message) is written again as UTF-8 with a byte order mark,
// which Excel opens as well, rather than with '?' for what it lost. The
// previous file stays as it was unless the new one is complete.
func writeResultsFile(path string, opt table.Options, fill func(create func([]string) (*ResultsWriter, error)) error) error {
	attempt := func(opt table.Options) error {
		var w *ResultsWriter
		err := fill(func(columns []string) (*ResultsWriter, error) {
			var err error
			w, err = CreateResults(path, columns, opt)
			return w, err
		})
		switch {
		case w == nil:
			return err
		case err != nil:
			w.Abort()
			return err
		}
		return w.Commit()
	}
	err := attempt(opt)
	if errors.Is(err, table.ErrNotEncodable) && opt.Encoding == table.Windows1252 {
		opt.Encoding, opt.BOM = table.UTF8, true
		err = attempt(opt)
	}
	return err
}

// markOf is how a status is marked in an XLSX results file: refused rows
// in red, rows that need a look in amber.
func markOf(s Status) table.Mark {
	switch s {
	case Invalid, Failed:
		return table.Error
	case Pending, Differs, Ambiguous:
		return table.Warning
	}
	return table.Plain
}

// oneLine keeps a message on one line of the file.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}

// Commit finishes the file and renames it into place.
func (w *ResultsWriter) Commit() error {
	if err := w.f.Commit(); err != nil {
		return fmt.Errorf("write results %s: %w", w.path, err)
	}
	return nil
}

// Abort drops the file being written; the previous file at path, if any,
// stays as it was.
func (w *ResultsWriter) Abort() { w.f.Abort() }

// DefaultResultsPath returns NAME.results.csv beside the input, or
// NAME.results.xlsx for a workbook (for stdin, "-", stdin.results.csv in
// the working folder).
func DefaultResultsPath(inputPath string) string {
	if inputPath == "-" || inputPath == "" || inputPath == "stdin" {
		return "stdin.results.csv"
	}
	base := filepath.Base(inputPath)
	ext := filepath.Ext(base)
	name := strings.TrimSuffix(strings.TrimSuffix(base, ext), ".results")
	out := ".results.csv"
	if strings.EqualFold(ext, ".xlsx") {
		out = ".results.xlsx"
	}
	return filepath.Join(filepath.Dir(inputPath), name+out)
}

// CheckOutputs checks, before anything is written anywhere, that the
// results file and its journal can be written: the folder exists and is
// writable, and neither path is a folder or a file of someone else's (a
// file that is not a contactbulk results file or journal). input is the
// file being imported, which may be the results file fed back. Its errors
// satisfy errors.Is(err, ErrInput).
func CheckOutputs(results, input string) error {
	dir := filepath.Dir(results)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return badInput("--results %s: the folder %s does not exist; create it or choose another --results path", results, dir)
	}
	probe, err := os.CreateTemp(dir, ".contactbulk-probe-*")
	if err != nil {
		return badInput("--results %s: cannot write in %s (%v); choose another --results path", results, dir, safefile.PathCause(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	for _, c := range []struct {
		path string
		ours func(string) (bool, error)
		what string
	}{
		{results, isResults, "a contactbulk results file"},
		{JournalPath(results), isJournal, "a contactbulk journal"},
	} {
		st, err := os.Stat(c.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return badInput("--results %s: %v", results, safefile.PathCause(err))
		}
		if st.IsDir() {
			return badInput("--results %s: %s is a folder; give a file name, such as %s", results, c.path, filepath.Join(c.path, "contacts.results.csv"))
		}
		if !st.Mode().IsRegular() {
			return badInput("--results %s: %s is not a regular file; choose another --results path", results, c.path)
		}
		if same(c.path, input) {
			continue // a results file fed back, written again in place
		}
		ok, err := c.ours(c.path)
		if err != nil {
			return badInput("--results %s: %v", results, safefile.PathCause(err))
		}
		if !ok {
			return badInput("--results %s: %s exists and is not %s, so it would be overwritten; choose another --results path, or move that file", results, c.path, c.what)
		}
	}
	return nil
}

// same reports whether two paths name one file.
func same(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// isResults reports whether the file at path is a results file: its
// header, read as the importer reads any sheet (CSV in any encoding, or
// XLSX), starts with row,status,id,error; an empty file counts (a run
// killed before writing it).
func isResults(path string) (bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if st.Size() == 0 {
		return true, nil
	}
	in, err := Open(path, nil, ReadOptions{Raw: true})
	if err != nil {
		return false, nil // not a sheet at all
	}
	defer in.Close()
	ours := false
	err = in.Records(context.Background(), func(_ int, header []string) error {
		ours = len(header) >= len(resultsColumns)
		for i, c := range resultsColumns {
			ours = ours && strings.EqualFold(strings.TrimSpace(header[i]), c)
		}
		return errStopRecords
	})
	if err != nil && !errors.Is(err, errStopRecords) {
		return false, err
	}
	return ours, nil
}

// errStopRecords ends a pass of Records early.
var errStopRecords = errors.New("stop")

// readResultsFile reads a whole results file back, header first, and says
// how it was written, so that it can be written again the same way.
func readResultsFile(ctx context.Context, path string) ([][]string, Shape, error) {
	ok, err := isResults(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Shape{}, fmt.Errorf("%s does not exist: give the results file of the import", path)
	}
	if err != nil {
		return nil, Shape{}, fmt.Errorf("read %s: %w", path, safefile.PathCause(err))
	}
	if !ok {
		return nil, Shape{}, fmt.Errorf("%s is not a contactbulk results file (its first columns are not row,status,id,error)", path)
	}
	in, err := Open(path, nil, ReadOptions{Raw: true})
	if err != nil {
		return nil, Shape{}, err
	}
	defer in.Close()
	var recs [][]string
	err = in.Records(ctx, func(_ int, rec []string) error {
		recs = append(recs, slices.Clone(rec))
		return nil
	})
	if err != nil {
		return nil, Shape{}, fmt.Errorf("read %s: %w", path, err)
	}
	return recs, in.Shape(), nil
}
