package safefile

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// The lock of builds without flock(2) (lock_other.go, Windows among them)
// is a file created exclusively and removed by unlock. It is built and
// tested everywhere.

// lockByFile takes the lock file at path, waiting while another holds it
// and breaking one older than stale (see breakStale).
func lockByFile(path string, stale time.Duration) (unlock func(), err error) {
	for {
		unlock, err := createLockFile(path)
		if err == nil {
			return unlock, nil
		}
		if !errors.Is(err, ErrLocked) {
			return nil, err
		}
		if held, ok := staleContent(path, stale); ok && breakStale(path, held, stale) {
			continue
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// staleContent returns what the lock file at path holds when it is older
// than stale. Age and content are read through one handle, so they are
// those of the same file.
func staleContent(path string, stale time.Duration) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || time.Since(fi.ModTime()) <= stale {
		return nil, false
	}
	held, err := io.ReadAll(f)
	return held, err == nil
}

// breakStale removes the stale lock file at path that held held, and
// reports whether it did. Of several waiters that found it stale at once,
// only the one that creates its breaker file (NAME.break-DIGEST, named
// for what it held) exclusively removes it, and only if it still holds
// held. Every lock file holds a random token of its own and is removed
// only by its holder or its one breaker, so a lock taken since is never
// removed. A breaker file left by a process killed while breaking is
// removed once it is older than stale.
func breakStale(path string, held []byte, stale time.Duration) bool {
	sum := sha256.Sum256(held)
	breaker := path + ".break-" + hex.EncodeToString(sum[:8])
	f, err := os.OpenFile(breaker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if fi, serr := os.Stat(breaker); serr == nil && time.Since(fi.ModTime()) > stale {
			os.Remove(breaker)
		}
		return false
	}
	f.Close()
	defer os.Remove(breaker)
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, held) {
		return false // broken already, and maybe taken since
	}
	return os.Remove(path) == nil
}

// createLockFile creates path exclusively, holding this process's id and
// a random token; unlock removes it if it is still this lock's.
func createLockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		pid := "unknown"
		if b, err := os.ReadFile(path); err == nil {
			if fields := bytes.Fields(b); len(fields) > 0 {
				pid = string(fields[0])
			}
		}
		return nil, fmt.Errorf("%w (pid %s); if it is not running, remove %s", ErrLocked, pid, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	content := []byte(strconv.Itoa(os.Getpid()) + " " + token() + "\n")
	_, werr := f.Write(content)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("lock %s: %w", path, werr)
	}
	return func() {
		// Held past the stale age, the lock may have been taken over:
		// the file at path is then another's.
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, content) {
			return
		}
		// Windows refuses to remove a file another process has open
		// (a waiter reading whose it is): try again for a while.
		for range 100 {
			if err := os.Remove(path); err == nil || errors.Is(err, fs.ErrNotExist) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}, nil
}

// token returns 8 random bytes in hex.
func token() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
