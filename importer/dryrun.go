package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNoRows is the error of a dry run over a file with a header and no
// data rows under it.
var ErrNoRows = errors.New("no data rows: the file has a header and nothing under it")

// DryRun validates every row with no network, writes a readable report to
// report (notes, then the problems grouped by column and kind: a problem
// of one row as `row 14, DateOfBirth: "31/02/1990" is not a date`, one of
// many rows with its count and first rows), and the annotated results
// file when results != "": every problem of every row, valid rows pending
// (nothing was sent), rows a prior results file marks created or exists
// keep that status. It returns an error when the input cannot be read on,
// the results file cannot be written, ctx is cancelled (wrapping
// ctx.Err()), or the file has no data rows (wrapping ErrNoRows); the
// Summary is valid either way.
func DryRun(ctx context.Context, in *Input, results string, report io.Writer) (Summary, error) {
	start := time.Now()
	sum := Summary{DryRun: true}
	src, err := in.Rows()
	if err != nil {
		return sum, err
	}
	defer src.Close()
	out := bufio.NewWriterSize(report, 32<<10)
	defer out.Flush()
	for _, n := range src.Notes() {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	var w *ResultsWriter
	if results != "" {
		if w, err = CreateResults(results, src.Columns(), ResultsShape(results, in.Shape())); err != nil {
			return sum, err
		}
		defer func() {
			if w != nil {
				w.Abort()
			}
		}()
	}
	problems := newReport()
	defer problems.write(out)
	var lookups lookupCounts
	var msg strings.Builder
	for {
		if sum.Rows%4096 == 0 && ctx.Err() != nil {
			sum.Stopped = "interrupted"
			sum.Elapsed = time.Since(start)
			return sum, fmt.Errorf("dry run interrupted: %w", ctx.Err())
		}
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			sum.Elapsed = time.Since(start)
			return sum, err
		}
		sum.Rows++
		status, id, text := Pending, int64(0), ""
		switch {
		case !row.Valid():
			sum.Invalid++
			status = Invalid
			msg.Reset()
			for i, p := range row.Problems {
				problems.add(row.Line, p)
				if i > 0 {
					msg.WriteString("; ")
				}
				msg.WriteString(p.String())
			}
			text = msg.String()
		case row.PriorID != 0 && (row.Prior == Created || row.Prior == Exists || row.Prior == Updated):
			// A status of the file fed back is a hint the import checks
			// against the space, not something a dry run can confirm.
			sum.Valid++
			id = row.PriorID
			text = fmt.Sprintf("valid; not sent (dry run); the file said %s as %d, which the import checks in the space", row.Prior, row.PriorID)
			lookups.add(row)
		default:
			sum.Valid++
			text = "valid; not sent (dry run)"
			lookups.add(row)
		}
		if w != nil {
			if err := w.Write(row.Line, status, id, text, row.Cells, src.BadCells(row)); err != nil {
				sum.Elapsed = time.Since(start)
				return sum, err
			}
		}
	}
	if w != nil {
		err := w.Commit()
		w = nil
		if err != nil {
			sum.Elapsed = time.Since(start)
			return sum, err
		}
		sum.Results = results
	}
	for _, n := range lookups.notes() {
		fmt.Fprintf(out, "note: %s\n", n)
	}
	if lookups.rows > 0 {
		sum.Lookups = &LookupSummary{Rows: lookups.rows}
	}
	sum.Elapsed = time.Since(start)
	if sum.Rows == 0 {
		return sum, fmt.Errorf("%s: %w", in.Name(), ErrNoRows)
	}
	return sum, nil
}
