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
	LastStart   time.Time `json:"LastStart"`             // when the last successful export started (UTC)
	LastSuccess time.Time `json:"LastSuccess"`           // when it finished
	Records     int       `json:"Records"`               // how many records it wrote
	UpdatedFrom string    `json:"UpdatedFrom,omitempty"` // the from_ContractContact_UpdatedOn it used, "" for a full export
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

// Since returns the from_ContractContact_UpdatedOn value for the next run:
// the last start minus overlap, rounded down to the minute, or "" when no
// run has succeeded yet.
func (s State) Since(overlap time.Duration) string {
	if s.LastStart.IsZero() {
		return ""
	}
	return s.LastStart.UTC().Add(-overlap).Truncate(time.Minute).Format(filterTimeLayout)
}

// SaveState writes st to path atomically, 0600.
func SaveState(path string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return safefile.WriteFile(path, append(data, '\n'))
}
