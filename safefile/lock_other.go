//go:build !unix

package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// staleLock is how old a lock file Lock takes over: Lock guards short
// read-modify-write steps, so one this old was left by a killed process.
const staleLock = 10 * time.Second

// Lock takes an exclusive lock at path, waiting while another process
// holds it. Without flock(2) the lock is the file itself, created
// exclusively and removed by unlock; one older than ten seconds is taken
// to be left by a killed process and taken over, so hold Lock briefly.
func Lock(path string) (unlock func(), err error) {
	for {
		unlock, err := createLockFile(path)
		if err == nil {
			return unlock, nil
		}
		if !errors.Is(err, ErrLocked) {
			return nil, err
		}
		if fi, serr := os.Stat(path); serr == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(path)
			continue
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TryLock takes an exclusive lock on f without waiting, through a lock
// file beside it (NAME.lock, holding this process's id). It returns an
// error wrapping ErrLocked, naming the lock file to remove if no such
// process runs, when another process holds it; a lock file left by a
// killed process stays until it is removed.
func TryLock(f *os.File) (unlock func(), err error) {
	return createLockFile(f.Name() + ".lock")
}

// createLockFile creates path exclusively, holding this process's id.
func createLockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		pid := "unknown"
		if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
			pid = string(bytes.TrimSpace(b))
		}
		return nil, fmt.Errorf("%w (pid %s); if it is not running, remove %s", ErrLocked, pid, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_, werr := f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("lock %s: %w", path, werr)
	}
	return func() { os.Remove(path) }, nil
}
