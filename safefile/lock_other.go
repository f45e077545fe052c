//go:build !unix

package safefile

import (
	"os"
	"time"
)

// staleLock is how old a lock file Lock takes over: Lock guards short
// read-modify-write steps, so one this old was left by a killed process.
const staleLock = 10 * time.Second

// Lock takes an exclusive lock at path, waiting while another process
// holds it. Without flock(2) the lock is the file itself, created
// exclusively and removed by unlock; one older than ten seconds is taken
// to be left by a killed process and taken over, by one waiter only (see
// breakStale), so hold Lock briefly.
func Lock(path string) (unlock func(), err error) {
	return lockByFile(path, staleLock)
}

// TryLock takes an exclusive lock on f without waiting, through a lock
// file beside it (NAME.lock, holding this process's id). It returns an
// error wrapping ErrLocked, naming the lock file to remove if no such
// process runs, when another process holds it; a lock file left by a
// killed process stays until it is removed.
func TryLock(f *os.File) (unlock func(), err error) {
	return createLockFile(f.Name() + ".lock")
}
