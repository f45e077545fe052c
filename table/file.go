package table

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"contactbulk/safefile"
)

// Dest is a path a table (or any file) is written to. A regular file (or
// a new one) is written under a temporary name beside it, mode 0600, and
// renamed into place by Commit, so a failed run leaves the previous file
// as it was; a symbolic link is followed, so the link stays and its
// target is replaced. A FIFO, a character device (a terminal, /dev/null)
// or a descriptor name (/dev/stdout, /dev/fd/N, /proc/self/fd/N) is
// written in place: it is never replaced, and what was written before a
// failure cannot be taken back (see Direct).
type Dest struct {
	path   string
	safe   *safefile.File // nil when written in place
	direct *os.File       // nil when written through safefile
	done   bool
}

// File is a table written to a Dest: Create, Write rows, then Commit (or
// Abort).
type File struct {
	*Writer
	dest *Dest
}

// descriptorName matches the names of a process's open descriptors.
var descriptorName = regexp.MustCompile(`^/(dev/(stdout|stderr|fd/[0-9]+)|proc/(self|thread-self|[0-9]+)/fd/[0-9]+)$`)

// OpenDest opens path for writing (see Dest). It returns an error saying
// what to fix when the folder does not exist or is not writable, when
// path is a folder, a socket or a block device, or when a descriptor name
// is not open for writing.
func OpenDest(path string) (*Dest, error) {
	d := &Dest{path: path}
	direct, err := writesInPlace(path)
	if err != nil {
		return nil, err
	}
	if direct {
		// O_APPEND: through /proc/self/fd/1 a file opened by `>>` keeps
		// what it held; one opened by `>` is empty anyway.
		if d.direct, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, safefile.PathCause(err))
		}
		return d, nil
	}
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	} else if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s is a symbolic link to a missing file: remove it or name another file", path)
	}
	if d.safe, err = safefile.Create(target); err != nil {
		return nil, err
	}
	return d, nil
}

// Create starts a table at path (see Dest) with the given header (see
// New). It returns OpenDest's errors and New's.
func Create(path string, header []string, opt Options) (*File, error) {
	d, err := OpenDest(path)
	if err != nil {
		return nil, err
	}
	w, err := New(d, header, opt)
	if err != nil {
		d.Abort()
		return nil, err
	}
	return &File{Writer: w, dest: d}, nil
}

// Commit finishes the table and puts the file in place (see Dest.Commit).
func (f *File) Commit() error {
	if err := f.Writer.Close(); err != nil {
		f.dest.Abort()
		return fmt.Errorf("write %s: %w", f.dest.path, err)
	}
	return f.dest.Commit()
}

// Abort drops the table (see Dest.Abort). It is a no-op after Commit.
func (f *File) Abort() {
	f.Writer.Discard()
	f.dest.Abort()
}

// Direct reports whether the file is written in place (see Dest.Direct).
func (f *File) Direct() bool { return f.dest.Direct() }

// writesInPlace reports whether path is written in place rather than
// replaced, and refuses what can be neither.
func writesInPlace(path string) (bool, error) {
	if descriptorName.MatchString(filepath.Clean(path)) {
		return true, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false, nil // a new file, or safefile says what is wrong with the folder
	}
	switch m := fi.Mode(); {
	case m.IsRegular(), m.IsDir(): // replaced; safefile refuses a folder
		return false, nil
	case m&fs.ModeNamedPipe != 0, m&fs.ModeCharDevice != 0:
		return true, nil
	case m&fs.ModeSocket != 0:
		return false, fmt.Errorf("%s is a socket: name a file, a FIFO or a terminal", path)
	default:
		return false, fmt.Errorf("%s is a device, not a file: name a file, a FIFO or a terminal", path)
	}
}

// Write writes p to the destination.
func (d *Dest) Write(p []byte) (int, error) {
	if d.direct != nil {
		return d.direct.Write(p)
	}
	return d.safe.Write(p)
}

// Direct reports whether the path is written in place (a FIFO, a device,
// a descriptor): Abort then cannot take back what was written.
func (d *Dest) Direct() bool { return d.direct != nil }

// Stat describes what is written to (the temporary file when it is
// renamed into place at Commit), so that a caller can tell whether it is
// the same file as its standard output (os.SameFile).
func (d *Dest) Stat() (fs.FileInfo, error) {
	if d.direct != nil {
		return d.direct.Stat()
	}
	return os.Stat(d.safe.TempName())
}

// Commit puts the file in place: renamed over the path for a file,
// closed for a FIFO or a device. It returns an error when the data could
// not be written to disk; the previous file, if any, is then untouched.
func (d *Dest) Commit() error {
	if d.done {
		return errors.New("file already closed")
	}
	d.done = true
	if d.direct != nil {
		if err := d.direct.Close(); err != nil {
			return fmt.Errorf("write %s: %w", d.path, safefile.PathCause(err))
		}
		return nil
	}
	return d.safe.Commit()
}

// Abort drops the file: the temporary file is removed and the previous
// file at path is left as it was; a FIFO or device is closed. It is a
// no-op after Commit.
func (d *Dest) Abort() {
	if d.done {
		return
	}
	d.done = true
	if d.direct != nil {
		d.direct.Close()
	}
	if d.safe != nil {
		d.safe.Abort()
	}
}
