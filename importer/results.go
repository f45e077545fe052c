package importer

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gocarina/gocsv"

	"contactbulk/mapping"
	"contactbulk/safefile"
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
