package nexudus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"contactbulk/mapping"
)

// decode reads the JSON answer body into v (a pointer to a Page, Record,
// []Record or writeAnswer). Extra fields are ignored. A value of another
// JSON type than its field expects (an Id as a string, a contact type by
// name, a number where text was expected) is converted rather than failing
// the whole answer, and one that cannot be converted is left out; each
// field so read is noted once per client. An answer whose outermost shape
// is wrong (an object where a list was expected) is still an error.
func (c *Client) decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	if err == nil || !errors.As(err, &te) {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var raw any
	if d.Decode(&raw) != nil {
		return err
	}
	t := reflect.TypeOf(v).Elem()
	switch raw.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return err
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return err
		}
	default:
		return err
	}
	var notes []string
	b, merr := json.Marshal(coerce(raw, t, "", &notes))
	if merr != nil {
		return err
	}
	reflect.ValueOf(v).Elem().SetZero() // the failed pass may have filled some of it
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	c.note(notes)
	return nil
}

// note logs each tolerant reading once per field and client.
func (c *Client) note(notes []string) {
	if len(notes) == 0 {
		return
	}
	c.notedMu.Lock()
	defer c.notedMu.Unlock()
	for _, n := range notes {
		field, _, _ := strings.Cut(n, " ")
		if c.noted[field] {
			continue
		}
		c.noted[field] = true
		c.cfg.Logf("note: the server sent %s", n)
	}
}

// coerce converts the generic JSON value v (as decoded with UseNumber) to
// what a field of type t takes, appending a note for each conversion; it
// returns nil (null, the field left out) for what cannot be converted.
func coerce(v any, t reflect.Type, path string, notes *[]string) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == reflect.TypeFor[json.RawMessage]() || t.Kind() == reflect.Interface {
		return v
	}
	skip := func() any {
		*notes = append(*notes, fmt.Sprintf("%s as %s; left empty", path, shown(v)))
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return skip()
		}
		for k, fv := range m {
			if f, ok := fieldByJSONName(t, k); ok {
				m[k] = coerce(fv, f.Type, k, notes)
			}
		}
		return m
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return skip()
		}
		for i, e := range list {
			list[i] = coerce(e, t.Elem(), path, notes)
		}
		return list
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return coerceInt(v, t, path, notes, skip)
	case reflect.Float32, reflect.Float64:
		switch x := v.(type) {
		case json.Number:
			return x
		case string:
			if _, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				*notes = append(*notes, fmt.Sprintf("%s as text %q; read as a number", path, x))
				return json.Number(strings.TrimSpace(x))
			}
		}
		return skip()
	case reflect.String:
		switch x := v.(type) {
		case string:
			return x
		case json.Number:
			*notes = append(*notes, fmt.Sprintf("%s as a number; read as text", path))
			return x.String()
		case bool:
			*notes = append(*notes, fmt.Sprintf("%s as true/false; read as text", path))
			return strconv.FormatBool(x)
		}
		return skip()
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			return x
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				*notes = append(*notes, fmt.Sprintf("%s as text %q; read as %v", path, x, b))
				return b
			}
		case json.Number:
			switch x.String() {
			case "0", "1":
				*notes = append(*notes, fmt.Sprintf("%s as the number %s; read as %v", path, x, x == "1"))
				return x == "1"
			}
		}
		return skip()
	}
	return v
}

// coerceInt converts v for an integer field of type t: a whole number, a
// number written as text, or, for the contact type, its name. An unknown
// type name is read as -1, so that it shows as such rather than as None.
func coerceInt(v any, t reflect.Type, path string, notes *[]string, skip func() any) any {
	text := ""
	switch x := v.(type) {
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return x
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			*notes = append(*notes, fmt.Sprintf("%s as the number %s; read as a whole number", path, x))
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
		return skip()
	case string:
		text = strings.TrimSpace(x)
	default:
		return skip()
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		*notes = append(*notes, fmt.Sprintf("%s as text (%q); read as the number", path, text))
		return json.Number(strconv.FormatInt(n, 10))
	}
	if t == reflect.TypeFor[mapping.ContactType]() {
		if ct, err := mapping.ParseContactType(text); err == nil {
			*notes = append(*notes, fmt.Sprintf("%s by name (%q); read as %d", path, text, int(ct)))
			return int(ct)
		}
		*notes = append(*notes, fmt.Sprintf("%s %q, not a documented type; read as -1", path, text))
		return -1
	}
	return skip()
}

// fieldByJSONName finds the field of struct type t that encoding/json
// would fill from key: the exact name first, then ignoring case.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

// shown describes a JSON value for a note without its whole content.
func shown(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 20 {
			x = x[:20] + "..."
		}
		return fmt.Sprintf("text %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "an unexpected value"
}

// ParseTime reads a date and time as Nexudus may write it (CreatedOn,
// UpdatedOn): with Z, without a zone, with an offset (+02:00 or +0200),
// with a fraction of up to 9 digits (Nexudus writes 7), with a space
// instead of the T, to the minute (as range filters take them) or a bare
// date. A time without a zone is read as UTC, like one with Z, because
// Nexudus may write the space's local time either way. It reports false
// for anything else, and for "".
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
