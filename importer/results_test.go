package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"contactbulk/sandbox"
)

// writeWorkbook writes rows (the header first) as the first sheet of an
// XLSX file, every cell as text, and returns its path.
func writeWorkbook(t *testing.T, dir, name string, rows [][]string) string {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = v
		}
		if err := x.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestResultsWorkbook: a workbook's results file is a workbook beside it,
// with the invalid row's status and wrong cell marked and the reason
// beside them, read back by a second reader as written, and fed back as
// it is: nothing is created twice.
func TestResultsWorkbook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	path := writeWorkbook(t, e.dir, "members.xlsx", [][]string{
		{"Contract", "Name", "Post Code", "Date of Birth"},
		{"1001", "Ann Lee", "02134", "1980-01-02"},
		{"1002", "Bob Roe", "00501", "31/02/1990"},
		{"1003", "Cy Dee", "", ""},
	})
	opt := testOptions("")
	opt.SkipInvalid = true
	sum := e.run(t, path, opt)
	results := filepath.Join(e.dir, "members.results.xlsx")
	if sum.Results != results || sum.Created != 2 || sum.Invalid != 1 {
		t.Fatalf("%+v into %s, want 2 created, 1 invalid in %s", countsOf(sum), sum.Results, results)
	}
	x, err := excelize.OpenFile(results)
	if err != nil {
		t.Fatalf("a second reader cannot open the results workbook: %v", err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "row,status,id,error,Contract,Name,Post Code,Date of Birth" {
		t.Errorf("header %q", got)
	}
	if rows[1][1] != "created" || rows[1][6] != "02134" || rows[2][1] != "invalid" || !strings.Contains(rows[2][3], "DateOfBirth") {
		t.Errorf("rows %q", rows[1:])
	}
	plain, _ := x.GetCellStyle(sheet, "B2")
	for _, cell := range []string{"B3", "D3", "H3"} { // status, error, the wrong date
		if st, _ := x.GetCellStyle(sheet, cell); st == plain {
			t.Errorf("cell %s of the invalid row is not marked", cell)
		}
	}
	if st, _ := x.GetCellStyle(sheet, "G3"); st != plain {
		t.Errorf("the invalid row's right post code cell is marked")
	}
	// Fixed in place is not needed: fed back as it is, it creates nothing
	// twice and keeps its own format.
	opt = testOptions(results)
	opt.SkipInvalid = true
	sum = e.run(t, results, opt)
	if sum.Skipped != 2 || sum.Created != 0 || sum.Invalid != 1 || e.srv.Count() != 2 {
		t.Errorf("fed back: %+v, %d records; want 2 already done, nothing created", countsOf(sum), e.srv.Count())
	}
	if f, err := excelize.OpenFile(results); err != nil {
		t.Errorf("the results workbook fed back and written again is not a workbook: %v", err)
	} else {
		f.Close()
	}
}

// TestResultsFollowAWindows1252Input: a CSV saved by Excel on Windows gets
// its results in Windows-1252 too, so Excel opens them the same way;
// when a message cannot be held in it (a name from the space), the
// results are UTF-8 with a byte order mark instead, never '?'.
func TestResultsFollowAWindows1252Input(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	text := "Contract;Name;Email\r\n1001;José Müller;jose@example.com\r\n1002;Zoë Ashford;zoe@example.com\r\n"
	enc, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "excel.csv")
	os.WriteFile(path, []byte(enc), 0o600)
	results := filepath.Join(e.dir, "excel.results.csv")
	e.run(t, path, testOptions(results))
	b, _ := os.ReadFile(results)
	if !bytes.Contains(b, []byte("Jos\xe9 M\xfcller")) || !bytes.Contains(b, []byte(";")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Errorf("results are not Windows-1252 with ; and CR LF like the input:\n%q", b)
	}
	// Nexudus holds Zoë's email under a name only UTF-8 holds.
	recs := e.srv.Records()
	for _, r := range recs {
		if strings.HasPrefix(r.FullName, "Zo") {
			r.Email = ptr("王芳@example.com")
			e.srv.Insert(r)
		}
	}
	sum := e.run(t, path, testOptions(results))
	if sum.Differs != 1 {
		t.Fatalf("%+v, want 1 differs", countsOf(sum))
	}
	b, _ = os.ReadFile(results)
	if !bytes.HasPrefix(b, []byte("\uFEFF")) || !bytes.Contains(b, []byte("王芳@example.com")) || !bytes.Contains(b, []byte("José Müller")) {
		t.Errorf("results that Windows-1252 cannot hold are not UTF-8 with a byte order mark:\n%q", b)
	}
	// Either way they read back as results.
	if ok, err := isResults(results); !ok || err != nil {
		t.Errorf("isResults = %v, %v", ok, err)
	}
}

// TestUndoWorkbook undoes an import whose results are a workbook, and
// keeps it a workbook.
func TestUndoWorkbook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	rows := [][]string{{"Contract", "Name"}}
	for i := range 4 {
		rows = append(rows, []string{"1001", "Person " + strconv.Itoa(i)})
	}
	path := writeWorkbook(t, e.dir, "book.xlsx", rows)
	e.run(t, path, testOptions(""))
	results := filepath.Join(e.dir, "book.results.xlsx")
	sum, err := Undo(context.Background(), results, e.client, UndoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 4 || e.srv.Count() != 0 {
		t.Errorf("undo: %+v, %d records left; want 4 deleted", sum, e.srv.Count())
	}
	x, err := excelize.OpenFile(results)
	if err != nil {
		t.Fatalf("the undone results are not a workbook: %v", err)
	}
	defer x.Close()
	got, _ := x.GetRows(x.GetSheetName(0))
	for _, r := range got[1:] {
		if r[1] != "deleted" {
			t.Errorf("row %s: %s, want deleted", r[0], r[1])
		}
	}
}
