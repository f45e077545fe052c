package exporter

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// idRun is a temporary file (0600) of the Ids one pass met, in the order
// it met them: when the listing is by Id that order is monotone, so later
// passes tell what was written by walking the runs alongside their own
// pages, and the full Id set is a merge of the runs, with nothing held in
// memory but a block per run.
type idRun struct {
	f    *os.File
	w    *bufio.Writer
	n    int64 // Ids written
	desc bool  // Ids decrease along the file
	buf  [8]byte
}

func newRun(desc bool) (*idRun, error) {
	f, err := os.CreateTemp("", "contactbulk-ids-*")
	if err != nil {
		return nil, fmt.Errorf("id list: %w", err)
	}
	return &idRun{f: f, w: bufio.NewWriterSize(f, 32<<10), desc: desc}, nil
}

func (r *idRun) add(id int64) error {
	binary.LittleEndian.PutUint64(r.buf[:], uint64(id))
	if _, err := r.w.Write(r.buf[:]); err != nil {
		return fmt.Errorf("id list: %w", err)
	}
	r.n++
	return nil
}

// finish makes what was added readable.
func (r *idRun) finish() error {
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("id list: %w", err)
	}
	return nil
}

// remove deletes the file.
func (r *idRun) remove() {
	r.f.Close()
	os.Remove(r.f.Name())
}

// runBlock is how many Ids a cursor reads at once.
const runBlock = 4096

// runCursor reads a run forward (in the order written) or backward.
type runCursor struct {
	run      *idRun
	backward bool
	next     int64 // index of the next Id to read from the file, counting from the start read
	block    []int64
	at       int
	cur      int64
	ok       bool // cur holds an Id; false at the end
	err      error
	raw      []byte
}

// cursor reads r ascending (by Id) when ascending, else descending.
func (r *idRun) cursor(ascending bool) *runCursor {
	c := &runCursor{run: r, backward: ascending == r.desc, raw: make([]byte, runBlock*8)}
	c.advance()
	return c
}

func (c *runCursor) advance() {
	if c.at >= len(c.block) {
		c.fill()
		if c.at >= len(c.block) {
			c.ok = false
			return
		}
	}
	c.cur, c.ok = c.block[c.at], true
	c.at++
}

func (c *runCursor) fill() {
	n := c.run.n - c.next
	if n <= 0 || c.err != nil {
		c.block, c.at = c.block[:0], 0
		return
	}
	n = min(n, runBlock)
	off := c.next * 8
	if c.backward {
		off = (c.run.n - c.next - n) * 8
	}
	raw := c.raw[:n*8]
	if _, err := c.run.f.ReadAt(raw, off); err != nil && err != io.EOF {
		c.err = fmt.Errorf("id list: %w", err)
		c.block, c.at = c.block[:0], 0
		return
	}
	c.block = c.block[:0]
	for i := range int(n) {
		c.block = append(c.block, int64(binary.LittleEndian.Uint64(raw[i*8:])))
	}
	if c.backward {
		for i, j := 0, len(c.block)-1; i < j; i, j = i+1, j-1 {
			c.block[i], c.block[j] = c.block[j], c.block[i]
		}
	}
	c.next += n
	c.at = 0
}

// has reports whether id is in the run, for ids asked in the cursor's
// order: it moves past the Ids that come before id.
func (c *runCursor) has(id int64, ascending bool) (bool, error) {
	for c.ok && (ascending && c.cur < id || !ascending && c.cur > id) {
		c.advance()
	}
	return c.ok && c.cur == id, c.err
}

// mergeRuns calls fn with every Id of the runs once, ascending.
func mergeRuns(runs []*idRun, fn func(id int64) error) error {
	cs := make([]*runCursor, len(runs))
	for i, r := range runs {
		cs[i] = r.cursor(true)
	}
	for {
		var low *runCursor
		for _, c := range cs {
			if c.err != nil {
				return c.err
			}
			if c.ok && (low == nil || c.cur < low.cur) {
				low = c
			}
		}
		if low == nil {
			return nil
		}
		id := low.cur
		if err := fn(id); err != nil {
			return err
		}
		for _, c := range cs {
			for c.ok && c.cur == id {
				c.advance()
			}
		}
	}
}
