// Package safefile writes files that are complete or not there at all:
// under a temporary name beside the final path, mode 0600 (they hold
// personal data or credentials), synced and renamed into place only when
// done, so a crash or a failed run leaves the previous file untouched.
// It also locks files across processes (Lock waits, TryLock does not).
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// File is a file written under a temporary name beside its final
// path (.NAME.tmp-*, mode 0600) and renamed into place only by Commit, so
// that readers never see a partial file and a failed run leaves the
// previous one untouched.
type File struct {
	f         *os.File
	path, tmp string
	done      bool
}

// Create starts writing path. It returns an error saying what to fix
// when the folder does not exist or is not writable, or when path is a
// folder.
func Create(path string) (*File, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a folder: name a file in it", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("folder %s does not exist: create it first", dir)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		// The temporary name means nothing to the user.
		return nil, fmt.Errorf("cannot create a file in %s: %w", dir, PathCause(err))
	}
	// CreateTemp makes 0600 files already; say so explicitly, whatever the umask.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{f: f, path: path, tmp: f.Name()}, nil
}

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// TempName returns the temporary file's path.
func (f *File) TempName() string { return f.tmp }

// Commit flushes the file to disk and renames it into place, then syncs the
// folder so the rename survives a crash (not on Windows, which cannot). It returns an error, and removes
// the temporary file, when any step fails.
func (f *File) Commit() error {
	if f.done {
		return errors.New("file already closed")
	}
	f.done = true
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp, f.path)
	}
	if err != nil {
		os.Remove(f.tmp)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if runtime.GOOS == "windows" {
		// Windows cannot sync a folder (Access is denied); NTFS keeps
		// the rename in its journal.
		return nil
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("sync folder of %s: %w", f.path, err)
		}
	}
	return nil
}

// Abort closes and removes the temporary file, leaving any previous file at
// the final path untouched. It is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.tmp)
}

// PathCause returns the cause an *fs.PathError in err holds (such as
// fs.ErrNotExist or "permission denied"), without the operation and path
// it repeats, for messages that name the path themselves; err itself when
// it holds none.
func PathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// WriteFile writes data to path through a File: 0600, complete or not at
// all.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
