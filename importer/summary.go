package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Summary is what a dry run, a plan or an import reports at the end. Its
// JSON form (--json) is documented field by field in README.md.
type Summary struct {
	DryRun    bool           `json:"dry_run,omitempty"`
	Plan      bool           `json:"plan,omitempty"`
	Update    bool           `json:"update,omitempty"` // --update: rows that differ are written, not left
	Rows      int            `json:"rows"`
	Valid     int            `json:"valid,omitempty"` // dry run: rows that would be imported
	New       int            `json:"new,omitempty"`   // plan: rows to create
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Exists    int            `json:"exists"`
	Differs   int            `json:"differs"`
	Ambiguous int            `json:"ambiguous"`
	Invalid   int            `json:"invalid"`
	Failed    int            `json:"failed"`
	Pending   int            `json:"pending"`
	Skipped   int            `json:"already_done"` // rows an earlier run of this import (or a fed-back results file) had done
	Elapsed   time.Duration  `json:"-"`
	Stopped   string         `json:"stopped,omitempty"` // why the run stopped early, "" if it ran to the end
	Results   string         `json:"results,omitempty"` // path of the results file written, if any
	Lookups   *LookupSummary `json:"lookups,omitempty"` // what looking Ids up by names did, when rows name records so
	Verified  *Verification  `json:"verified,omitempty"`
	Estimate  *Estimate      `json:"estimate,omitempty"` // plan: what the writes will take
	NotDone   []RowNote      `json:"not_done,omitempty"` // the first rows not done, with why
}

// RowNote is one row not done, for the end of a report.
type RowNote struct {
	Row    int    `json:"row"`
	Status Status `json:"status"`
	Error  string `json:"error"`
}

// maxUnfinished is how many rows not done a summary names.
const maxUnfinished = 5

// note counts a row's outcome and keeps the first few rows not done.
func (s *Summary) note(line int, status Status, msg string, already bool) {
	s.Rows++
	switch {
	case already:
		s.Skipped++
		return
	case status == New:
		s.New++
		return
	}
	switch status {
	case Created:
		s.Created++
	case Updated:
		s.Updated++
	case Exists:
		s.Exists++
	case Differs:
		s.Differs++
	case Ambiguous:
		s.Ambiguous++
	case Invalid:
		s.Invalid++
	case Failed:
		s.Failed++
	default:
		s.Pending++
	}
	switch status {
	case Created, Updated, Exists:
	default:
		if len(s.NotDone) < maxUnfinished {
			s.NotDone = append(s.NotDone, RowNote{Row: line, Status: status, Error: msg})
		}
	}
}

// MarshalJSON writes the summary with its elapsed time in seconds.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}{plain(s), s.Elapsed.Seconds()})
}

// Unfinished counts the rows not done, and what the verification found
// and left: a run with any of them exits 1.
func (s Summary) Unfinished() int {
	n := s.Invalid + s.Failed + s.Pending + s.Differs + s.Ambiguous
	if s.Plan && s.Update {
		n -= s.Differs // the import will update them
	}
	return n + s.Verified.Unresolved()
}

// WriteText writes the summary for people, a few lines.
func (s Summary) WriteText(w io.Writer) {
	elapsed := s.Elapsed.Round(time.Microsecond)
	if s.Elapsed >= time.Second {
		elapsed = s.Elapsed.Round(time.Second / 10)
	}
	var b strings.Builder
	counts := func(parts ...string) {
		b.WriteString(strings.Join(parts, ", "))
	}
	optional := func(parts []string, n int, what string) []string {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
		return parts
	}
	switch {
	case s.DryRun:
		fmt.Fprintf(&b, "dry run: %s, %d valid, %d invalid", plural(s.Rows, "row", "rows"), s.Valid, s.Invalid)
		if s.Skipped > 0 {
			fmt.Fprintf(&b, ", %d already done", s.Skipped)
		}
		fmt.Fprintf(&b, " (%s); nothing was sent\n", elapsed)
	case s.Plan:
		fmt.Fprintf(&b, "plan: %s: ", plural(s.Rows, "row", "rows"))
		parts := []string{fmt.Sprintf("%d new", s.New), fmt.Sprintf("%d exists", s.Exists), fmt.Sprintf("%d differs", s.Differs), fmt.Sprintf("%d ambiguous", s.Ambiguous), fmt.Sprintf("%d invalid", s.Invalid)}
		parts = optional(parts, s.Failed, "failed")
		parts = optional(parts, s.Pending, "pending")
		parts = optional(parts, s.Skipped, "already done")
		counts(parts...)
		fmt.Fprintf(&b, " (%s); nothing was written\n", elapsed)
		if s.Estimate != nil {
			fmt.Fprintf(&b, "writes: %s\n", s.Estimate)
		}
	default:
		fmt.Fprintf(&b, "%s: ", plural(s.Rows, "row", "rows"))
		parts := []string{fmt.Sprintf("%d created", s.Created)}
		parts = optional(parts, s.Updated, "updated")
		parts = append(parts, fmt.Sprintf("%d exists", s.Exists))
		parts = optional(parts, s.Differs, "differs")
		parts = optional(parts, s.Ambiguous, "ambiguous")
		parts = append(parts, fmt.Sprintf("%d invalid", s.Invalid), fmt.Sprintf("%d failed", s.Failed), fmt.Sprintf("%d pending", s.Pending))
		parts = optional(parts, s.Skipped, "already done")
		counts(parts...)
		fmt.Fprintf(&b, " in %s\n", elapsed)
	}
	if s.Lookups != nil && !s.DryRun {
		fmt.Fprintf(&b, "%s\n", s.Lookups)
	}
	if s.Verified != nil {
		fmt.Fprintf(&b, "%s\n", s.Verified)
		for _, p := range s.Verified.Problems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	if s.Stopped != "" {
		fmt.Fprintf(&b, "stopped: %s\n", s.Stopped)
	}
	if n := s.Unfinished(); len(s.NotDone) > 0 && !s.DryRun {
		fmt.Fprintf(&b, "rows not done (%s):\n", firstOf(len(s.NotDone), n-s.Verified.Unresolved()))
		for _, u := range s.NotDone {
			fmt.Fprintf(&b, "  row %d %s: %s\n", u.Row, u.Status, u.Error)
		}
	}
	if next := s.next(); next != "" {
		fmt.Fprintf(&b, "next: %s\n", next)
	}
	if s.Results != "" {
		fmt.Fprintf(&b, "results: %s\n", s.Results)
	}
	io.WriteString(w, b.String())
}

// firstOf says "3" or "the first 5 of 12".
func firstOf(shown, all int) string {
	if shown >= all {
		return strconv.Itoa(all)
	}
	return fmt.Sprintf("the first %d of %d", shown, all)
}

// next says what to do about the rows not done.
func (s Summary) next() string {
	if s.DryRun {
		return ""
	}
	var todo []string
	if s.Invalid+s.Failed > 0 && s.Results != "" {
		todo = append(todo, fmt.Sprintf("fix the invalid and failed rows in %s and import that file", s.Results))
	}
	if s.Differs > 0 && !s.Update {
		todo = append(todo, "run with --update to write the sheet's values over the differing fields, or correct the sheet")
	}
	if s.Ambiguous > 0 {
		todo = append(todo, "for ambiguous rows, add an Id column naming the record, or remove the extra records in Nexudus")
	}
	if s.Verified.Unresolved() > 0 && s.Verified.Duplicates > s.Verified.Repaired {
		todo = append(todo, "run again with --repair to delete the duplicates this import made")
	}
	if s.Pending > 0 && !s.Plan {
		todo = append(todo, "run the same command again to continue")
	}
	return strings.Join(todo, "; ")
}

// plural writes n with the word for one or for many: "1 row", "2 rows".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
