package exporter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// Column is one CSV column: its header (the API field name) and how a
// record's value is written in it.
type Column struct {
	Name string
	cell func(r *nexudus.Record, numericEnums bool) string
}

// Columns returns every field of a ContractContact in the documented order
// (the example answer of list-contractcontacts), headed by its API name.
func Columns() []Column {
	return []Column{
		{"CoworkerContractId", func(r *nexudus.Record, _ bool) string { return itoa(r.CoworkerContractID) }},
		{"CoworkerContractQuantity", func(r *nexudus.Record, _ bool) string { return intPtr(r.CoworkerContractQuantity) }},
		{"CoworkerContractFloorPlanDeskIds", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerContractFloorPlanDeskIds) }},
		{"CoworkerContractFloorPlanDeskNames", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerContractFloorPlanDeskNames) }},
		{"CoworkerContractTariffName", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerContractTariffName) }},
		{"CoworkerId", func(r *nexudus.Record, _ bool) string { return intPtr(r.CoworkerID) }},
		{"CoworkerFullName", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerFullName) }},
		{"CoworkerCompanyName", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerCompanyName) }},
		{"CoworkerBillingName", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerBillingName) }},
		{"CoworkerEmail", func(r *nexudus.Record, _ bool) string { return strPtr(r.CoworkerEmail) }},
		{"CoworkerActive", func(r *nexudus.Record, _ bool) string { return boolPtr(r.CoworkerActive) }},
		{"Email", func(r *nexudus.Record, _ bool) string { return strPtr(r.Email) }},
		{"FullName", func(r *nexudus.Record, _ bool) string { return r.FullName }},
		{"DateOfBirth", func(r *nexudus.Record, _ bool) string { return strPtr(r.DateOfBirth) }},
		{"Address", func(r *nexudus.Record, _ bool) string { return strPtr(r.Address) }},
		{"PostCode", func(r *nexudus.Record, _ bool) string { return strPtr(r.PostCode) }},
		{"CityName", func(r *nexudus.Record, _ bool) string { return strPtr(r.CityName) }},
		{"State", func(r *nexudus.Record, _ bool) string { return strPtr(r.State) }},
		{"CountryId", func(r *nexudus.Record, _ bool) string { return intPtr(r.CountryID) }},
		{"CountryName", func(r *nexudus.Record, _ bool) string { return strPtr(r.CountryName) }},
		{"PhoneNumber", func(r *nexudus.Record, _ bool) string { return strPtr(r.PhoneNumber) }},
		{"Notes", func(r *nexudus.Record, _ bool) string { return strPtr(r.Notes) }},
		{"ContractContactType", func(r *nexudus.Record, numeric bool) string {
			if numeric {
				return strconv.Itoa(int(r.ContractContactType))
			}
			return r.ContractContactType.String()
		}},
		{"Id", func(r *nexudus.Record, _ bool) string { return itoa(r.ID) }},
		{"UpdatedOn", func(r *nexudus.Record, _ bool) string { return r.UpdatedOn }},
		{"CreatedOn", func(r *nexudus.Record, _ bool) string { return r.CreatedOn }},
		{"UniqueId", func(r *nexudus.Record, _ bool) string { return r.UniqueID }},
		{"UpdatedBy", func(r *nexudus.Record, _ bool) string { return strPtr(r.UpdatedBy) }},
		{"IsNew", func(r *nexudus.Record, _ bool) string { return strconv.FormatBool(r.IsNew) }},
		{"SystemId", func(r *nexudus.Record, _ bool) string { return strPtr(r.SystemID) }},
		{"ToStringText", func(r *nexudus.Record, _ bool) string { return strPtr(r.ToStringText) }},
		{"LocalizationDetails", func(r *nexudus.Record, _ bool) string { return rawJSON(r.LocalizationDetails) }},
		{"CustomFields", func(r *nexudus.Record, _ bool) string { return rawJSON(r.CustomFields) }},
	}
}

// ParseColumns turns a comma-separated list of field names (any case) into
// columns in the order given. It returns an error naming the closest field
// for an unknown name, and for a name given twice or an empty list.
func ParseColumns(list string) ([]Column, error) {
	all := Columns()
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = c.Name
	}
	var out []Column
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		name := strings.TrimSpace(raw)
		if name == "" {
			continue
		}
		i := indexFold(names, name)
		if i < 0 {
			return nil, fmt.Errorf("unknown column %q%s", name, mapping.Hint(name, names))
		}
		if seen[names[i]] {
			return nil, fmt.Errorf("column %s is listed twice", names[i])
		}
		seen[names[i]] = true
		out = append(out, all[i])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no column named in %q", list)
	}
	return out, nil
}

// ParseOrderBy returns the field name (any case) to sort the listing by, in
// the API's spelling. It returns an error naming the closest sortable field
// for an unknown name, and one saying so for LocalizationDetails and
// CustomFields, which hold JSON objects and cannot be sorted.
func ParseOrderBy(name string) (string, error) {
	var sortable []string
	for _, c := range Columns() {
		if !isJSONColumn(c.Name) {
			sortable = append(sortable, c.Name)
		}
	}
	name = strings.TrimSpace(name)
	if i := indexFold(sortable, name); i >= 0 {
		return sortable[i], nil
	}
	if isJSONColumn(name) {
		return "", fmt.Errorf("%s holds JSON and cannot be sorted: choose another field, e.g. Id or FullName", name)
	}
	return "", fmt.Errorf("%q is not a field%s", name, mapping.Hint(name, sortable))
}

// isJSONColumn reports whether name is a column holding a JSON object.
func isJSONColumn(name string) bool {
	return strings.EqualFold(name, "LocalizationDetails") || strings.EqualFold(name, "CustomFields")
}

// ColumnNames returns the headers of cols.
func ColumnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

func indexFold(names []string, s string) int {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return i
		}
	}
	return -1
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func intPtr(p *int64) string {
	if p == nil {
		return ""
	}
	return itoa(*p)
}

func strPtr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func boolPtr(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

// rawJSON writes a JSON value as compact text, and null or nothing as an
// empty cell.
func rawJSON(m json.RawMessage) string {
	t := bytes.TrimSpace(m)
	if len(t) == 0 || string(t) == "null" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t); err != nil {
		return string(t)
	}
	return b.String()
}
