package nexudus

import (
	"encoding/json"
	"testing"
)

// TestPageJSON: a contacts page reads and writes the listing envelope's
// keys, in the documented order, the same as a related list's page.
func TestPageJSON(t *testing.T) {
	t.Parallel()
	const want = `{"Records":[],"CurrentPage":2,"CurrentPageSize":25,"CurrentOrderField":"Id","CurrentSortDirection":1,"FirstItem":26,"LastItem":50,"TotalItems":80,"TotalPages":4,"HasNextPage":true,"HasPreviousPage":true}`
	var p Page
	if err := json.Unmarshal([]byte(want), &p); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(p)
	if err != nil || string(got) != want {
		t.Fatalf("Page JSON = %s, %v; want %s", got, err, want)
	}
	var l ListPage[Contract]
	if err := json.Unmarshal([]byte(want), &l); err != nil {
		t.Fatal(err)
	}
	if got, err := json.Marshal(l); err != nil || string(got) != want {
		t.Fatalf("ListPage JSON = %s, %v; want %s", got, err, want)
	}
}
