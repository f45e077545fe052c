package safefile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockFileTakeOver: waiters that find the lock file of a killed
// process (older than the stale age) all at once take it over one at a
// time: never two hold the lock together. This is the lock of builds
// without flock(2), such as Windows; it is tested on every build.
func TestLockFileTakeOver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.lock")
	const rounds, waiters = 50, 6
	var holders, most atomic.Int32
	for range rounds {
		if err := os.WriteFile(path, []byte("12345 dead\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Minute)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		var start sync.WaitGroup
		start.Add(1)
		var wg sync.WaitGroup
		for range waiters {
			wg.Go(func() {
				start.Wait()
				unlock, err := lockByFile(path, 10*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				n := holders.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				holders.Add(-1)
				unlock()
			})
		}
		start.Done()
		wg.Wait()
		if most.Load() > 1 {
			t.Fatalf("%d waiters held the lock at once after taking over a stale one", most.Load())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("left in the folder once every waiter unlocked: %v", entries)
		}
	}
}

// TestLockFileTakeOverSteps plays, one step at a time, waiters that
// found the same stale lock file: the first breaks it and takes the lock;
// one that comes late, or while another breaks it, leaves the lock alone;
// a breaker file left by a killed process is cleared once stale. A holder
// kept past the stale age, whose lock was broken, does not remove the new
// holder's file when it unlocks.
func TestLockFileTakeOverSteps(t *testing.T) {
	t.Parallel()
	const stale = 10 * time.Second
	dir := t.TempDir()
	path := filepath.Join(dir, "state.lock")
	dead := []byte("12345 dead\n")
	if err := os.WriteFile(path, dead, 0o600); err != nil {
		t.Fatal(err)
	}
	locked := func(what string) {
		t.Helper()
		if _, err := createLockFile(path); !errors.Is(err, ErrLocked) {
			t.Fatalf("%s: lock = %v, want ErrLocked", what, err)
		}
	}
	// Another waiter is breaking it: this one leaves it alone.
	sum := sha256.Sum256(dead)
	breaker := path + ".break-" + hex.EncodeToString(sum[:8])
	if err := os.WriteFile(breaker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if breakStale(path, dead, stale) {
		t.Fatal("broke a lock another waiter is breaking")
	}
	locked("while another breaks it")
	// That waiter was killed: once stale, its breaker file goes.
	old := time.Now().Add(-time.Minute)
	os.Chtimes(breaker, old, old)
	breakStale(path, dead, stale)
	if _, err := os.Stat(breaker); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a stale breaker file stays: %v", err)
	}
	if !breakStale(path, dead, stale) {
		t.Fatal("the stale lock was not broken")
	}
	first, err := createLockFile(path)
	if err != nil {
		t.Fatalf("lock after breaking: %v", err)
	}
	if breakStale(path, dead, stale) { // a waiter that found it stale, late
		t.Fatal("a late waiter broke the new lock")
	}
	locked("after a late waiter")
	// The first holder is taken to be dead and its lock broken.
	held, _ := os.ReadFile(path)
	if !breakStale(path, held, stale) {
		t.Fatal("the first holder's lock was not broken")
	}
	second, err := createLockFile(path)
	if err != nil {
		t.Fatalf("lock after the second break: %v", err)
	}
	first() // too late: the file is the second holder's
	locked("after the first holder's unlock")
	second()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left in the folder: %v", entries)
	}
}
