package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contactbulk/mapping"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// today is the fixed day tests validate dates against.
var today = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// TestGolden dry-runs each testdata case and compares the results file and
// the report with the golden files beside the input.
func TestGolden(t *testing.T) {
	cases := []struct {
		name  string
		input string
		opt   ReadOptions
	}{
		{"utf8-comma", "input.csv", ReadOptions{}},
		{"utf8-bom-semicolon", "input.csv", ReadOptions{}},
		{"utf16le-tab", "input.txt", ReadOptions{}},
		{"utf16be-tab", "input.txt", ReadOptions{}},
		{"windows1252", "input.csv", ReadOptions{}},
		{"pipe", "input.csv", ReadOptions{}},
		{"rows-and-blanks", "input.csv", ReadOptions{}},
		{"aliases-1", "input.csv", ReadOptions{}},
		{"aliases-2", "input.csv", ReadOptions{}},
		{"enums", "input.csv", ReadOptions{}},
		{"dates", "input.csv", ReadOptions{}},
		{"dates-dmy", "input.csv", ReadOptions{DateFormat: "DMY"}},
		{"dates-mdy", "input.csv", ReadOptions{DateFormat: "mm/dd/yyyy"}},
		{"dates-inferred", "input.csv", ReadOptions{}},
		{"validation", "input.csv", ReadOptions{}},
		{"export-headers", "input.csv", ReadOptions{}},
		{"results-fed-back", "input.csv", ReadOptions{}},
		{"formulas", "input.csv", ReadOptions{}},
		{"identity", "input.csv", ReadOptions{}},
		{"lookups", "input.csv", ReadOptions{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			tc.opt.Today = today
			in, err := Open(filepath.Join(dir, tc.input), nil, tc.opt)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer in.Close()
			results := filepath.Join(t.TempDir(), "results.csv")
			var report bytes.Buffer
			sum, err := DryRun(context.Background(), in, results, &report)
			if err != nil {
				t.Fatalf("DryRun: %v", err)
			}
			sum.Elapsed, sum.Results = 0, ""
			sum.WriteText(&report)
			if st, _ := os.Stat(results); st.Mode().Perm() != 0o600 {
				t.Errorf("results file mode %v, want 0600", st.Mode().Perm())
			}
			got := resultsAsCSV(t, results, in.Shape())
			compareGolden(t, filepath.Join(dir, "results.golden.csv"), got, true)
			compareGolden(t, filepath.Join(dir, "report.golden.txt"), report.Bytes(), false)
		})
	}
}

// compareGolden compares got with the golden file, or rewrites it with
// -update. For CSV files a mismatch names the row and column that differ.
func compareGolden(t *testing.T, golden string, got []byte, isCSV bool) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if isCSV {
		if where := csvDiff(want, got); where != "" {
			t.Errorf("%s: %s", golden, where)
			return
		}
	}
	t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", golden, got, want)
}

// csvDiff names the first row and column where two CSV files differ.
func csvDiff(want, got []byte) string {
	read := func(b []byte) [][]string {
		r := csv.NewReader(bytes.NewReader(b))
		r.FieldsPerRecord = -1
		recs, _ := r.ReadAll()
		return recs
	}
	w, g := read(want), read(got)
	for i := 0; i < max(len(w), len(g)); i++ {
		switch {
		case i >= len(w):
			return fmt.Sprintf("line %d is extra: %q", i+1, g[i])
		case i >= len(g):
			return fmt.Sprintf("line %d is missing: want %q", i+1, w[i])
		}
		for j := 0; j < max(len(w[i]), len(g[i])); j++ {
			var wc, gc string
			if j < len(w[i]) {
				wc = w[i][j]
			}
			if j < len(g[i]) {
				gc = g[i][j]
			}
			if wc != gc {
				col := fmt.Sprintf("column %d", j+1)
				if len(w) > 0 && j < len(w[0]) {
					col = fmt.Sprintf("column %d (%s)", j+1, w[0][j])
				}
				return fmt.Sprintf("line %d, %s: got %q, want %q", i+1, col, gc, wc)
			}
		}
	}
	return ""
}

// TestContacts checks the contacts rows map to, beyond what a results
// file shows: the create body itself.
func TestContacts(t *testing.T) {
	in, err := Open(filepath.Join("testdata", "utf8-comma", "input.csv"), nil, ReadOptions{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	src, err := in.Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	cw, country := int64(2001), int64(826)
	want := mapping.Contact{CoworkerContractID: 1001, FullName: "Ada Lovelace", CoworkerID: &cw,
		Email: "ada@example.com", DateOfBirth: "1815-12-10T00:00:00", Address: "1 Market St",
		PostCode: "EC1A 1BB", CityName: "London", CountryID: &country, PhoneNumber: "+44 20 7946 0001",
		Notes: "First", ContractContactType: mapping.TypeDirector}
	if r.Contact.CoworkerID == nil || *r.Contact.CoworkerID != cw || r.Contact.CountryID == nil || *r.Contact.CountryID != country {
		t.Errorf("CoworkerId, CountryId = %v, %v; want 2001, 826", r.Contact.CoworkerID, r.Contact.CountryID)
	}
	r.Contact.CoworkerID, r.Contact.CountryID = nil, nil
	want.CoworkerID, want.CountryID = nil, nil
	if r.Contact != want {
		t.Errorf("contact:\n got %+v\nwant %+v", r.Contact, want)
	}
	if r.Line != 2 {
		t.Errorf("line = %d, want 2", r.Line)
	}
}

// resultsAsCSV reads a results file back with the importer's own reader,
// checks that it is written as its input was (encoding, byte order mark,
// delimiter), and returns its records as UTF-8 CSV with commas, the form
// of the golden files.
func resultsAsCSV(t *testing.T, path string, input Shape) []byte {
	t.Helper()
	in, err := Open(path, nil, ReadOptions{Raw: true})
	if err != nil {
		t.Fatalf("read the results file back: %v", err)
	}
	defer in.Close()
	got, want := in.Shape(), input
	switch {
	case strings.HasPrefix(input.Encoding, "utf-16"):
		want.Encoding, want.BOM = "utf-16le", true
	case input.Encoding == "windows-1252":
		want.BOM = false
	}
	if got.Encoding != want.Encoding || got.BOM != want.BOM || got.Delimiter != want.Delimiter || got.CRLF != want.CRLF {
		t.Errorf("results file written as %+v, want it as its input %+v", got, want)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	err = in.Records(context.Background(), func(_ int, rec []string) error { return w.Write(rec) })
	w.Flush()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
