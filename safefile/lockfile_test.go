package safefile

import (
	"bytes"
	"errors"
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

// TestLockFileTakeOverSteps plays, one step at a time, two waiters that
// found the same stale lock file: the first takes it over and holds the
// lock; the second, coming late, leaves that lock alone. A holder kept
// past the stale age, and taken over, does not remove the new holder's
// file when it unlocks.
func TestLockFileTakeOverSteps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.lock")
	stale := []byte("12345 dead\n")
	if err := os.WriteFile(path, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	takeOver(path, stale) // the first waiter
	first, err := createLockFile(path)
	if err != nil {
		t.Fatalf("lock after taking over: %v", err)
	}
	held, _ := os.ReadFile(path)
	takeOver(path, stale) // the second, late
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, held) {
		t.Fatalf("after a late takeover the lock file holds %q, %v; want the first holder's %q", got, err, held)
	}
	if _, err := createLockFile(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second lock: %v, want ErrLocked", err)
	}
	// The first holder is taken to be dead and taken over.
	takeOver(path, held)
	second, err := createLockFile(path)
	if err != nil {
		t.Fatalf("lock after the second takeover: %v", err)
	}
	first() // too late: the file is the second holder's
	if _, err := createLockFile(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("after the first holder's unlock: %v, want the second's lock kept", err)
	}
	second()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left in the folder: %v", entries)
	}
}
