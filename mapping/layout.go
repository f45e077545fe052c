package mapping

import (
	"fmt"
	"strings"
	"time"
)

// Layout is how the columns of one sheet map to create fields: built once
// from the header row, then used to turn every row into a Contact.
type Layout struct {
	column   [NumFields]int // the cell index holding each field, -1 if none
	id       int            // the cell index of an Id column (an export fed back), -1 if none
	constant [NumFields]string
	hasConst [NumFields]bool
	notes    []string
	order    DateOrder
	today    time.Time
}

// NewLayout matches a header row against the mapping m and the field names.
// It returns an error when two columns give one field, a field is given
// both by a column and a constant, a mapped column is missing, or a
// required field has neither column nor constant. order resolves ambiguous
// dates; dates after today are refused.
func NewLayout(header []string, m Mapping, order DateOrder, today time.Time) (*Layout, error) {
	l := &Layout{order: order, today: today, id: -1}
	for i := range l.column {
		l.column[i] = -1
	}
	explicit := make(map[int]bool)
	byFolded := make(map[string]string, len(m.Columns))
	for col, field := range m.Columns {
		byFolded[foldName(col)] = field
	}
	used := make(map[string]bool)
	// Explicit mappings first: they win over a header's own name.
	for ci, h := range header {
		field, ok := m.Columns[strings.TrimSpace(h)]
		if !ok {
			field, ok = byFolded[foldName(h)]
		}
		if !ok {
			continue
		}
		fi, _ := LookupField(field)
		if l.column[fi] >= 0 {
			return nil, fmt.Errorf("columns %q and %q both map to %s; map only one", header[l.column[fi]], h, FieldName(fi))
		}
		l.column[fi] = ci
		explicit[ci] = true
		used[foldName(h)] = true
	}
	for col := range m.Columns {
		if !used[foldName(col)] {
			return nil, fmt.Errorf("the mapping names column %q, which the header does not have (its columns: %s)", col, strings.Join(header, ", "))
		}
	}
	var ignored, readOnly, shadowed []string
	for ci, h := range header {
		if explicit[ci] {
			continue
		}
		name := strings.TrimSpace(h)
		fi, ok := LookupField(name)
		switch {
		case ok && l.column[fi] >= 0 && explicit[l.column[fi]]:
			shadowed = append(shadowed, fmt.Sprintf("%q", name))
		case ok && l.column[fi] >= 0:
			return nil, fmt.Errorf("columns %q and %q both give %s; remove one, or map one to another field with --map", header[l.column[fi]], name, FieldName(fi))
		case ok:
			l.column[fi] = ci
		case foldName(name) == "id" && l.id < 0:
			l.id = ci
			l.notes = append(l.notes, fmt.Sprintf("column %q: a row with an Id is that record, checked against the space (its changes are applied with --update)", name))
		case IsReadOnly(name):
			readOnly = append(readOnly, name)
		case name == "":
			ignored = append(ignored, fmt.Sprintf("column %d (no header)", ci+1))
		default:
			ignored = append(ignored, fmt.Sprintf("%q", name))
		}
	}
	for _, field := range sortedKeys(m.Constants) {
		fi, ok := LookupField(field)
		if !ok {
			return nil, fmt.Errorf("%q is not a ContractContact field%s", field, FieldHint(field))
		}
		if l.column[fi] >= 0 {
			return nil, fmt.Errorf("%s is given both by column %q and as a constant; drop one", FieldName(fi), header[l.column[fi]])
		}
		l.constant[fi] = m.Constants[field]
		l.hasConst[fi] = true
	}
	for fi, f := range Fields() {
		if f.Required && l.column[fi] < 0 && !l.hasConst[fi] {
			return nil, fmt.Errorf("no column gives %s: add one, map one with --map \"Column=%s\", or give one value for every row with --set %s=VALUE", f.Name, f.Name, f.Name)
		}
	}
	if len(ignored) > 0 {
		l.notes = append(l.notes, "ignoring columns that are not ContractContact fields: "+strings.Join(ignored, ", "))
	}
	if len(shadowed) > 0 {
		l.notes = append(l.notes, "ignoring columns replaced by the mapping: "+strings.Join(shadowed, ", "))
	}
	if len(readOnly) > 0 {
		l.notes = append(l.notes, "ignoring read-only fields of an export: "+strings.Join(readOnly, ", "))
	}
	return l, nil
}

// Notes returns what the header match has to say once: ignored columns,
// ignored read-only export fields.
func (l *Layout) Notes() []string { return l.notes }

// RecordID reads a row's Id cell: the record the row is (an export fed
// back), or 0 when the sheet has no Id column or the cell is blank. msg
// says what is wrong with a cell that is not a record Id.
func (l *Layout) RecordID(cells []string) (id int64, msg string) {
	if l.id < 0 || l.id >= len(cells) {
		return 0, ""
	}
	v := Unquote(strings.TrimSpace(cells[l.id]))
	if v == "" {
		return 0, ""
	}
	return wholeNumber(v)
}

// Given reports, for each field (a Field* index), whether the row gives it:
// a constant, or a non-blank cell in the field's column. A field the row
// leaves blank is one an update must not change.
func (l *Layout) Given(cells []string) (given [NumFields]bool) {
	for fi := range given {
		c := l.column[fi]
		given[fi] = l.hasConst[fi] || c >= 0 && c < len(cells) && strings.TrimSpace(Unquote(strings.TrimSpace(cells[c]))) != ""
	}
	return given
}

// Column returns the cell index that holds field fi (a Field* index), or -1.
func (l *Layout) Column(fi int) int { return l.column[fi] }
