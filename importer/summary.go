package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
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
		fmt.Fprintf(&b, "dry run: %s, %d valid, %d invalid", plural(s.Rows, "row", "rows"), s.Valid, s.Invalid)
		if s.Skipped > 0 {
			fmt.Fprintf(&b, ", %d already done", s.Skipped)
		}
		fmt.Fprintf(&b, " (%s); nothing was sent\n", elapsed)
	} else {
		fmt.Fprintf(&b, "%s: %d created, %d exists, %d invalid, %d failed, %d pending", plural(s.Rows, "row", "rows"), s.Created, s.Exists, s.Invalid, s.Failed, s.Pending)
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

// plural writes n with the word for one or for many: "1 row", "2 rows".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
