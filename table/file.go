package table

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"contactbulk/safefile"
)

// File is a table written to a path. A regular file (or a new one) is
// written under a temporary name beside it, mode 0600, and renamed into
// place by Commit, so a failed run leaves the previous file as it was; a
// symbolic link is followed, so the link stays and its target is
// replaced. A FIFO, a character device (a terminal, /dev/null) or a
// descriptor name (/dev/stdout, /dev/fd/N, /proc/self/fd/N) is written in
// place: it is never replaced, and what was written before a failure
// cannot be taken back (see Direct).
type File struct {
	*Writer
	path   string
	safe   *safefile.File // nil when written in place
	direct *os.File       // nil when written through safefile
	done   bool
}

// descriptorName matches the names of a process's open descriptors.
var descriptorName = regexp.MustCompile(`^/(dev/(stdout|stderr|fd/[0-9]+)|proc/(self|thread-self|[0-9]+)/fd/[0-9]+)$`)

// Create starts a table at path with the given header (see New). It
// returns an error saying what to fix when the folder does not exist or is
// not writable, when path is a folder, a socket or a block device, or
// when a descriptor name is not open for writing.
func Create(path string, header []string, opt Options) (*File, error) {
	f := &File{path: path}
	var dest io.Writer
	direct, err := writesInPlace(path)
	if err != nil {
		return nil, err
	}
	if direct {
		// O_APPEND: through /proc/self/fd/1 a file opened by `>>` keeps
		// what it held; one opened by `>` is empty anyway.
		if f.direct, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, unwrapPath(err))
		}
		dest = f.direct
	} else {
		target := path
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			target = resolved
		} else if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link to a missing file: remove it or name another file", path)
		}
		if f.safe, err = safefile.Create(target); err != nil {
			return nil, err
		}
		dest = f.safe
	}
	if f.Writer, err = New(dest, header, opt); err != nil {
		f.release()
		return nil, err
	}
	return f, nil
}

// writesInPlace reports whether path is written in place rather than
// replaced, and refuses what can be neither.
func writesInPlace(path string) (bool, error) {
	if descriptorName.MatchString(filepath.Clean(path)) {
		return true, nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // a new file (safefile says when the folder is missing)
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, unwrapPath(err))
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

// unwrapPath drops the *fs.PathError's repetition of the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Direct reports whether the file is written in place (a FIFO, a device,
// a descriptor): Abort then cannot take back the rows already flushed.
func (f *File) Direct() bool { return f.direct != nil }

// Path returns the path the table was created for.
func (f *File) Path() string { return f.path }

// Stat describes what the table is written to (the temporary file when it
// is renamed into place at Commit), so that a caller can tell whether it
// is the same file as its standard output (os.SameFile).
func (f *File) Stat() (fs.FileInfo, error) {
	if f.direct != nil {
		return f.direct.Stat()
	}
	return os.Stat(f.safe.TempName())
}

// Commit finishes the table and puts it in place: renamed over the path
// for a file, closed for a FIFO or a device. It returns the first error
// met; the previous file, if any, is then untouched.
func (f *File) Commit() error {
	if f.done {
		return errors.New("table file already closed")
	}
	f.done = true
	if err := f.Writer.Close(); err != nil {
		f.release()
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if f.direct != nil {
		if err := f.direct.Close(); err != nil {
			return fmt.Errorf("write %s: %w", f.path, unwrapPath(err))
		}
		return nil
	}
	return f.safe.Commit()
}

// Abort drops the table: the temporary file is removed and the previous
// file at path is left as it was; a FIFO or device is closed. It is a
// no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Writer.Discard()
	f.release()
}

func (f *File) release() {
	if f.direct != nil {
		f.direct.Close()
	}
	if f.safe != nil {
		f.safe.Abort()
	}
}
