package nexudus

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBudgetFileIsLockedAcrossCounters gives several budgets the same file,
// as separate runs would, and spends it from all at once: exactly the limit
// is granted and the file holds exactly that many writes.
func TestBudgetFileIsLockedAcrossCounters(t *testing.T) {
	const limit, counters, tries = 40, 8, 10
	path := filepath.Join(t.TempDir(), "state", "writes.json")
	var granted, refused atomic.Int64
	var wg sync.WaitGroup
	for range counters {
		b := &budget{limit: limit, path: path, now: time.Now}
		wg.Go(func() {
			for range tries {
				_, err := b.reserve()
				var be *BudgetError
				switch {
				case err == nil:
					granted.Add(1)
				case errors.As(err, &be):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if granted.Load() != limit || refused.Load() != counters*tries-limit {
		t.Fatalf("granted %d, refused %d; want %d and %d", granted.Load(), refused.Load(), limit, counters*tries-limit)
	}
	if used, err := (&budget{limit: limit, path: path, now: time.Now}).used(); err != nil || used != limit {
		t.Fatalf("used = %d, %v; want %d", used, err, limit)
	}
	for _, p := range []string{path, path + ".lock"} {
		info, err := os.Stat(p)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want mode 0600", filepath.Base(p), err)
		}
	}
}
