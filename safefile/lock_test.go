package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestLockExcludes counts with a read-modify-write of one file from many
// goroutines, each through its own Lock, as separate processes would: no
// increment is lost.
func TestLockExcludes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lock, count := filepath.Join(dir, "count.lock"), filepath.Join(dir, "count")
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				unlock, err := Lock(lock)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := os.ReadFile(count)
				if err := os.WriteFile(count, append(b, 'x'), 0o600); err != nil {
					t.Error(err)
				}
				unlock()
			}
		})
	}
	wg.Wait()
	if b, _ := os.ReadFile(count); len(b) != workers*each {
		t.Fatalf("count = %d, want %d: a lock let two in at once", len(b), workers*each)
	}
	if info, err := os.Stat(lock); err == nil && info.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestLockErrors(t *testing.T) {
	t.Parallel()
	if _, err := Lock(filepath.Join(t.TempDir(), "no", "folder", "x.lock")); err == nil {
		t.Fatal("Lock in a missing folder succeeded")
	}
}

func TestTryLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "journal")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	first, second := open(), open()
	unlock, err := TryLock(first)
	if err != nil {
		t.Fatalf("first TryLock: %v", err)
	}
	if _, err := TryLock(second); !errors.Is(err, ErrLocked) {
		t.Fatalf("second TryLock = %v, want ErrLocked", err)
	}
	unlock()
	unlock2, err := TryLock(second)
	if err != nil {
		t.Fatalf("TryLock after unlock: %v", err)
	}
	unlock2()
}
