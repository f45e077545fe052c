package importer

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The size of a dry run's report: problems are grouped by column and
// kind, each group naming its first few rows.
const (
	reportRows   = 5   // rows named in a group
	reportGroups = 100 // groups shown; the rest are counted
)

// report collects a dry run's problems, grouped: the same problem in the
// same column on many rows is one entry with a count and the first rows,
// so that a column of 113 ambiguous dates does not bury 6 other errors.
// Every problem stays in the results file, one line per row.
type report struct {
	groups map[string]*group
	order  []*group
	hidden int // problems in groups past reportGroups
}

// group is one kind of problem in one column.
type group struct {
	column, what string
	first        string // the first problem in full, for a group of one
	firstLine    int
	lines        []int    // the first reportRows rows
	details      []string // and what each row held
	n            int
}

func newReport() *report { return &report{groups: make(map[string]*group)} }

// add counts one problem of the row on line.
func (r *report) add(line int, p Problem) {
	what, detail := splitProblem(p.Message)
	key := p.Column + "\x00" + what
	g := r.groups[key]
	if g == nil {
		if len(r.order) >= reportGroups {
			r.hidden++
			return
		}
		g = &group{column: p.Column, what: what, first: p.String(), firstLine: line}
		r.groups[key] = g
		r.order = append(r.order, g)
	}
	g.n++
	if len(g.lines) < reportRows {
		g.lines = append(g.lines, line)
		g.details = append(g.details, detail)
	}
}

// write prints the groups in the order they were first met: a group of
// one as `row 12, DateOfBirth: "31/02/1990" is not a date`, a larger one
// as its column, count and problem, then its first rows with their values.
func (r *report) write(w io.Writer) {
	for _, g := range r.order {
		if g.n == 1 {
			fmt.Fprintf(w, "row %d, %s\n", g.firstLine, g.first)
			continue
		}
		head := plural(g.n, "row", "rows")
		if g.column != "" {
			head = g.column + ", " + head
		}
		fmt.Fprintf(w, "%s: %s\n", head, g.what)
		var b strings.Builder
		b.WriteString("    rows ")
		for i, line := range g.lines {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(line))
			if g.details[i] != "" {
				b.WriteString(" " + g.details[i])
			}
		}
		if more := g.n - len(g.lines); more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
		fmt.Fprintln(w, b.String())
	}
	if r.hidden > 0 {
		fmt.Fprintf(w, "%s of other kinds not shown: the results file (--results) lists every problem of every row\n", plural(r.hidden, "problem", "problems"))
	}
}

// splitProblem splits a problem's message into what is wrong, the same
// for every row with that problem, and what this row held: the value a
// message begins with (`"abc" is not a whole number`), the row a repeat
// repeats, the count of cells of a row that has the wrong number.
func splitProblem(msg string) (what, detail string) {
	switch {
	case strings.HasPrefix(msg, `"`):
		if q, err := strconv.QuotedPrefix(msg); err == nil {
			return strings.TrimSpace(msg[len(q):]), q
		}
	case strings.HasPrefix(msg, "repeats row "):
		rest := msg[len("repeats row "):]
		if sp := strings.IndexByte(rest, ' '); sp > 0 {
			return "repeats an earlier row" + rest[sp:], "(repeats row " + rest[:sp] + ")"
		}
	case strings.HasPrefix(msg, "row has "):
		rest := msg[len("row has "):]
		if but := strings.Index(rest, " but "); but > 0 {
			return "has another number of cells than the header:" + rest[but+len(" but"):], "(" + rest[:but] + ")"
		}
	}
	return msg, ""
}
