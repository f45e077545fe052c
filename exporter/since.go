package exporter

import (
	"strings"
	"time"

	"contactbulk/nexudus"
)

// recordTime reads a record's date in any form servers send: with a Z
// (which may be the space's local time: the overlap covers that), without
// a zone (read as UTC, like a Z), with an offset, with a fraction of up to
// seven digits. ok is false for an empty or unreadable date.
func recordTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04", "2006-01-02 15:04:05.9999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// changedSince reports whether r was updated at or after since, or, when
// it carries no UpdatedOn (a new record on some servers), created at or
// after it. A record whose dates cannot be read counts as changed (known
// is false): an export never leaves out what it cannot place.
func changedSince(r *nexudus.Record, since time.Time) (changed, known bool) {
	if t, ok := recordTime(r.UpdatedOn); ok {
		return !t.Before(since), true
	}
	if strings.TrimSpace(r.UpdatedOn) == "" {
		if t, ok := recordTime(r.CreatedOn); ok {
			return !t.Before(since), true
		}
	}
	return true, false
}
