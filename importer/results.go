package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gocarina/gocsv"

	"contactbulk/mapping"
	"contactbulk/safefile"
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
// input's columns, then one line per input data row, in input order, with
// every cell neutralised with mapping.Quote. It writes to a 0600 temp file
// in the same folder, renamed into place by Commit, so a crash never
// leaves half a file.
type ResultsWriter struct {
	path string
	f    *safefile.File
	bw   *bufio.Writer
	w    *gocsv.SafeCSVWriter
	rec  []string
}

// CreateResults starts a results file at path for an input with the given
// columns. It returns an error when the folder is not writable.
func CreateResults(path string, columns []string) (*ResultsWriter, error) {
	f, err := safefile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("write results %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	rw := &ResultsWriter{path: path, f: f, bw: bw, w: gocsv.NewSafeCSVWriter(csv.NewWriter(bw))}
	header := append(resultsColumns[:len(resultsColumns):len(resultsColumns)], columns...)
	if err := rw.writeRecord(header); err != nil {
		rw.Abort()
		return nil, err
	}
	return rw, nil
}

// Write adds the line of one input row: its row number, status, the Id
// created or found (0: none), the message, and the row's own cells.
func (w *ResultsWriter) Write(line int, status Status, id int64, msg string, cells []string) error {
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
	return w.writeRecord(w.rec)
}

func (w *ResultsWriter) writeRecord(rec []string) error {
	for i, c := range rec {
		rec[i] = mapping.Quote(c)
	}
	if err := w.w.Write(rec); err != nil {
		return fmt.Errorf("write results %s: %w", w.path, err)
	}
	return nil
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
	w.w.Flush()
	err := w.w.Error()
	if err == nil {
		err = w.bw.Flush()
	}
	if err != nil {
		w.f.Abort()
		return fmt.Errorf("write results %s: %w", w.path, err)
	}
	return w.f.Commit()
}

// Abort drops the file being written; the previous file at path, if any,
// stays as it was.
func (w *ResultsWriter) Abort() { w.f.Abort() }

// DefaultResultsPath returns NAME.results.csv beside the input (for stdin,
// "-", stdin.results.csv in the working folder).
func DefaultResultsPath(inputPath string) string {
	if inputPath == "-" || inputPath == "" {
		return "stdin.results.csv"
	}
	base := filepath.Base(inputPath)
	name := strings.TrimSuffix(base, filepath.Ext(base))
	name = strings.TrimSuffix(name, ".results")
	return filepath.Join(filepath.Dir(inputPath), name+".results.csv")
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
		return badInput("--results %s: cannot write in %s (%v); choose another --results path", results, dir, unwrapPath(err))
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
			return badInput("--results %s: %v", results, unwrapPath(err))
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
			return badInput("--results %s: %v", results, unwrapPath(err))
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
// header starts with row,status,id,error (after a byte order mark), or it
// is empty.
func isResults(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	head = bytes.TrimPrefix(head[:n], []byte("\uFEFF"))
	if len(head) == 0 {
		return true, nil
	}
	return bytes.HasPrefix(bytes.ToLower(head), []byte(strings.Join(resultsColumns[:], ","))), nil
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
