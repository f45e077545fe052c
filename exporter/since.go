package exporter

import (
	"strings"
	"time"

	"contactbulk/nexudus"
)

// changedSince reports whether r was updated at or after since, or, when
// it carries no UpdatedOn (a new record on some servers), created at or
// after it, reading dates in every form servers write them
// (nexudus.ParseTime). A record whose dates cannot be read counts as changed (known
// is false): an export never leaves out what it cannot place.
func changedSince(r *nexudus.Record, since time.Time) (changed, known bool) {
	if t, ok := nexudus.ParseTime(r.UpdatedOn); ok {
		return !t.Before(since), true
	}
	if strings.TrimSpace(r.UpdatedOn) == "" {
		if t, ok := nexudus.ParseTime(r.CreatedOn); ok {
			return !t.Before(since), true
		}
	}
	return true, false
}
