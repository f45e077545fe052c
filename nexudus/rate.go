package nexudus

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of requests per period, such as 60 per minute.
type Rate struct {
	N   int
	Per time.Duration
}

// String writes r the way ParseRate reads it, e.g. "60/min".
func (r Rate) String() string {
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.N)
	case time.Minute:
		return fmt.Sprintf("%d/min", r.N)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.N)
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// IsZero reports whether r is unset.
func (r Rate) IsZero() bool { return r.N == 0 && r.Per == 0 }

// ParseRate reads a rate written as N/UNIT, where UNIT is s, min or h
// (also sec, second, m, minute, hour): "60/min", "2/s", "5000/h", with N
// at most MaxRateCount. It returns an error saying the accepted form for
// anything else.
func ParseRate(s string) (Rate, error) {
	bad := func() (Rate, error) {
		return Rate{}, fmt.Errorf("rate %q: want a positive number per s, min or h, like 60/min, 2/s or 5000/h", s)
	}
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return bad()
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if errors.Is(err, strconv.ErrRange) || err == nil && n > MaxRateCount {
		return Rate{}, fmt.Errorf("rate %q: at most %d per s, min or h (Nexudus itself allows 120/min)", s, MaxRateCount)
	}
	if err != nil || n <= 0 {
		return bad()
	}
	var per time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hr", "hour":
		per = time.Hour
	default:
		return bad()
	}
	return Rate{N: n, Per: per}, nil
}
