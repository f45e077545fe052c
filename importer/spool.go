package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// spoolPrefix begins the name of every spool: the temp file that holds an
// input which cannot be read twice (stdin, a pipe, a device), followed by
// the pid of the run that wrote it, so that a later run can tell the
// spools of a killed run and remove them.
const spoolPrefix = "contactbulk-spool-"

// openContext opens path for reading; opening a named pipe waits for a
// writer, and ctx ends the wait.
func openContext(ctx context.Context, path string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			// The open may still succeed when a writer comes: close it then.
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("stopped while waiting for something to write to it: %w", ctx.Err())
	}
}

// spoolFrom copies r, which can be read only once, to a 0600 temp file
// that the passes then read. It stops when ctx ends (a read blocked on a
// pipe is left to the process's exit) and refuses, as soon as it can
// tell, input that is not text or a spreadsheet (/dev/zero, /dev/urandom)
// and text with a line that never ends.
func (in *Input) spoolFrom(ctx context.Context, r io.Reader) error {
	clearStaleSpools(os.TempDir())
	f, err := os.CreateTemp("", spoolPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("spool %s: %w", in.name, err)
	}
	in.path, in.spool = f.Name(), true
	err = copyChecked(ctx, f, r)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("spool %s: %w", in.name, cerr)
	}
	return err
}

// copyChecked copies r to w in chunks read on another goroutine, so that
// ctx can end a read that blocks. It sniffs the first headSize bytes and
// bounds the length of lines, unless they are a zip (a spreadsheet).
func copyChecked(ctx context.Context, w io.Writer, r io.Reader) error {
	type chunk struct {
		b   []byte
		err error
	}
	chunks := make(chan chunk)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			b := make([]byte, 256<<10)
			n, err := r.Read(b)
			select {
			case chunks <- chunk{b[:n], err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var head []byte
	sniffed, zip := false, false
	line := 0
	sniff := func() error {
		sniffed = true
		zip = hasZipMagic(head)
		if zip {
			return nil
		}
		_, _, err := sniffHead(head)
		return err
	}
	for {
		var c chunk
		select {
		case c = <-chunks:
		case <-ctx.Done():
			return fmt.Errorf("stopped while reading: %w", ctx.Err())
		}
		if len(c.b) > 0 {
			if _, err := w.Write(c.b); err != nil {
				return fmt.Errorf("write spool: %w", err)
			}
			if !sniffed {
				head = append(head, c.b[:min(len(c.b), headSize-len(head))]...)
				if len(head) == headSize {
					if err := sniff(); err != nil {
						return err
					}
				}
			}
			if !zip {
				for _, b := range c.b {
					line++
					if b == '\n' || b == '\r' {
						line = 0
					}
				}
				if line > maxLine {
					return fmt.Errorf("a line runs on for more than %d MiB without a line end: this is not a CSV file", maxLine>>20)
				}
			}
		}
		if c.err == io.EOF {
			if !sniffed {
				return sniff()
			}
			return nil
		}
		if c.err != nil {
			return fmt.Errorf("read: %w", c.err)
		}
	}
}

// clearStaleSpools removes the spools that runs since killed left in dir:
// those whose pid is no longer running.
func clearStaleSpools(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, spoolPrefix+"*"))
	for _, name := range names {
		rest := strings.TrimPrefix(filepath.Base(name), spoolPrefix)
		dash := strings.IndexByte(rest, '-')
		if dash <= 0 {
			continue
		}
		pid, err := strconv.Atoi(rest[:dash])
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			continue // another user's, or already gone
		}
	}
}

func hasZipMagic(head []byte) bool { return strings.HasPrefix(string(head), "PK\x03\x04") }
