package importer

import (
	"context"
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
	maxColumn = 512     // columns whose dates are surveyed
)

// survey is what one quick pass over a CSV's text finds before its rows
// are read: whether its bytes are UTF-8, and which order the dates of each
// column prove.
type survey struct {
	utf8  utf8Evidence
	dates []dateProofs // by the column's index in the record
}

// dateProofs counts the dates of one column that can be read one way
// only: 25/01/1967 is day/month, 01/25/1967 month/day.
type dateProofs struct {
	dayFirst, monthFirst     int
	dayExample, monthExample string // the first of each, for the note
	dayRow, monthRow         int
}

// scanCSV surveys CSV text: r is the file's bytes for an ASCII-compatible
// encoding, else the decoded text; delim is the delimiter (dates are
// surveyed only for an ASCII one). It counts rows as a spreadsheet shows
// them, as Source does. It returns an error when ctx ends, reading fails,
// or a line or a row runs on past maxLine or maxRecord (not a CSV: a
// device, a binary file, a quote left open).
func scanCSV(ctx context.Context, r io.Reader, delim rune) (survey, error) {
	var s survey
	var (
		buf       = make([]byte, 256<<10)
		carry     int  // bytes of an incomplete rune kept from the last read
		quoted    bool // inside a quoted cell
		closed    bool // just after a quoted cell's closing quote
		atStart   = true
		afterCR   bool
		row       = 1
		col       int
		line      int // bytes since the last line end
		record    int // bytes since the row began
		field     [16]byte
		fieldLen  int
		d         = byte(delim)
		surveying = delim < utf8.RuneSelf
	)
	endField := func() {
		if surveying && col < maxColumn && fieldLen >= 8 && fieldLen <= len(field) && field[0] >= '0' && field[0] <= '9' {
			v := string(field[:fieldLen])
			if o := mapping.DateOrderOf(v); o != mapping.OrderUnknown {
				for len(s.dates) <= col {
					s.dates = append(s.dates, dateProofs{})
				}
				p := &s.dates[col]
				if o == mapping.DayFirst {
					if p.dayFirst == 0 {
						p.dayExample, p.dayRow = v, row
					}
					p.dayFirst++
				} else {
					if p.monthFirst == 0 {
						p.monthExample, p.monthRow = v, row
					}
					p.monthFirst++
				}
			}
		}
		fieldLen = 0
		atStart = true
	}
	for {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		n, err := r.Read(buf[carry:])
		n += carry
		carry = 0
		end := n
		if err == nil {
			// Keep a rune cut by the buffer's end for the next read.
			for i := 1; i <= utf8.UTFMax && i <= end; i++ {
				if utf8.RuneStart(buf[end-i]) {
					if buf[end-i] >= utf8.RuneSelf && !utf8.FullRune(buf[end-i:end]) {
						end -= i
					}
					break
				}
			}
		}
		for i := 0; i < end; i++ {
			b := buf[i]
			line++
			record++
			if line > maxLine {
				return s, fmt.Errorf("row %d runs on for more than %d MiB without a line end: this is not a CSV file", row, maxLine>>20)
			}
			if record > maxRecord {
				return s, fmt.Errorf("row %d runs on for more than %d MiB: a quote in it is probably left open", row, maxRecord>>20)
			}
			switch {
			case b >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(buf[i:end])
				if r == utf8.RuneError && size == 1 {
					if s.utf8.bad == 0 {
						s.utf8.badRow, s.utf8.badByte = row, b
					}
					s.utf8.bad++
				} else {
					s.utf8.multi++
					i += size - 1
					line += size - 1
					record += size - 1
				}
				fieldLen = len(field) + 1 // not a date
				atStart, closed, afterCR = false, false, false
			case b == '\n' || b == '\r':
				line = 0
				if !quoted && !(b == '\n' && afterCR) {
					endField()
					col = 0
					row++
					record = 0
				}
				afterCR = b == '\r' && !quoted
				closed = false
			case b == '"':
				switch {
				case quoted:
					quoted, closed = false, true
				case atStart || closed:
					quoted, closed = true, false // a quoted cell, or "" inside one
				}
				atStart, afterCR = false, false
			case b == d && !quoted && surveying:
				endField()
				col++
				closed, afterCR = false, false
			default:
				if b != ' ' || fieldLen > 0 {
					if fieldLen < len(field) {
						field[fieldLen] = b
					}
					fieldLen++
				}
				atStart, closed, afterCR = false, false, false
			}
		}
		carry = copy(buf, buf[end:n])
		if err == io.EOF {
			for range carry {
				if s.utf8.bad == 0 {
					s.utf8.badRow, s.utf8.badByte = row, buf[0]
				}
				s.utf8.bad++
			}
			endField()
			return s, nil
		}
		if err != nil {
			return s, err
		}
	}
}
