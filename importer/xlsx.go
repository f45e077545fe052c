package importer

import (
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxRows reads a sheet's rows as the text the user saw, as a
// gocsv.CSVReader: numbers as stored (an id is never 1.2E+07), shared and
// inline strings as written.
type xlsxRows struct {
	rows *excelize.Rows
}

func (x *xlsxRows) Read() ([]string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	for i, c := range cells {
		cells[i] = plainNumber(c)
	}
	return cells, nil
}

func (x *xlsxRows) ReadAll() ([][]string, error) {
	var all [][]string
	for {
		rec, err := x.Read()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, rec)
	}
}

// plainNumber writes a number stored in exponent form (1.2345678E7) as the
// whole number it is; any other value is returned as is.
func plainNumber(s string) string {
	if !strings.ContainsAny(s, "eE") || strings.ContainsAny(s, " @") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return s
	}
	return strconv.FormatInt(int64(f), 10)
}

// serialDate turns an Excel date serial number (a date-formatted cell read
// raw, e.g. 32874) into 2006-01-02; any other value is returned as is.
func serialDate(s string) string {
	if s == "" || strings.ContainsAny(s, "/-: ") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 {
		return s
	}
	t, err := excelize.ExcelDateToTime(f, false)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02")
}

func (s *Source) openXLSX() error {
	f, err := excelize.OpenFile(s.in.path)
	if err != nil {
		return badInput("read %s: not a readable .xlsx file: %w", s.in.name, err)
	}
	s.closers = append(s.closers, f)
	s.xlsx = true
	sheets := f.GetSheetList()
	sheet := s.in.opt.Sheet
	if sheet == "" {
		if len(sheets) == 0 {
			s.Close()
			return badInput("%s has no sheets", s.in.name)
		}
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		s.Close()
		return badInput("%s has no sheet %q (its sheets: %s); choose one with --sheet", s.in.name, sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		s.Close()
		return badInput("read %s, sheet %q: %w", s.in.name, sheet, err)
	}
	s.closers = append(s.closers, rows)
	s.rd = &xlsxRows{rows: rows}
	return nil
}
