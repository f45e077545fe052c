package mapping

import (
	"fmt"
	"strings"
	"time"
)

// DateOrder says how to read a date like 03/04/1990, whose day and month
// could be either way round.
type DateOrder int

// The date orders --date-format names.
const (
	OrderUnknown DateOrder = iota // refuse ambiguous dates
	DayFirst                      // DMY: 03/04/1990 is 3 April 1990
	MonthFirst                    // MDY: 03/04/1990 is March 4, 1990
)

// ParseDateOrder reads a --date-format value: "DMY" (day first, also
// "dd/mm/yyyy") or "MDY" (month first, "mm/dd/yyyy"), in any case; "" is
// OrderUnknown.
func ParseDateOrder(s string) (DateOrder, error) {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "":
		return OrderUnknown, nil
	case "dmy", "ddmmyyyy", "ddmmyy":
		return DayFirst, nil
	case "mdy", "mmddyyyy", "mmddyy":
		return MonthFirst, nil
	}
	return OrderUnknown, fmt.Errorf("date format %q: want DMY (day first, 31/12/1990) or MDY (month first, 12/31/1990)", s)
}

// ParseDate reads a date of birth in ISO form (1990-12-31, also with a
// midnight time) or a form spreadsheets write (1990/12/31, 31/12/1990,
// 12/31/1990, 31 Dec 1990, 31-Dec-1990, December 31 1990), and returns it
// in the API's form 1990-12-31T00:00:00. The message says why s is not
// accepted: not a date, ambiguous without an order, or after today.
func ParseDate(s string, order DateOrder, today time.Time) (api string, msg string) {
	ty, tm, td := today.Date()
	return parseDateBefore(s, order, ty, int(tm), td)
}

// parseDateBefore is ParseDate with today as year, month and day.
func parseDateBefore(s string, order DateOrder, ty, tm, td int) (api string, msg string) {
	y, m, d, msg := parseDate(s, order)
	if msg != "" {
		return "", msg
	}
	if y == 0 && m == 0 && d == 0 {
		return "", fmt.Sprintf("%q is not a date", s)
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(m, y) || y < 1 {
		return "", fmt.Sprintf("%q is not a date", s)
	}
	if y > ty || (y == ty && (m > tm || (m == tm && d > td))) {
		return "", fmt.Sprintf("%q is in the future", s)
	}
	var buf [19]byte
	put := func(at, n, width int) {
		for i := width - 1; i >= 0; i-- {
			buf[at+i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, y, 4)
	buf[4] = '-'
	put(5, m, 2)
	buf[7] = '-'
	put(8, d, 2)
	copy(buf[10:], "T00:00:00")
	return string(buf[:]), ""
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDate splits s into year, month and day; range checks come later.
func parseDate(s string, order DateOrder) (y, m, d int, msg string) {
	notDate := "" // made by the caller: formatting costs on every row
	// The common case first: 1990-12-31.
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		if y, ok := atoi(s[:4]); ok {
			if m, ok := atoi(s[5:7]); ok {
				if d, ok := atoi(s[8:]); ok {
					return y, m, d, ""
				}
			}
		}
		return 0, 0, 0, notDate
	}
	datePart, ok := stripMidnight(s)
	if !ok {
		return 0, 0, 0, fmt.Sprintf("%q has a time of day; give the date alone", s)
	}
	parts := strings.FieldsFunc(datePart, func(r rune) bool {
		return r == ' ' || r == '/' || r == '-' || r == '.' || r == ','
	})
	if len(parts) != 3 {
		return 0, 0, 0, notDate
	}
	n := [3]int{}
	numeric := [3]bool{}
	month := -1
	for i, p := range parts {
		if v, ok := atoi(p); ok {
			n[i], numeric[i] = v, true
			continue
		}
		mo, ok := monthName(p)
		if !ok || month >= 0 {
			return 0, 0, 0, notDate
		}
		month, n[i] = i, mo
	}
	fourDigitYear := func(i int) bool { return numeric[i] && len(parts[i]) == 4 }
	switch {
	case month == 0 && fourDigitYear(2): // December 31 1990
		return n[2], n[0], n[1], ""
	case month == 1 && fourDigitYear(2): // 31 Dec 1990
		return n[2], n[1], n[0], ""
	case month >= 0:
		return 0, 0, 0, notDate
	case fourDigitYear(0): // 1990/12/31
		return n[0], n[1], n[2], ""
	case !fourDigitYear(2):
		return 0, 0, 0, fmt.Sprintf("%q is not a date (give a four-digit year)", s)
	}
	a, b := n[0], n[1]
	switch {
	case a > 12 && b <= 12:
		return n[2], b, a, ""
	case b > 12 && a <= 12:
		return n[2], a, b, ""
	case a == b || order == DayFirst:
		return n[2], b, a, ""
	case order == MonthFirst:
		return n[2], a, b, ""
	}
	return 0, 0, 0, fmt.Sprintf("%q is ambiguous (day/month or month/day?); say which with --date-format DMY or MDY", s)
}

// stripMidnight drops a midnight time ("T00:00:00", " 00:00", ".000", "Z")
// from s; ok is false when s has another time of day.
func stripMidnight(s string) (string, bool) {
	i := strings.IndexAny(s, "T:")
	if i < 0 {
		return s, true
	}
	if s[i] == ':' {
		// "31/12/1990 00:00": the time starts after the last space.
		i = strings.LastIndexByte(s[:i], ' ')
		if i < 0 {
			return s, true
		}
	}
	t := strings.TrimRight(strings.TrimLeft(s[i:], "T "), "Z")
	switch t {
	case "00:00", "00:00:00", "00:00:00.000", "0:00", "0:00:00":
		return strings.TrimSpace(s[:i]), true
	}
	return s, false
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// monthName reads an English month name or its three-letter abbreviation.
func monthName(s string) (int, bool) {
	s = strings.ToLower(s)
	for i, name := range [12]string{"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"} {
		if s == name || (len(s) >= 3 && strings.HasPrefix(name, s) && (len(s) == 3 || s == "sept")) {
			return i + 1, true
		}
	}
	return 0, false
}

// DateOrderOf tells what a date says about the order of day and month in
// its column: DayFirst for a date that can only be day/month (25/01/1967),
// MonthFirst for one that can only be month/day (01/25/1967), and
// OrderUnknown for any other text (03/04/1990, 1990-12-31, 31 Dec 1990,
// not a date at all).
func DateOrderOf(s string) DateOrder {
	datePart, ok := stripMidnight(strings.TrimSpace(s))
	if !ok {
		return OrderUnknown
	}
	parts := strings.FieldsFunc(datePart, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) != 3 || len(parts[0]) > 2 || len(parts[1]) > 2 || len(parts[2]) != 4 {
		return OrderUnknown
	}
	a, okA := atoi(parts[0])
	b, okB := atoi(parts[1])
	y, okY := atoi(parts[2])
	switch {
	case !okA || !okB || !okY || y < 1:
	case a > 12 && b >= 1 && b <= 12 && a <= daysIn(b, y):
		return DayFirst
	case b > 12 && a >= 1 && a <= 12 && b <= daysIn(a, y):
		return MonthFirst
	}
	return OrderUnknown
}

// String names the order as --date-format does: DMY, MDY, or "unknown".
func (o DateOrder) String() string {
	switch o {
	case DayFirst:
		return "DMY"
	case MonthFirst:
		return "MDY"
	}
	return "unknown"
}
