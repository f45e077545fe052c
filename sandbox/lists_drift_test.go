package sandbox

import (
	"reflect"
	"slices"
	"testing"

	"contactbulk/nexudus"
)

// TestListRecordKeysMatchTheClient: every field the client reads from the
// contracts, coworkers and countries lists is one the sandbox serves, by
// the same JSON name, so a lookup never reads a field that is always
// empty.
func TestListRecordKeysMatchTheClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		sandbox, client reflect.Type
	}{
		{"contracts", reflect.TypeFor[contractRecord](), reflect.TypeFor[nexudus.Contract]()},
		{"coworkers", reflect.TypeFor[coworkerRecord](), reflect.TypeFor[nexudus.Coworker]()},
		{"countries", reflect.TypeFor[countryRecord](), reflect.TypeFor[nexudus.Country]()},
	} {
		served := jsonKeys(tc.sandbox)
		for _, k := range jsonKeys(tc.client) {
			if !slices.Contains(served, k) {
				t.Errorf("%s: the client reads %s, which the sandbox does not serve (it serves %v)", tc.name, k, served)
			}
		}
	}
}
