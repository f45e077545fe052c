package importer

import (
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxRows reads a sheet's rows as the text the user saw, as a
// gocsv.CSVReader: numbers as stored (an id is never 1.2E+07), shared and
// inline strings as written, and in the date column a date-formatted
// number as the date it shows. A number the sheet does not format as a
// date stays a number there (and is then not a date): 32874 typed into a
// DOB cell is not taken for 1990-01-01.
type xlsxRows struct {
	book     *excelize.File
	sheet    string
	rows     *excelize.Rows
	shown    *excelize.Rows // the same rows formatted, to tell date-formatted cells; nil without a date column
	date     int            // the record index of the date column, -1 for none
	date1904 bool           // the workbook counts serials from 1904
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
	var shown []string
	if x.shown != nil && x.shown.Next() {
		if shown, err = x.shown.Columns(); err != nil {
			return nil, err
		}
	}
	for i, c := range cells {
		if i == x.date && i < len(shown) && dateFormatted(c, shown[i]) {
			cells[i] = serialDate(c, x.date1904)
			continue
		}
		cells[i] = plainNumber(c)
	}
	return cells, nil
}

// dateFormatted reports whether a cell holding raw shows it as a date:
// raw is a number and the formatted text has a date's or a time's
// separators (1/2/1990, 01-02-90, 01.02.1990, 12:00) or a month's name,
// which number formats (1,234.50, 12%, $7) do not.
func dateFormatted(raw, shown string) bool {
	if raw == shown || shown == "" || !isNumber(raw) || isNumber(strings.ReplaceAll(shown, ",", "")) {
		return false
	}
	lower := strings.ToLower(shown)
	for _, m := range [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return strings.ContainsAny(shown, "/:") || strings.Contains(shown[1:], "-") || strings.Count(shown, ".") >= 2
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
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
func serialDate(s string, date1904 bool) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 {
		return s
	}
	t, err := excelize.ExcelDateToTime(f, date1904)
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
	x := &xlsxRows{book: f, sheet: sheet, rows: rows, date: -1}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		x.date1904 = *props.Date1904
	}
	s.rd, s.sheet = x, x
	return nil
}

// readDates has the sheet show the date column's date-formatted numbers
// as dates, from the row after the header on: it opens a second pass over
// the sheet, formatted, that keeps step with the raw one.
func (s *Source) readDates(column int) error {
	if s.sheet == nil || column < 0 {
		return nil
	}
	shown, err := s.sheet.book.Rows(s.sheet.sheet)
	if err != nil {
		return badInput("read %s, sheet %q: %w", s.in.name, s.sheet.sheet, err)
	}
	s.closers = append(s.closers, shown)
	for range s.line {
		if !shown.Next() {
			break
		}
		if _, err := shown.Columns(); err != nil {
			return badInput("read %s, sheet %q: %w", s.in.name, s.sheet.sheet, err)
		}
	}
	s.sheet.shown, s.sheet.date = shown, column
	return nil
}
