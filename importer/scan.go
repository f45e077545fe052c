package importer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"contactbulk/mapping"
)

// The bounds of a CSV's shape: a file past them is not a spreadsheet's
// CSV, and reading on would hold it all in memory.
const (
	maxLine   = 1 << 20 // bytes without a line end
	maxRecord = 8 << 20 // bytes of one row, quoted line ends included
)

// survey is what one quick pass over a CSV's text finds before its rows
// are read: whether its bytes are UTF-8, how many rows it has, and which
// order the dates of its date column prove.
type survey struct {
	utf8   utf8Evidence
	rows   int // lines that end a row, blank ones included
	dates  dateProofs
	quoted bool // the text ends inside a quoted cell
}

// dateProofs counts the dates of the date column that can be read one way
// only: 25/01/1967 is day/month, 01/25/1967 month/day.
type dateProofs struct {
	dayFirst, monthFirst     int
	dayExample, monthExample string // the first of each, for the note
	dayRow, monthRow         int
}

// scanCSV surveys CSV text line by line: r is the file's bytes for an
// ASCII-compatible encoding, else the decoded text, with line feeds ending
// its lines; dateCol is the index in the record of the date column (-1:
// none). It counts rows as a spreadsheet shows them, as Source does. It
// returns an error when ctx ends, reading fails, or a line or a row runs
// on past maxLine or maxRecord (not a CSV: a device, a binary file, a
// quote left open). quoted says that the text begins inside a quoted cell.
func scanCSV(ctx context.Context, r io.Reader, delim rune, dateCol int, quoted bool) (survey, error) {
	s := survey{}
	d := []byte(string(delim))
	buf := make([]byte, maxLine+utf8.UTFMax)
	var (
		start, end int   // the unread bytes of buf
		counted    int   // where the bytes not yet counted as UTF-8 or not begin
		base       int64 // the offset in the text of buf[0]
		row        = 1   // the spreadsheet row of the current line
		record     int   // bytes of the current row so far
		eof        bool
	)
	for {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		// Keep the line begun and read on behind it.
		end = copy(buf, buf[start:end])
		counted -= start
		base += int64(start)
		start = 0
		n, err := io.ReadFull(r, buf[end:])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			eof = true
		} else if err != nil {
			return s, err
		}
		end += n
		counted += s.utf8.count(buf[counted:end], eof, base+int64(counted))
		for {
			nl := bytes.IndexByte(buf[start:end], '\n')
			if nl < 0 && !(eof && start < end) {
				break
			}
			lineEnd := end
			if nl >= 0 {
				lineEnd = start + nl
			}
			line := buf[start:lineEnd]
			if s.utf8.bad > 0 && s.utf8.badRow == 0 && s.utf8.badAt <= base+int64(lineEnd) {
				s.utf8.badRow = row
			}
			q := bytes.IndexByte(line, '"')
			if !quoted && dateCol >= 0 {
				s.dates.add(dateField(bytes.TrimSuffix(line, []byte{'\r'}), d, dateCol, q), row)
			}
			if q >= 0 && bytes.Count(line[q:], []byte{'"'})%2 == 1 {
				quoted = !quoted
			}
			record += len(line) + 1
			if record > maxRecord {
				return s, &rowError{row, fmt.Sprintf("runs on for more than %d MiB: a quote in it is probably left open", maxRecord>>20)}
			}
			if !quoted {
				row++
				s.rows++
				record = 0
			}
			start = lineEnd + 1
			if nl < 0 {
				break
			}
		}
		if eof {
			s.quoted = quoted
			return s, nil
		}
		if end-start >= maxLine {
			return s, &rowError{row, fmt.Sprintf("runs on for more than %d MiB without a line end: this is not a CSV file", maxLine>>20)}
		}
	}
}

// rowError is a survey's error about one row.
type rowError struct {
	row int
	msg string
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d %s", e.row, e.msg) }

// count adds what a chunk of the file says about UTF-8 to e and returns
// how many bytes it counted: a rune cut by the chunk's end is left for the
// next chunk (at the end of the file its bytes are bad). at is the
// chunk's offset in the text, to find the row of the first bad byte.
func (e *utf8Evidence) count(chunk []byte, eof bool, at int64) int {
	if !eof {
		// Leave a rune cut by the end for the next chunk: at most 3 bytes.
		for i := 1; i <= utf8.UTFMax-1 && i <= len(chunk); i++ {
			if c := chunk[len(chunk)-i]; c >= 0xC0 {
				if !utf8.FullRune(chunk[len(chunk)-i:]) {
					chunk = chunk[:len(chunk)-i]
				}
				break
			} else if c < 0x80 {
				break
			}
		}
	}
	if ascii(chunk) {
		return len(chunk)
	}
	if utf8.Valid(chunk) {
		e.multi += int64(leadBytes(chunk))
		return len(chunk)
	}
	for i := 0; i < len(chunk); {
		r, size := utf8.DecodeRune(chunk[i:])
		switch {
		case size == 1 && r == utf8.RuneError:
			if e.bad == 0 {
				e.badAt, e.badByte = at+int64(i), chunk[i]
			}
			e.bad++
		case size > 1:
			e.multi++
		}
		i += size
	}
	return len(chunk)
}

// ascii reports whether b is all ASCII, eight bytes at a time.
func ascii(b []byte) bool {
	var or uint64
	for len(b) >= 8 {
		or |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		or |= uint64(c)
	}
	return or&0x8080808080808080 == 0
}

// leadBytes counts the bytes of valid UTF-8 that begin a rune of more
// than one byte, eight bytes at a time where they are all ASCII.
func leadBytes(b []byte) int {
	n := 0
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			for _, c := range b[:8] {
				if c >= 0xC0 {
					n++
				}
			}
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0xC0 {
			n++
		}
	}
	return n
}

// dateField returns cell col of a line that begins a row, unquoted and
// trimmed; nil when the line has fewer cells. q is the index of the
// line's first quote (-1: none): a line with a quote before the cell's
// end is split as CSV; others, the common case, by the delimiter.
func dateField(line, delim []byte, col, q int) []byte {
	at, end := 0, -1
	if len(delim) == 1 {
		d := delim[0]
		for range col {
			i := bytes.IndexByte(line[at:], d)
			if i < 0 {
				return nil
			}
			at += i + 1
		}
		end = bytes.IndexByte(line[at:], d)
	} else {
		for range col {
			i := bytes.Index(line[at:], delim)
			if i < 0 {
				return nil
			}
			at += i + len(delim)
		}
		end = bytes.Index(line[at:], delim)
	}
	if end < 0 {
		end = len(line)
	} else {
		end += at
	}
	if q >= 0 && q < end {
		return slowField(line, delim, col)
	}
	return bytes.TrimSpace(line[at:end])
}

// slowField splits one line as CSV, quotes and all, and returns cell col.
func slowField(line, delim []byte, col int) []byte {
	var cell []byte
	quoted, atStart := false, true
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '"' && i+1 < len(line) && line[i+1] == '"':
			cell = append(cell, '"')
			i++
		case c == '"' && (quoted || atStart):
			quoted = !quoted
		case !quoted && bytes.HasPrefix(line[i:], delim):
			if col == 0 {
				return bytes.TrimSpace(cell)
			}
			col--
			cell = cell[:0]
			i += len(delim) - 1
			atStart = true
			continue
		default:
			cell = append(cell, c)
		}
		atStart = atStart && c == ' '
	}
	if col == 0 {
		return bytes.TrimSpace(cell)
	}
	return nil
}

// add counts the order a date cell proves. Only d/m/yyyy-like cells (a
// separator within the first three bytes) can prove one: ISO dates and
// others are passed over without parsing.
func (p *dateProofs) add(cell []byte, row int) {
	if len(cell) < 8 || len(cell) > 24 || cell[0] < '0' || cell[0] > '9' || !isDateSep(cell[1]) && !isDateSep(cell[2]) {
		return
	}
	v := string(cell)
	switch mapping.DateOrderOf(v) {
	case mapping.DayFirst:
		if p.dayFirst == 0 {
			p.dayExample, p.dayRow = v, row
		}
		p.dayFirst++
	case mapping.MonthFirst:
		if p.monthFirst == 0 {
			p.monthExample, p.monthRow = v, row
		}
		p.monthFirst++
	}
}

func isDateSep(c byte) bool { return c == '/' || c == '.' || c == '-' }

// add counts the survey t of the text after s's into s: its rows follow
// s's.
func (s *survey) add(t survey) {
	if s.utf8.bad == 0 && t.utf8.bad > 0 {
		s.utf8.badRow, s.utf8.badByte = s.rows+t.utf8.badRow, t.utf8.badByte
		s.utf8.badAt = -1 // an offset in t's text: not comparable
	}
	s.utf8.bad += t.utf8.bad
	s.utf8.multi += t.utf8.multi
	if s.dates.dayFirst == 0 && t.dates.dayFirst > 0 {
		s.dates.dayExample, s.dates.dayRow = t.dates.dayExample, s.rows+t.dates.dayRow
	}
	if s.dates.monthFirst == 0 && t.dates.monthFirst > 0 {
		s.dates.monthExample, s.dates.monthRow = t.dates.monthExample, s.rows+t.dates.monthRow
	}
	s.dates.dayFirst += t.dates.dayFirst
	s.dates.monthFirst += t.dates.monthFirst
	s.rows += t.rows
	s.quoted = t.quoted
}

// scanHalves surveys a file's text, bytes [start, size) of f, as two
// halves at once, split at a line end: the second half is surveyed again
// in the rare case that the first ends inside a quoted cell.
func scanHalves(ctx context.Context, f io.ReaderAt, start, size int64, delim rune, dateCol int) (survey, error) {
	mid := start + (size-start)/2
	window := make([]byte, maxLine)
	n, err := f.ReadAt(window, mid)
	if err != nil && !errors.Is(err, io.EOF) {
		return survey{}, err
	}
	nl := bytes.IndexByte(window[:n], '\n')
	if nl < 0 {
		return scanCSV(ctx, io.NewSectionReader(f, start, size-start), delim, dateCol, false)
	}
	mid += int64(nl) + 1
	var second survey
	var secondErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		second, secondErr = scanCSV(ctx, io.NewSectionReader(f, mid, size-mid), delim, dateCol, false)
	}()
	first, err := scanCSV(ctx, io.NewSectionReader(f, start, mid-start), delim, dateCol, false)
	<-done
	if err != nil {
		return first, err
	}
	if first.quoted {
		second, secondErr = scanCSV(ctx, io.NewSectionReader(f, mid, size-mid), delim, dateCol, true)
	}
	if secondErr != nil {
		var rowErr *rowError
		if errors.As(secondErr, &rowErr) {
			rowErr.row += first.rows
		}
		return first, secondErr
	}
	first.add(second)
	return first, nil
}
