package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Summary is what a dry run or an import reports at the end.
type Summary struct {
	DryRun  bool          `json:"dryRun,omitempty"`
	Rows    int           `json:"rows"`
	Valid   int           `json:"valid,omitempty"` // dry run: rows that would be imported
	Created int           `json:"created"`
	Exists  int           `json:"exists"`
	Invalid int           `json:"invalid"`
	Failed  int           `json:"failed"`
	Pending int           `json:"pending"`
	Skipped int           `json:"skipped"` // rows already created/exists in a prior results file or journal
	Elapsed time.Duration `json:"-"`
	Stopped string        `json:"stopped,omitempty"` // why the run stopped early, "" if it ran to the end
	Results string        `json:"results,omitempty"` // path of the results file written, if any
}

// MarshalJSON writes the summary with its elapsed time in seconds.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsedSeconds"`
	}{plain(s), s.Elapsed.Seconds()})
}

// Unfinished counts the rows not done: invalid, failed or pending.
func (s Summary) Unfinished() int { return s.Invalid + s.Failed + s.Pending }

// WriteText writes the summary for people, a few lines.
func (s Summary) WriteText(w io.Writer) {
	elapsed := s.Elapsed.Round(time.Microsecond)
	if s.Elapsed >= time.Second {
		elapsed = s.Elapsed.Round(time.Second / 10)
	}
	var b strings.Builder
	if s.DryRun {
		fmt.Fprintf(&b, "dry run: %d rows, %d valid, %d invalid", s.Rows, s.Valid, s.Invalid)
		if s.Skipped > 0 {
			fmt.Fprintf(&b, ", %d already done", s.Skipped)
		}
		fmt.Fprintf(&b, " (%s); nothing was sent\n", elapsed)
	} else {
		fmt.Fprintf(&b, "%d rows: %d created, %d exists, %d invalid, %d failed, %d pending", s.Rows, s.Created, s.Exists, s.Invalid, s.Failed, s.Pending)
		if s.Skipped > 0 {
			fmt.Fprintf(&b, ", %d already done", s.Skipped)
		}
		fmt.Fprintf(&b, " in %s\n", elapsed)
	}
	if s.Stopped != "" {
		fmt.Fprintf(&b, "stopped: %s\n", s.Stopped)
	}
	if s.Results != "" {
		fmt.Fprintf(&b, "results: %s\n", s.Results)
	}
	io.WriteString(w, b.String())
}
