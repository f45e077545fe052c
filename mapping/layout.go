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
	kinds    [NumFields]Kind
	notes    []string
	order    DateOrder
	inferred string // why order was inferred from the sheet's own dates; "" when given
	today    time.Time
	ty, tm   int // today's year and month
	td       int // and day

	singleByte string // the file's single-byte encoding, for the advice on letters lost as "?"

	lookups lookupLayout // the columns that name related records instead of their Ids (lookup.go)
}

// NewLayout matches a header row against the mapping m and the field names.
// It returns an error when two columns give one field, a field is given
// both by a column and a constant, a mapped column is missing, or a
// required field has neither column nor constant. order resolves ambiguous
// dates; dates after today are refused.
func NewLayout(header []string, m Mapping, order DateOrder, today time.Time) (*Layout, error) {
	l := &Layout{order: order, today: today, id: -1}
	l.lookups.init()
	ty, tm, td := today.Date()
	l.ty, l.tm, l.td = ty, int(tm), td
	for i, f := range Fields() {
		l.column[i] = -1
		l.kinds[i] = f.Kind
	}
	explicit := make(map[int]bool)
	byFolded := make(map[string]string, len(m.Columns))
	for col, field := range m.Columns {
		byFolded[foldName(col)] = field
	}
	used := make(map[string]bool)
	var unread []string // columns the mapping says to ignore
	// Explicit mappings first: they win over a header's own name.
	for ci, h := range header {
		field, ok := m.Columns[strings.TrimSpace(h)]
		if !ok {
			field, ok = byFolded[foldName(h)]
		}
		if !ok {
			continue
		}
		if field == Ignore {
			if used[foldName(h)] && appendedIDColumn(h) {
				// A second CoworkerContractId (or CoworkerId, CountryId)
				// column: the Ids a results file appends for a field
				// whose own column was ignored. It is read as the field.
				continue
			}
			explicit[ci] = true
			used[foldName(h)] = true
			unread = append(unread, fmt.Sprintf("%q", strings.TrimSpace(h)))
			continue
		}
		if k, ok := lookupOnly(field); ok {
			if err := l.lookups.setColumn(k, ci, header, true); err != nil {
				return nil, err
			}
			explicit[ci] = true
			used[foldName(h)] = true
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
	for col, field := range m.Columns {
		if !used[foldName(col)] && field != Ignore { // a column to ignore may be absent
			return nil, fmt.Errorf("the mapping names column %q, which the header does not have (its columns: %s)", col, strings.Join(header, ", "))
		}
	}
	var ignored, readOnly, shadowed []string
	export := exportHeader(header, explicit)
	for ci, h := range header {
		if explicit[ci] {
			continue
		}
		name := strings.TrimSpace(h)
		fi, ok := LookupField(name)
		k, isLookup := LookupByName(name)
		isLookup = isLookup && !ok && !(export && IsReadOnly(name))
		switch {
		case isLookup && l.lookups.column[k] >= 0 && l.lookups.explicit[k]:
			shadowed = append(shadowed, fmt.Sprintf("%q", name))
		case isLookup:
			if err := l.lookups.setColumn(k, ci, header, false); err != nil {
				return nil, err
			}
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
		if k, ok := lookupOnly(field); ok {
			if err := l.lookups.setConstant(k, m.Constants[field], header); err != nil {
				return nil, err
			}
			continue
		}
		fi, ok := LookupField(field)
		if !ok {
			return nil, fmt.Errorf("%q is not a ContractContact field%s", field, FieldHint(field))
		}
		if l.column[fi] >= 0 {
			return nil, fmt.Errorf("%s is given both by column %q and as a constant; drop one", FieldName(fi), header[l.column[fi]])
		}
		// A constant is checked once here, not on every row.
		var c Contact
		if msg := l.set(&c, fi, strings.TrimSpace(m.Constants[field])); msg != "" {
			return nil, fmt.Errorf("the value for every row of %s (--set or the mapping's constants): %s", FieldName(fi), msg)
		}
		l.constant[fi] = m.Constants[field]
		l.hasConst[fi] = true
	}
	var missing []string
	for fi, f := range Fields() {
		if f.Required && l.column[fi] < 0 && !l.hasConst[fi] && !l.lookups.gives(fi) {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return nil, missingError(missing, header)
	}
	l.notes = append(l.notes, l.lookups.notes(header)...)
	if len(ignored) > 0 {
		l.notes = append(l.notes, "ignoring columns that are not ContractContact fields: "+strings.Join(ignored, ", "))
	}
	if len(unread) > 0 {
		l.notes = append(l.notes, "ignoring columns as the mapping says: "+strings.Join(unread, ", "))
	}
	if len(shadowed) > 0 {
		l.notes = append(l.notes, "ignoring columns replaced by the mapping: "+strings.Join(shadowed, ", "))
	}
	if len(readOnly) > 0 {
		l.notes = append(l.notes, "ignoring read-only fields of an export: "+strings.Join(readOnly, ", "))
	}
	return l, nil
}

// appendedIDColumn reports whether a header is the name a results file
// gives the column of Ids it appends for a lookup: the field's own name.
func appendedIDColumn(h string) bool {
	switch strings.TrimSpace(h) {
	case FieldName(FieldCoworkerContractID), FieldName(FieldCoworkerID), FieldName(FieldCountryID):
		return true
	}
	return false
}

// Notes returns what the header match has to say once: ignored columns,
// ignored read-only export fields.
func (l *Layout) Notes() []string { return l.notes }

// IDColumn returns the cell index of the Id column, or -1.
func (l *Layout) IDColumn() int { return l.id }

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

// missingError says which required fields no column gives, all at once,
// with the headers the sheet has and, for each field, the header closest
// to its name.
func missingError(missing, header []string) error {
	var seen, close []string
	for _, h := range header {
		if h = strings.TrimSpace(h); h != "" && len(seen) < 20 {
			seen = append(seen, fmt.Sprintf("%q", shorten(h)))
		}
	}
	if n := len(header); n > 20 {
		seen = append(seen, fmt.Sprintf("and %d more", n-20))
	}
	for _, field := range missing {
		if h := closestHeader(field, header); h != "" {
			close = append(close, fmt.Sprintf("%q for %s?", shorten(h), field))
		}
	}
	what := "the header row is empty"
	if len(seen) > 0 {
		what = "the header has " + strings.Join(seen, ", ")
	}
	if len(close) > 0 {
		what += "; closest: " + strings.Join(close, ", ")
	}
	verb := "add it"
	if len(missing) > 1 {
		verb = "add them"
	}
	return fmt.Errorf("no column gives %s (%s): %s, map a column with --map \"Column=%s\", or give one value for every row with --set %s=VALUE",
		strings.Join(missing, " or "), what, verb, missing[0], missing[0])
}

// shorten cuts a header cell that is too long to quote in a message.
func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:37]) + "..."
	}
	return s
}

// closestHeader returns the header cell nearest to a field's name or one
// of its spreadsheet names: within a few edits, or holding the name whole
// ("Contract no." for CoworkerContractId); "" when none is close.
func closestHeader(field string, header []string) string {
	fi, _ := LookupField(field)
	names := []string{foldName(field)}
	for _, a := range aliases() {
		if a.field == fi {
			names = append(names, foldName(a.name))
		}
	}
	best, bestD := "", -1
	for _, h := range header {
		key := foldName(h)
		if key == "" {
			continue
		}
		for _, n := range names {
			d := editDistance(key, n)
			if strings.Contains(key, n) || strings.Contains(n, key) && len(key) >= 3 {
				d = min(d, 1)
			}
			if d <= max(2, len(n)/3) && (bestD < 0 || d < bestD) {
				best, bestD = strings.TrimSpace(h), d
			}
		}
	}
	return best
}

// InferDateOrder has the layout read ambiguous dates such as 03/04/1990
// in order, which the sheet's own dates showed; why says how (`as 41 rows
// such as "25/01/1967" on row 5 show`). A date that can only be read the
// other way is then reported as contradicting its column.
func (l *Layout) InferDateOrder(order DateOrder, why string) {
	l.order, l.inferred = order, why
}

// SetSingleByte tells the layout that the file is text in a single-byte
// encoding (such as "Windows-1252"), so that a cell whose letters were
// lost as "?" is reported with the right advice.
func (l *Layout) SetSingleByte(encoding string) { l.singleByte = encoding }

// orderWords says a date order in words.
func orderWords(o DateOrder) string {
	if o == MonthFirst {
		return "month/day"
	}
	return "day/month"
}

// HeaderScore counts the cells of a row that name a field, a column of
// the mapping, or a column an export or a results file writes: above 0
// for a header row, 0 for a title above it or a row of data.
func HeaderScore(row []string, m Mapping) int {
	mapped := make(map[string]bool, len(m.Columns))
	for col := range m.Columns {
		mapped[foldName(col)] = true
	}
	n := 0
	for _, h := range row {
		key := foldName(h)
		_, field := LookupField(h)
		_, lookup := LookupByName(h)
		switch {
		case key == "":
		case field, lookup, mapped[key], readOnly(key):
			n++
		case key == "row" || key == "status" || key == "error":
			n++
		}
	}
	return n
}
