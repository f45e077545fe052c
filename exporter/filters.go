package exporter

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// filterTimeLayout is the form range filters take: YYYY-MM-DDTHH:mm.
const filterTimeLayout = "2006-01-02T15:04"

// AddFilter checks one NAME=VALUE against the documented filters and adds
// it to q under the documented name. It returns an error naming the closest
// filter for an unknown name, and one saying the expected form for a value
// of the wrong kind (integer, true/false, or YYYY-MM-DDTHH:mm).
func AddFilter(q url.Values, nameValue string) error {
	name, value, ok := strings.Cut(nameValue, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("filter %q: want NAME=VALUE, e.g. ContractContact_CoworkerContract=1001", nameValue)
	}
	filters := nexudus.Filters()
	names := make([]string, len(filters))
	for i, f := range filters {
		names[i] = f.Name
	}
	i := indexFold(names, name)
	if i < 0 {
		return fmt.Errorf("unknown filter %q%s", name, mapping.Hint(name, names))
	}
	f := filters[i]
	v, err := checkValue(f.Kind, value)
	if err != nil {
		return fmt.Errorf("filter %s: %w", f.Name, err)
	}
	q.Add(f.Name, v)
	return nil
}

// checkValue validates value for kind and returns it in the API's form.
func checkValue(kind nexudus.FilterKind, value string) (string, error) {
	value = strings.TrimSpace(value)
	switch kind {
	case nexudus.Integer:
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			return "", fmt.Errorf("%q is not a whole number", value)
		}
	case nexudus.Boolean:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return "", fmt.Errorf("%q is not true or false", value)
		}
		return strconv.FormatBool(b), nil
	case nexudus.DateTime:
		return ParseTime(value)
	case nexudus.String:
		if value == "" {
			return "", fmt.Errorf("empty value")
		}
	}
	return value, nil
}

// ParseTime reads a date (2025-01-31) or a date and time (2025-01-31T08:00,
// seconds allowed) and returns it in the range filters' form
// YYYY-MM-DDTHH:mm. It returns an error showing both forms otherwise.
func ParseTime(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", filterTimeLayout, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(filterTimeLayout), nil
		}
	}
	return "", fmt.Errorf("%q is not a date: use 2025-01-31 or 2025-01-31T08:00", s)
}
