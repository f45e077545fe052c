package sandbox

// The sandbox keeps its own copies of the API's shapes on purpose: it is
// the oracle the client is tested against. These tests tie the copies
// together, so that one cannot change without the other.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// jsonKeys returns the JSON names of a struct type's fields, in order.
func jsonKeys(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

func TestRecordKeysMatchTheClient(t *testing.T) {
	t.Parallel()
	sandboxKeys := jsonKeys(reflect.TypeFor[Record]())
	if client := jsonKeys(reflect.TypeFor[nexudus.Record]()); !slices.Equal(sandboxKeys, client) {
		t.Errorf("JSON keys differ:\nsandbox.Record %v\nnexudus.Record %v", sandboxKeys, client)
	}
	if !slices.Equal(sandboxKeys, recordKeys()) {
		t.Errorf("the tests' recordKeys %v are not sandbox.Record's %v", recordKeys(), sandboxKeys)
	}
	// The answer behaviours serve the same keys, whatever they change.
	srv, err := New(Config{Behaviour: Behaviour{TypeNames: true, NullUpdatedOn: true, Dates: DatesFraction}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(srv.wire(&Record{DateOfBirth: sp("1980-01-01T00:00:00")}))
	if err != nil {
		t.Fatal(err)
	}
	var served map[string]json.RawMessage
	if err := json.Unmarshal(b, &served); err != nil {
		t.Fatal(err)
	}
	if keys := sortedKeys(served); !slices.Equal(keys, sorted(sandboxKeys)) {
		t.Errorf("a shaped record serves keys %v, want %v", keys, sorted(sandboxKeys))
	}
}

func TestFiltersMatchTheClient(t *testing.T) {
	t.Parallel()
	props := properties()
	ours, theirs := filters(), nexudus.Filters()
	if len(ours) != len(theirs) {
		t.Fatalf("%d filters in the sandbox, %d in the client", len(ours), len(theirs))
	}
	for i, f := range ours {
		want := nexudus.Filter{Name: f.name}
		switch f.kind {
		case intFilter:
			want.Kind = nexudus.Integer
		case stringFilter:
			want.Kind = nexudus.String
		case boolFilter:
			want.Kind = nexudus.Boolean
		case fromFilter, toFilter:
			want.Range, want.Kind = true, nexudus.Integer
			if props[strings.ToLower(f.prop)].kind == timeValue {
				want.Kind = nexudus.DateTime
			}
		}
		if theirs[i] != want {
			t.Errorf("filter %d: the client has %+v, the sandbox %+v", i, theirs[i], want)
		}
		if _, ok := props[strings.ToLower(f.prop)]; !ok {
			t.Errorf("filter %s tests %s, which is not a property", f.name, f.prop)
		}
	}
	if names := FilterNames(); len(names) != len(ours) || names[0] != ours[0].name {
		t.Errorf("FilterNames() = %v", names)
	}
}

// TestCreateFieldsMatchTheClient checks that the fields the client may
// create (mapping.Fields) are what the sandbox stores from a create, that
// the required ones are the sandbox's, and that every other field of a
// record is read-only: sent in a create, it is ignored.
func TestCreateFieldsMatchTheClient(t *testing.T) {
	t.Parallel()
	fields := mapping.Fields()
	var names []string
	required := map[string]bool{}
	for _, f := range fields {
		names = append(names, f.Name)
		required[f.Name] = f.Required
	}
	if keys := jsonKeys(reflect.TypeFor[mapping.Contact]()); !slices.Equal(keys, names) {
		t.Errorf("mapping.Contact's keys %v are not mapping.Fields() %v", keys, names)
	}
	recordKeys := jsonKeys(reflect.TypeFor[Record]())
	for _, n := range names {
		if !slices.Contains(recordKeys, n) {
			t.Errorf("create field %s is not a record key", n)
		}
	}
	h := start(t, Config{})

	t.Run("what the client creates is stored", func(t *testing.T) {
		client, err := nexudus.New(nexudus.Config{BaseURL: h.ts.URL, HTTPClient: h.ts.Client(), Token: h.srv.Token(), MinInterval: -1, DailyWrites: -1,
			Rate: nexudus.Rate{N: 1000, Per: time.Second}, WriteRate: nexudus.Rate{N: 1000, Per: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		coworker, country := int64(2002), int64(3)
		sent := mapping.Contact{CoworkerContractID: 1003, FullName: "Every Field", CoworkerID: &coworker, Email: "every@example.com",
			DateOfBirth: "1990-01-02T00:00:00", Address: "1 Street", PostCode: "PC1", CityName: "City", State: "State",
			CountryID: &country, PhoneNumber: "+1 555", Notes: "Notes", ContractContactType: mapping.TypeCompanyAlias}
		id, err := client.Create(context.Background(), sent)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(sent)
		var want map[string]any
		json.Unmarshal(body, &want)
		if len(want) != len(names) {
			t.Fatalf("the full contact sets %d fields, want all %d: %s", len(want), len(names), body)
		}
		stored := recordMap(t, h, id)
		for _, n := range names {
			if !reflect.DeepEqual(stored[n], want[n]) {
				t.Errorf("%s: sent %v, stored %v", n, want[n], stored[n])
			}
		}
	})
	t.Run("the required fields", func(t *testing.T) {
		for _, n := range names {
			body := map[string]any{"CoworkerContractId": 1001, "FullName": "Required?"}
			delete(body, n)
			b, _ := json.Marshal(body)
			status, ans := h.do("POST", collectionPath, string(b))
			if got := status == 400 && strings.Contains(string(ans), `"PropertyName":"`+n+`"`); got != required[n] {
				t.Errorf("a create without %s: status %d %s; required by mapping: %v", n, status, ans, required[n])
			}
		}
	})
	t.Run("every other field is read-only", func(t *testing.T) {
		for f := range reflect.TypeFor[Record]().Fields() {
			key := jsonKeys(reflect.StructOf([]reflect.StructField{f}))[0]
			if slices.Contains(names, key) {
				continue
			}
			bogus := bogusFor(f.Type)
			b, _ := json.Marshal(map[string]any{"CoworkerContractId": 1001, "FullName": "Read-only " + key, key: bogus})
			status, ans := h.do("POST", collectionPath, string(b))
			if status != 200 {
				t.Errorf("a create with %s: status %d %s", key, status, ans)
				continue
			}
			var created struct{ Value struct{ Id int64 } }
			json.Unmarshal(ans, &created)
			if got := recordMap(t, h, created.Value.Id)[key]; reflect.DeepEqual(got, roundTrip(bogus)) {
				t.Errorf("%s is stored as sent (%v): it should be read-only", key, got)
			}
		}
	})
}

// recordMap reads record id as generic JSON.
func recordMap(t *testing.T, h *harness, id int64) map[string]any {
	t.Helper()
	status, b := h.do("GET", fmt.Sprintf("%s/%d", collectionPath, id), "")
	var m map[string]any
	if err := json.Unmarshal(b, &m); status != 200 || err != nil {
		t.Fatalf("GET %d: status %d %v: %s", id, status, err, b)
	}
	return m
}

// bogusFor returns a value of t's JSON kind that no server would store
// for a read-only field.
func bogusFor(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "Bogus value"
	case reflect.Bool:
		return true
	case reflect.Int, reflect.Int64:
		return 424242
	}
	return map[string]any{"Bogus": 1} // json.RawMessage
}

// roundTrip is v as generic JSON decodes it.
func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}
