package exporter

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// idsHeader starts an Id set file, so that another file is not read as one.
const idsHeader = "# contactbulk Id set: every Id an export listed, ascending, one a line"

// IDDiff writes an Id set (every Id an export listed, ascending, one a
// line) and, against the set an earlier run wrote, reports the Ids that
// are gone: a merge of two sorted streams, so memory does not grow with
// the count.
type IDDiff struct {
	prev    *bufio.Scanner // nil: nothing to compare with
	line    int
	cur     int64
	curOK   bool
	started bool
	next    *bufio.Writer
	gone    func(id int64) error
	last    int64
	added   bool
	n, lost int
}

// NewIDDiff starts an Id set on next and compares it with prev (nil for
// none), calling gone with each Id of prev that the new set lacks,
// ascending.
func NewIDDiff(prev io.Reader, next io.Writer, gone func(id int64) error) *IDDiff {
	d := &IDDiff{next: bufio.NewWriterSize(next, 64<<10), gone: gone}
	if prev != nil {
		d.prev = bufio.NewScanner(prev)
	}
	return d
}

// ErrBadIDSet is returned, wrapped with the line, when the earlier Id set
// is not one this package wrote, or is out of order.
var ErrBadIDSet = errors.New("not an Id set written by contactbulk export")

// advance reads the next Id of prev.
func (d *IDDiff) advance() error {
	d.curOK = false
	if d.prev == nil {
		return nil
	}
	for d.prev.Scan() {
		d.line++
		text := strings.TrimSpace(d.prev.Text())
		if d.line == 1 {
			if text != idsHeader {
				return fmt.Errorf("line 1: %w", ErrBadIDSet)
			}
			continue
		}
		if text == "" {
			continue
		}
		id, err := strconv.ParseInt(text, 10, 64)
		if err != nil || d.started && id <= d.cur {
			return fmt.Errorf("line %d: %w", d.line, ErrBadIDSet)
		}
		d.cur, d.curOK, d.started = id, true, true
		return nil
	}
	if err := d.prev.Err(); err != nil {
		return fmt.Errorf("read the earlier Id set: %w", err)
	}
	if d.line == 0 {
		return fmt.Errorf("empty file: %w", ErrBadIDSet)
	}
	return nil
}

// Add adds the next Id of the new set; Ids must come ascending.
func (d *IDDiff) Add(id int64) error {
	if !d.added {
		if err := d.start(); err != nil {
			return err
		}
	} else if id <= d.last {
		return fmt.Errorf("write the Id set: %d after %d: Ids must ascend", id, d.last)
	}
	d.last, d.added = id, true
	d.n++
	for d.curOK && d.cur < id {
		if err := d.lose(); err != nil {
			return err
		}
	}
	if d.curOK && d.cur == id {
		if err := d.advance(); err != nil {
			return err
		}
	}
	if _, err := d.next.WriteString(strconv.FormatInt(id, 10) + "\n"); err != nil {
		return fmt.Errorf("write the Id set: %w", err)
	}
	return nil
}

// start writes the header and reads the first Id of prev.
func (d *IDDiff) start() error {
	if _, err := d.next.WriteString(idsHeader + "\n"); err != nil {
		return fmt.Errorf("write the Id set: %w", err)
	}
	return d.advance()
}

func (d *IDDiff) lose() error {
	d.lost++
	if err := d.gone(d.cur); err != nil {
		return err
	}
	return d.advance()
}

// Close reports the rest of prev as gone and flushes the new set. It
// returns how many Ids the new set holds and how many were gone.
func (d *IDDiff) Close() (ids, gone int, err error) {
	if !d.added {
		if err := d.start(); err != nil {
			return 0, 0, err
		}
	}
	for d.curOK {
		if err := d.lose(); err != nil {
			return 0, 0, err
		}
	}
	if err := d.next.Flush(); err != nil {
		return 0, 0, fmt.Errorf("write the Id set: %w", err)
	}
	return d.n, d.lost, nil
}
