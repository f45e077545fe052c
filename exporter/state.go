package exporter

import (
	"contactbulk/safefile"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// DefaultOverlap is how far before the last run's start an incremental
// export looks. Nexudus may write the space's local time with a trailing Z;
// a space behind UTC then stamps updates up to 12 hours earlier than they
// happened, so the margin covers UTC-12 plus 10 minutes for clock skew and
// writes in flight. A space ahead of UTC stamps later than true time and
// needs no more. Spaces known to write true UTC can lower it (e.g. 10m);
// the price of the default is records repeated across consecutive files,
// never records missed.
const DefaultOverlap = 12*time.Hour + 10*time.Minute

// State is what --since-last keeps between runs.
type State struct {
	LastStart   time.Time `json:"LastStart"`             // when the last successful export started (UTC); never moves back
	LastSuccess time.Time `json:"LastSuccess"`           // when it finished
	Records     int       `json:"Records"`               // how many records it wrote
	UpdatedFrom string    `json:"UpdatedFrom,omitempty"` // the time it exported changes from, "" for a full export
	IDs         int       `json:"IDs,omitempty"`         // how many Ids the Id set beside the state holds (IDSetPath)
	Filters     string    `json:"Filters,omitempty"`     // the filters the Id set was listed with, in query form
}

// ClockTolerance is how far in the future a state's LastStart may be
// before it is taken for the mark of a clock that ran ahead.
const ClockTolerance = 5 * time.Minute

// IDSetPath returns where the Id set of the state at statePath is kept.
func IDSetPath(statePath string) string { return statePath + ".ids" }

// CheckClock returns an error when the last run started later than now
// (beyond ClockTolerance): the state was written by a clock that ran
// ahead, and an export from it would leave out what changed since the
// real start. The error says how to fix it.
func (s State) CheckClock(now time.Time) error {
	if ahead := s.LastStart.Sub(now); ahead > ClockTolerance {
		return fmt.Errorf("the last run recorded starting at %s, %s from now: the clock that wrote it ran ahead (or this one is behind); "+
			"if this machine's clock is right, set LastStart in the state file to when that run really started, or remove the state file to export everything once",
			s.LastStart.UTC().Format(time.RFC3339), ahead.Round(time.Minute))
	}
	return nil
}

// Next returns the state after a successful run that started at start:
// LastStart never moves back (a clock set back within ClockTolerance
// keeps the later mark).
func (s State) Next(start, end time.Time, records int, from string, ids int, filters string) State {
	last := start.UTC()
	if s.LastStart.After(last) {
		last = s.LastStart
	}
	return State{LastStart: last, LastSuccess: end.UTC(), Records: records, UpdatedFrom: from, IDs: ids, Filters: filters}
}

// LoadState reads the state file at path. A missing file is a first run: it
// returns a zero State and no error. It returns an error when the file
// cannot be read or is not a state file.
func LoadState(path string) (State, error) {
	var st State
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read state %s: %w", path, err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("state %s is not an export state file (%v); remove it to export everything once", path, err)
	}
	return st, nil
}

// Since returns the time the next run exports changes from, in the range
// filters' form: the last start minus overlap, rounded down to the
// minute, or "" when no run has succeeded yet.
func (s State) Since(overlap time.Duration) string {
	if s.LastStart.IsZero() {
		return ""
	}
	return s.From(overlap).Format(filterTimeLayout)
}

// From is Since as a time (zero when no run has succeeded yet).
func (s State) From(overlap time.Duration) time.Time {
	if s.LastStart.IsZero() {
		return time.Time{}
	}
	return s.LastStart.UTC().Add(-overlap).Truncate(time.Minute)
}

// SaveState writes st to path atomically, 0600.
func SaveState(path string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return safefile.WriteFile(path, append(data, '\n'))
}
