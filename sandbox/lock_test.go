package sandbox

import (
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataFileLock runs two servers on one data file, as two
// `import --sandbox` runs at once would: the second is refused until the
// first is closed, and then sees every record the first stored.
func TestDataFileLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.json")
	first, err := New(Config{DataFile: path, Token: "t", Limits: Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(first)
	h := &harness{t: t, srv: first, ts: ts}
	for range 5 {
		h.create(`{"CoworkerContractId": 1001, "FullName": "First run"}`)
	}
	ts.Close()

	second, err := New(Config{DataFile: path})
	if err == nil {
		second.Close()
		t.Fatal("a second server opened a data file in use")
	}
	if !errors.Is(err, ErrDataInUse) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another contactbulk run") {
		t.Errorf("error %q, want one that Is ErrDataInUse and names the file", err)
	}
	if other, err := New(Config{DataFile: filepath.Join(filepath.Dir(path), "other.json")}); err != nil {
		t.Errorf("another data file in the same folder: %v", err)
	} else {
		other.Close()
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	second, err = New(Config{DataFile: path})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	defer second.Close()
	if n := second.Count(); n != 5 {
		t.Errorf("the second run sees %d records, want the first run's 5", n)
	}
}
