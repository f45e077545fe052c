package exporter

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"contactbulk/importer"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/table"
)

// TestXLSXReadBack exports awkward records to XLSX and reads the file back
// with the project's own reader (importer.Open, read only) and with
// excelize directly: every value as exported, leading zeros and + kept,
// no formula, the header frozen.
func TestXLSXReadBack(t *testing.T) {
	t.Parallel()
	srv, api := start(t, sandbox.Config{})
	srv.SeedAwkward(1001)
	srv.Generate(5, 0)
	for _, r := range []sandbox.Record{
		{FullName: "007 Zero Lead", PostCode: ptr("02134"), PhoneNumber: ptr("0044 20 7946 0000"), Address: ptr("0001 Zero Street")},
		{FullName: "Zip Plus", PostCode: ptr("00501-0001"), PhoneNumber: ptr("+44 7700 900123"), Notes: ptr("000")},
		{FullName: "Number Like", Notes: ptr("1E5"), State: ptr("12345678901234567890")},
	} {
		r.CoworkerContractID = 1001
		srv.Insert(r)
	}
	path := filepath.Join(t.TempDir(), "contacts.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), api, f, Options{Format: table.XLSX, Full: true, PageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()

	// What the file must hold: every record as the API gives it in full.
	var recs []nexudus.Record
	for _, r := range srv.Records() {
		full, err := api.GetOne(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, full)
	}
	cols := Columns()
	want := [][]string{ColumnNames(cols)}
	for i := range recs {
		var row []string
		for _, c := range cols {
			row = append(row, c.cell(&recs[i], false))
		}
		want = append(want, row)
	}
	if sum.Records != len(recs) {
		t.Fatalf("%d records written, want %d", sum.Records, len(recs))
	}

	t.Run("excelize", func(t *testing.T) {
		book, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer book.Close()
		sheet := book.GetSheetName(0)
		rows, err := book.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(rows), len(want))
		}
		for i := range want {
			for j, w := range want[i] {
				got := ""
				if j < len(rows[i]) {
					got = rows[i][j]
				}
				if got != w {
					t.Errorf("row %d column %s: %q, want %q", i+1, cols[j].Name, got, w)
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if formula, _ := book.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("%s holds a formula %q", cell, formula)
				}
				typ, _ := book.GetCellType(sheet, cell)
				numeric := slices.Contains([]string{"Id", "CoworkerContractId", "CoworkerId", "CountryId", "CoworkerContractQuantity"}, cols[j].Name)
				if w != "" && !numeric && typ != excelize.CellTypeInlineString {
					t.Errorf("%s (%s) %q is stored as %v, not text", cell, cols[j].Name, w, typ)
				}
			}
		}
		panes, err := book.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("header not frozen: %+v %v", panes, err)
		}
	})

	t.Run("importer", func(t *testing.T) {
		in, err := importer.Open(path, nil, importer.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		src, err := in.Rows()
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if got := src.Columns(); !slices.Equal(got, want[0]) {
			t.Errorf("header %v", got)
		}
		for i := 1; ; i++ {
			row, err := src.Next()
			if err == io.EOF {
				if i != len(want) {
					t.Errorf("%d rows read, want %d", i-1, len(want)-1)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for j, w := range want[i] {
				if row.Cells[j] != w {
					t.Errorf("row %d column %s: %q, want %q", row.Line, cols[j].Name, row.Cells[j], w)
				}
			}
			r := recs[i-1]
			if p := deref(r.PostCode); strings.HasPrefix(p, "0") && row.Contact.PostCode != p {
				t.Errorf("row %d: post code %q read as %q", row.Line, p, row.Contact.PostCode)
			}
			if p := deref(r.PhoneNumber); p != "" && row.Contact.PhoneNumber != p {
				t.Errorf("row %d: phone %q read as %q", row.Line, p, row.Contact.PhoneNumber)
			}
		}
	})
}
