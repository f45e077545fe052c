package nexudus

import (
	"contactbulk/safefile"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// clockSlack is how far ahead of the clock a state file's times may be
// (clocks are adjusted by a few seconds now and then) before New refuses
// the file as written by a clock set back since.
const clockSlack = time.Minute

// checkStateFile makes sure the state file at path (what it holds: "write
// budget" or "pacing windows") can be kept: its folder exists or can be
// made (0700), a file can be created in it, and the file, if any,
// holds no time later than now.
func checkStateFile(path, what string, now time.Time) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state folder %s (the %s is kept there) cannot be created: %w", dir, what, safefile.PathCause(err))
	}
	// A file of its own, removed at once: the lock file's name must stay
	// free, since where a lock is a file (no flock(2)) one that exists is
	// taken to be held.
	probe, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("state folder %s (the %s is kept there) is not writable: %w", dir, what, safefile.PathCause(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s: the %s file is a folder: remove it", path, what)
	}
	var latest time.Time
	switch what {
	case "write budget":
		writes, err := loadBudget(path)
		if err != nil {
			return err
		}
		for _, w := range writes {
			latest = later(latest, w)
		}
	default:
		t, err := loadPace(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, safefile.PathCause(err))
		}
		if n := len(t.all); n > 0 {
			latest = t.all[n-1]
		}
	}
	if latest.After(now.Add(clockSlack)) {
		consequence := "the daily count starts afresh, and Nexudus still enforces its own"
		if what != "write budget" {
			consequence = "it only paces requests"
		}
		return &StateError{
			Path:    path,
			Problem: fmt.Sprintf("the %s holds times up to %s, later than this machine's clock (%s): was the clock set back?", what, latest.Local().Format("2006-01-02 15:04 MST"), now.Local().Format("2006-01-02 15:04 MST")),
			Fix:     fmt.Sprintf("if the clock is right now, delete %s (%s)", path, consequence),
		}
	}
	return nil
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
