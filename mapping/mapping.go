package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Mapping says which sheet column holds which field, beyond the headers
// matched by name, and which fields take one value for every row.
//
// A mapping file is YAML or JSON (chosen by the .yaml/.yml/.json extension,
// else by content) with two optional sections:
//
//	columns:                      # sheet column header -> API field name
//	  Member: FullName
//	  "Agreement no.": CoworkerContractId
//	constants:                    # API field name -> value for every row
//	  ContractContactType: NominatedRecipient
//	  CountryId: 826
//
// Field names are matched like headers (case, spaces, underscores and
// hyphens ignored; "DOB", "Postal Code" and the other aliases accepted).
// A lookup's name (ContractHolderEmail, CoworkerEmail, Country, ...; see
// Lookup) may stand where a field's does: the column, or the constant,
// then names the record whose Id the import looks up. A column mapped to
// "-" (Ignore) is not read. The same can be said with the import flags
// --map "Column=Field" and --set Field=Value, both repeatable; they add to
// the file's entries.
type Mapping struct {
	Columns   map[string]string `json:"columns" yaml:"columns"`     // sheet column header -> field
	Constants map[string]string `json:"constants" yaml:"constants"` // field -> value for every row
}

// fileMapping is a mapping file as decoded: constants may be numbers.
type fileMapping struct {
	Columns   map[string]string `json:"columns" yaml:"columns"`
	Constants map[string]any    `json:"constants" yaml:"constants"`
}

// Load reads a mapping file (YAML or JSON) and checks its field names.
func Load(path string) (Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, fmt.Errorf("read mapping: %w", err)
	}
	format := ""
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		format = "json"
	case ".yaml", ".yml":
		format = "yaml"
	}
	m, err := Parse(data, format)
	if err != nil {
		return Mapping{}, fmt.Errorf("mapping %s: %w", filepath.Base(path), err)
	}
	return m, nil
}

// Parse decodes a mapping from YAML or JSON (format "yaml", "json", or ""
// to tell by content) and checks its field names.
func Parse(data []byte, format string) (Mapping, error) {
	if format == "" {
		format = "yaml"
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
			format = "json"
		}
	}
	var fm fileMapping
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		if err := dec.Decode(&fm); err != nil {
			return Mapping{}, fmt.Errorf("not valid JSON: %s", decodeProblem(err))
		}
	default:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) {
			return Mapping{}, fmt.Errorf("not valid YAML: %s%s", decodeProblem(err), yamlHint(data))
		}
	}
	m := Mapping{Columns: fm.Columns, Constants: make(map[string]string, len(fm.Constants))}
	for k, v := range fm.Constants {
		s, err := scalar(v)
		if err != nil {
			return Mapping{}, fmt.Errorf("constant %s: %w", k, err)
		}
		m.Constants[k] = s
	}
	return m.normalized()
}

// decodeProblem words a YAML or JSON decoding error on one line, in the
// mapping file's own terms rather than Go's.
func decodeProblem(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if i := strings.Index(msg, " not found in type "); i >= 0 {
			// "line 1: field colums not found in type mapping.fileMapping"
			msg = strings.Replace(msg[:i], "field ", "unknown section ", 1) + " (a mapping file has columns: and constants:)"
		} else if i := strings.Index(msg, "cannot unmarshal "); i >= 0 {
			msg = msg[:i] + "want column: field pairs under columns: and field: value pairs under constants:"
		}
		return msg
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Sprintf("%s: want column: field pairs under columns and field: value pairs under constants", ute.Field)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "json: ")
	if strings.HasPrefix(msg, "unknown field ") {
		msg = strings.Replace(msg, "unknown field", "unknown section", 1) + " (a mapping file has columns and constants)"
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// bareDash matches a YAML line whose value is a bare "-", which YAML reads
// as a list: "Company: -", "Company:  - # employer".
var bareDash = regexp.MustCompile(`^(.+?):\s+-\s*(#.*)?$`)

// yamlHint explains a YAML error caused by what people write in a mapping
// file and YAML reads otherwise: a column name holding "#" ("Contract #:
// CoworkerContractId"), which starts a comment, or an ignored column's
// bare "-" ("Company: -"), which starts a list; "" when no line has either.
func yamlHint(data []byte) string {
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, `"`) || strings.HasPrefix(t, "'") {
			continue
		}
		if m := bareDash.FindStringSubmatch(t); m != nil {
			return fmt.Sprintf(" (line %d: in YAML a bare - starts a list; quote it: %s: \"-\")", i+1, m[1])
		}
		if h := strings.Index(t, " #"); h > 0 && strings.Contains(t[h:], ":") {
			name := strings.TrimSpace(t[:strings.LastIndex(t, ":")])
			return fmt.Sprintf(" (line %d: in YAML a # after a space starts a comment; quote a name that holds one: \"%s\":)", i+1, name)
		}
	}
	return ""
}

// scalar renders a decoded constant as the text a cell would hold.
func scalar(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("must be a single value, not a list or a map")
}

// AddColumn adds a --map "Column Name=Field" entry.
func (m *Mapping) AddColumn(spec string) error {
	i := strings.LastIndexByte(spec, '=')
	if i <= 0 || strings.TrimSpace(spec[:i]) == "" || strings.TrimSpace(spec[i+1:]) == "" {
		return fmt.Errorf("--map %q: want \"Column Name=Field\"", spec)
	}
	column, field := strings.TrimSpace(spec[:i]), strings.TrimSpace(spec[i+1:])
	canon, err := canonical(field)
	if err != nil {
		return fmt.Errorf("--map %q: %w", spec, err)
	}
	if m.Columns == nil {
		m.Columns = make(map[string]string)
	}
	m.Columns[column] = canon
	return nil
}

// AddConstant adds a --set Field=Value entry.
func (m *Mapping) AddConstant(spec string) error {
	i := strings.IndexByte(spec, '=')
	if i <= 0 || strings.TrimSpace(spec[:i]) == "" {
		return fmt.Errorf("--set %q: want Field=Value", spec)
	}
	canon, err := fieldName(strings.TrimSpace(spec[:i]))
	if err != nil {
		return fmt.Errorf("--set %q: %w", spec, err)
	}
	// Checked once here, not on every row. Dates wait for the layout,
	// which knows --date-format.
	if k, ok := lookupOnly(canon); ok {
		var ll lookupLayout
		ll.init()
		if err := ll.setConstant(k, spec[i+1:], nil); err != nil {
			return fmt.Errorf("--set %q: %w", spec, err)
		}
	} else if fi, _ := LookupField(canon); fi != FieldDateOfBirth {
		var l Layout
		var c Contact
		if msg := l.set(&c, fi, strings.TrimSpace(spec[i+1:])); msg != "" {
			return fmt.Errorf("--set %q: %s %s", spec, canon, msg)
		}
	}
	if m.Constants == nil {
		m.Constants = make(map[string]string)
	}
	m.Constants[canon] = strings.TrimSpace(spec[i+1:])
	return nil
}

// normalized returns m with every field name in the API's spelling, or an
// error naming the closest field for a name that is not one.
func (m Mapping) normalized() (Mapping, error) {
	out := Mapping{Columns: make(map[string]string, len(m.Columns)), Constants: make(map[string]string, len(m.Constants))}
	for _, col := range sortedKeys(m.Columns) {
		canon, err := canonical(m.Columns[col])
		if err != nil {
			return Mapping{}, fmt.Errorf("column %q: %w", col, err)
		}
		out.Columns[col] = canon
	}
	for _, field := range sortedKeys(m.Constants) {
		canon, err := fieldName(field)
		if err != nil {
			return Mapping{}, fmt.Errorf("constant: %w", err)
		}
		out.Constants[canon] = m.Constants[field]
	}
	return out, nil
}

// Ignore, as a column's field ("Company: -" in a mapping file, --map
// "Company=-"), says to read nothing from that column: a header that
// would otherwise be taken for a field or a lookup, but means something
// else in this sheet.
const Ignore = "-"

// canonical returns the API name of a field name, or the name of a lookup
// (ContractHolderEmail, Country, ...), or Ignore, or an error naming the
// closest one.
func canonical(name string) (string, error) {
	if strings.TrimSpace(name) == Ignore {
		return Ignore, nil
	}
	i, ok := LookupField(name)
	if ok {
		return FieldName(i), nil
	}
	if k, ok := LookupByName(name); ok {
		return k.String(), nil
	}
	hint := FieldHint(name)
	if hint == "" {
		hint = Hint(name, lookupNames())
	}
	return "", fmt.Errorf("%q is not a ContractContact field%s", name, hint)
}

// fieldName is canonical for a constant's name, which must name a field
// or a lookup.
func fieldName(name string) (string, error) {
	if strings.TrimSpace(name) == Ignore {
		return "", fmt.Errorf("%q names no field (it ignores a column, under columns or in --map)", name)
	}
	return canonical(name)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
