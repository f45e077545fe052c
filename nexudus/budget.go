package nexudus

import (
	"contactbulk/safefile"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// budgetWindow is the span the daily write budget counts over.
const budgetWindow = 24 * time.Hour

// budget counts writes in a rolling 24-hour window, persisted in a small
// file so that separate runs against the same space share it.
type budget struct {
	limit int    // <= 0: no budget
	path  string // "" keeps the count in memory
	now   func() time.Time

	mu     sync.Mutex
	writes []time.Time // in memory when path is ""
}

// BudgetPath returns the file, under dir, that holds the write count for
// baseURL.
func BudgetPath(dir, baseURL string) string {
	return filepath.Join(dir, "writes-"+keyOf(baseURL)+".json")
}

// budgetFile is the persisted form.
type budgetFile struct {
	Writes []time.Time `json:"writes"`
}

// reserve counts one write now and returns its time, or returns a
// *BudgetError when the window already holds limit writes.
func (b *budget) reserve() (time.Time, error) {
	if b.limit <= 0 {
		return time.Time{}, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	unlock, err := b.lock()
	if err != nil {
		return time.Time{}, err
	}
	defer unlock()
	writes, err := b.load()
	if err != nil {
		return time.Time{}, err
	}
	now := b.now()
	kept := writes[:0]
	for _, w := range writes {
		if w.After(now) {
			w = now // the clock was set back since: New refuses a file far ahead
		}
		if now.Sub(w) < budgetWindow {
			kept = append(kept, w)
		}
	}
	if len(kept) >= b.limit {
		// The oldest writes leave the window first.
		return time.Time{}, &BudgetError{Limit: b.limit, ResumeAt: kept[len(kept)-b.limit].Add(budgetWindow)}
	}
	kept = append(kept, now)
	return now, b.store(kept)
}

// release takes back the write reserve counted at t, for a call that
// ended without the server acting on it (unreachable, or throttled
// throughout).
func (b *budget) release(t time.Time) error {
	if b.limit <= 0 || t.IsZero() {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	unlock, err := b.lock()
	if err != nil {
		return err
	}
	defer unlock()
	writes, err := b.load()
	if err != nil {
		return err
	}
	for i := len(writes) - 1; i >= 0; i-- {
		if writes[i].Equal(t) {
			return b.store(append(writes[:i:i], writes[i+1:]...))
		}
	}
	return nil
}

// used returns how many writes the current window holds.
func (b *budget) used() (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	unlock, err := b.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	writes, err := b.load()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, w := range writes {
		if b.now().Sub(w) < budgetWindow {
			n++
		}
	}
	return n, nil
}

// lock keeps other processes out of the budget file between load and
// store, so that two runs at once cannot both count from the same total.
// It locks a companion file: the budget file itself is replaced on store.
func (b *budget) lock() (unlock func(), err error) {
	if b.path == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o700); err != nil {
		return nil, fmt.Errorf("lock write budget: %w", err)
	}
	unlock, err = safefile.Lock(b.path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("lock write budget: %w", err)
	}
	return unlock, nil
}

func (b *budget) load() ([]time.Time, error) {
	if b.path == "" {
		return b.writes, nil
	}
	return loadBudget(b.path)
}

// loadBudget reads the write times in the budget file at path.
func loadBudget(path string) ([]time.Time, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read write budget: %w", err)
	}
	var f budgetFile
	if err := json.Unmarshal(raw, &f); err != nil {
		// A damaged count is rebuilt from now on rather than stopping work.
		return nil, nil
	}
	return f.Writes, nil
}

func (b *budget) store(writes []time.Time) error {
	if b.path == "" {
		b.writes = writes
		return nil
	}
	raw, err := json.Marshal(budgetFile{Writes: writes})
	if err != nil {
		return fmt.Errorf("save write budget: %w", err)
	}
	if err := writePrivate(b.path, raw); err != nil {
		return fmt.Errorf("save write budget: %w", err)
	}
	return nil
}
