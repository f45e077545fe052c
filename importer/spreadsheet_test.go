package importer

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// readRows opens path and reads every row of one pass, with a deadline:
// a reader that hangs fails the test instead of stopping the suite.
func readRows(t *testing.T, path string, opt ReadOptions) (notes []string, rows map[int]*Row, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opt.Today = today
	in, err := OpenContext(ctx, path, nil, opt)
	if err != nil {
		return nil, nil, err
	}
	defer in.Close()
	src, err := in.Rows()
	if err != nil {
		return nil, nil, err
	}
	defer src.Close()
	rows = make(map[int]*Row)
	for {
		r, err := src.Next()
		if err == io.EOF {
			return src.Notes(), rows, nil
		}
		if err != nil {
			return src.Notes(), rows, err
		}
		kept := *r // the row is ours until the next call only
		kept.Cells = slices.Clone(r.Cells)
		rows[r.Line] = &kept
	}
}

// wantRow is what one row of a fixture must read as: its contact's
// fields, or the problems (substrings of "Column: message") it has.
type wantRow struct {
	name, postCode, phone, dob, city string
	coworker                         int64
	problems                         []string
}

func checkRows(t *testing.T, rows map[int]*Row, want map[int]wantRow) {
	t.Helper()
	if len(rows) != len(want) {
		lines := make([]int, 0, len(rows))
		for l := range rows {
			lines = append(lines, l)
		}
		t.Errorf("read rows %v, want %d rows", lines, len(want))
	}
	for line, w := range want {
		r, ok := rows[line]
		if !ok {
			t.Errorf("row %d: not read", line)
			continue
		}
		if len(w.problems) > 0 {
			got := ""
			for _, p := range r.Problems {
				got += p.String() + "\n"
			}
			for _, p := range w.problems {
				if !strings.Contains(got, p) {
					t.Errorf("row %d: problems\n%swant one with %q", line, got, p)
				}
			}
			if len(r.Problems) != len(w.problems) {
				t.Errorf("row %d: %d problems, want %d:\n%s", line, len(r.Problems), len(w.problems), got)
			}
			continue
		}
		if !r.Valid() {
			t.Errorf("row %d: invalid: %v", line, r.Problems)
			continue
		}
		c := r.Contact
		var cw int64
		if c.CoworkerID != nil {
			cw = *c.CoworkerID
		}
		if c.FullName != w.name || c.PostCode != w.postCode || c.PhoneNumber != w.phone || c.DateOfBirth != w.dob || c.CityName != w.city || cw != w.coworker {
			t.Errorf("row %d: name %q, post code %q, phone %q, DOB %q, city %q, coworker %d\nwant %q, %q, %q, %q, %q, %d",
				line, c.FullName, c.PostCode, c.PhoneNumber, c.DateOfBirth, c.CityName, cw,
				w.name, w.postCode, w.phone, w.dob, w.city, w.coworker)
		}
	}
}

func checkNotes(t *testing.T, notes, want []string) {
	t.Helper()
	all := strings.Join(notes, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("notes:\n%s\nwant one with %q", all, w)
		}
	}
}

// TestSpreadsheetFixtures reads the files LibreOffice saved (see
// testdata/spreadsheets/README.md) as a person saw them in Calc.
func TestSpreadsheetFixtures(t *testing.T) {
	t.Parallel()
	contacts := map[int]wantRow{
		3: {name: "Łukasz Żółkiewski", postCode: "02134", phone: "01234 567890", dob: "1967-01-25T00:00:00", coworker: 12345678901},
		4: {name: "王芳", postCode: "02139", phone: "+44 20 7946 0000", dob: "1980-12-03T00:00:00"},
		5: {name: "José Núñez"},
		6: {problems: []string{`FullName: "#N/A" is a spreadsheet error`}},
	}
	names := map[int]wantRow{
		2: {name: "Łukasz Żółkiewski", city: "Łódź"},
		3: {name: "王芳", city: "Beijing"},
		4: {name: "José Núñez", city: "São Paulo"},
	}
	lost := "the file is Windows-1252 text, which cannot hold letters such as Ł or 王; save the sheet as \"CSV UTF-8\" or XLSX"
	cases := []struct {
		name  string
		file  string
		opt   ReadOptions
		notes []string
		rows  map[int]wantRow
	}{
		{"hidden first sheet", "hidden-first.xlsx", ReadOptions{}, []string{
			`hidden sheet skipped: "Old"; reading "Contacts"`,
			`row 1 ("Contract contacts, June 2024") is above the header row: skipped`,
			`sheet "Contacts" hides 1 row (5)`,
		}, contacts},
		{"hidden sheet chosen", "hidden-first.xlsx", ReadOptions{Sheet: "Old"}, []string{`sheet "Old" is hidden`},
			map[int]wantRow{2: {name: "Old Person"}}},
		{"first sheet", "book.xlsx", ReadOptions{}, nil, map[int]wantRow{2: {name: "Old Person"}}},
		{"sheet chosen", "book.xlsx", ReadOptions{Sheet: "Contacts"}, []string{"above the header row", "hides 1 row"}, contacts},
		{"title row, CSV", "title.csv", ReadOptions{}, []string{
			`row 1 ("Contract contacts, June 2024") is above the header row: skipped`,
			`DateOfBirth: dates like 03/04/1990 are read day/month, as 1 date such as "25/01/1967" on row 3 show`,
		}, contacts},
		{"windows-1252 lost letters", "names-1252.csv", ReadOptions{}, []string{"read as Windows-1252 text"}, map[int]wantRow{
			2: {problems: []string{`FullName: "?ukasz ?ó?kiewski" has "?" where letters were lost: ` + lost, `CityName: "?ód?" has "?"`}},
			3: {problems: []string{`FullName: "??" has "?" where letters were lost`}},
			4: {name: "José Núñez", city: "São Paulo"},
		}},
		{"utf-16", "names-utf16.txt", ReadOptions{}, []string{"read as UTF-16LE text"}, names},
		{"utf-16 without BOM", "names-utf16-nobom.txt", ReadOptions{}, []string{"read as UTF-16LE text"}, names},
		{"sep=", "names-sep.csv", ReadOptions{}, []string{`the first line "sep=;" is Excel's delimiter hint`}, names},
		{"mac CR", "names-mac.csv", ReadOptions{}, []string{"bare CR"}, names},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notes, rows, err := readRows(t, filepath.Join("testdata", "spreadsheets", tc.file), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkNotes(t, notes, tc.notes)
			checkRows(t, rows, tc.rows)
		})
	}
}

// TestODS refuses LibreOffice's own format in one line that says what to
// do, by its extension or by its content.
func TestODS(t *testing.T) {
	t.Parallel()
	ods := filepath.Join("testdata", "spreadsheets", "book.ods")
	data := readFile(t, ods)
	for _, path := range []string{ods, writeFile(t, "book.xlsx", string(data)), writeFile(t, "book", string(data))} {
		_, err := Open(path, nil, ReadOptions{})
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "Excel 2007-365 (.xlsx)") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line saying to save as .xlsx", path, err)
		}
	}
}

// TestXLSXTextDates infers the order of dates typed as text in a sheet.
func TestXLSXTextDates(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Contract", "Name", "DOB"})
	f.SetSheetRow("Sheet1", "A2", &[]any{1001, "Ada", "25/01/1967"})
	f.SetSheetRow("Sheet1", "A3", &[]any{1002, "Grace", "03/04/1990"})
	f.SetSheetRow("Sheet1", "A4", &[]any{1003, "Alan", "12/25/1980"})
	f.SetSheetRow("Sheet1", "A5", &[]any{1004, "Edsger", "28/11/1985"})
	f.SetSheetRow("Sheet1", "A6", &[]any{1005, "Barbara", "13/02/1970"})
	f.SetSheetRow("Sheet1", "A7", &[]any{1006, "Donald", "30/04/1979"})
	path := filepath.Join(t.TempDir(), "dates.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	notes, rows, err := readRows(t, path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkNotes(t, notes, []string{`dates like 03/04/1990 are read day/month, as 4 dates such as "25/01/1967" on row 2 show`})
	if r := rows[3]; !r.Valid() || r.Contact.DateOfBirth != "1990-04-03T00:00:00" {
		t.Errorf("row 3: %v, %v", r.Contact.DateOfBirth, r.Problems)
	}
	if r := rows[4]; len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Message, "can only be month/day") {
		t.Errorf("row 4: %v", r.Problems)
	}
}

// TestShape tells how each input was written, for a results file written
// the same way.
func TestShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want Shape
	}{
		{"hidden-first.xlsx", Shape{XLSX: true, Sheet: "Contacts"}},
		{"names-1252.csv", Shape{Encoding: "windows-1252", Delimiter: ','}},
		{"names-utf16.txt", Shape{Encoding: "utf-16le", BOM: true, Delimiter: '\t'}},
		{"names-utf16-nobom.txt", Shape{Encoding: "utf-16le", Delimiter: '\t'}},
		{"names-sep.csv", Shape{Encoding: "utf-8", Delimiter: ';'}},
		{"../utf8-bom-semicolon/input.csv", Shape{Encoding: "utf-8", BOM: true, Delimiter: ';', CRLF: true}},
		{"names-mac.csv", Shape{Encoding: "utf-8", Delimiter: ','}},
	} {
		in, err := Open(filepath.Join("testdata", "spreadsheets", tc.file), nil, ReadOptions{Today: today})
		if err != nil {
			t.Fatal(err)
		}
		if got := in.Shape(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.file, got, tc.want)
		}
		in.Close()
	}
}
