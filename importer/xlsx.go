package importer

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The bounds of what a workbook may unpack to: a zip bomb (a small file
// that unpacks to gigabytes) is refused before anything is unpacked.
const (
	maxUnzipped  = 1 << 30 // bytes, all parts together
	maxRatio     = 200     // unpacked bytes per packed byte, for a part over ratioFloor
	ratioFloor   = 16 << 20
	maxHiddenRow = 5 // hidden rows named in the note
)

// checkZip refuses a workbook whose parts would unpack past maxUnzipped,
// or one of which unpacks more than maxRatio times its packed size. The
// sizes come from the zip's directory, which reading then enforces: a
// part that unpacks to more than it declares is an error.
func checkZip(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("not a readable .xlsx file: %w", err)
	}
	defer z.Close()
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if total > maxUnzipped {
			return fmt.Errorf("unpacks to more than %d MiB; contactbulk reads workbooks up to that size (save the sheet as CSV UTF-8 for a bigger one)", maxUnzipped>>20)
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > maxRatio*max(f.CompressedSize64, 1) {
			return fmt.Errorf("part %s unpacks to %d MiB from %d KiB, more than %d times its size: not a spreadsheet saved by Excel or LibreOffice (a zip bomb?)",
				f.Name, f.UncompressedSize64>>20, f.CompressedSize64>>10, maxRatio)
		}
	}
	return nil
}

// isODS reports whether the zip at path is an OpenDocument spreadsheet.
func isODS(path string) bool {
	z, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name != "mimetype" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return false
		}
		defer r.Close()
		b, _ := io.ReadAll(io.LimitReader(r, 128))
		return strings.HasPrefix(string(b), "application/vnd.oasis.opendocument.spreadsheet")
	}
	return false
}

// openWorkbook opens the workbook at path within the unpacking bounds.
func openWorkbook(path string) (*excelize.File, error) {
	if err := checkZip(path); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		return nil, fmt.Errorf("not a readable .xlsx file: %w", err)
	}
	return f, nil
}

// openBook checks the workbook once: its size when unpacked, the sheet to
// read (--sheet, else the first visible one) and the hidden sheets and
// rows, which it notes. ctx ends the look at the rows.
func (in *Input) openBook(ctx context.Context) error {
	f, err := openWorkbook(in.path)
	if err != nil {
		return badInput("read %s: %w", in.name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return badInput("%s has no sheets", in.name)
	}
	var hidden []string
	for _, name := range sheets {
		if visible, err := f.GetSheetVisible(name); err == nil && !visible {
			hidden = append(hidden, name)
		}
	}
	in.sheet = in.opt.Sheet
	switch {
	case in.sheet != "":
		if idx, _ := f.GetSheetIndex(in.sheet); idx < 0 {
			return badInput("%s has no sheet %q (its sheets: %s); choose one with --sheet", in.name, in.sheet, strings.Join(sheets, ", "))
		}
		for _, h := range hidden {
			if h == in.sheet {
				in.notes = append(in.notes, fmt.Sprintf("sheet %q is hidden in the workbook; reading it as --sheet asks", h))
			}
		}
	case len(hidden) == len(sheets):
		return badInput("every sheet of %s is hidden (%s): choose one with --sheet", in.name, strings.Join(sheets, ", "))
	default:
		for _, name := range sheets {
			if !contains(hidden, name) {
				in.sheet = name
				break
			}
		}
		if len(hidden) > 0 {
			what := "hidden sheet"
			if len(hidden) > 1 {
				what += "s"
			}
			in.notes = append(in.notes, fmt.Sprintf("%s skipped: %s; reading %q, the first visible one (choose another with --sheet)", what, quoteAll(hidden), in.sheet))
		}
	}
	rows, err := f.Rows(in.sheet)
	if err != nil {
		return badInput("read %s, sheet %q: %w", in.name, in.sheet, err)
	}
	defer rows.Close()
	var hiddenRows []string
	n, count := 0, 0
	for rows.Next() {
		n++
		if n%4096 == 0 && ctx.Err() != nil {
			return in.readError(ctx.Err())
		}
		if rows.GetRowOpts().Hidden {
			if count < maxHiddenRow {
				hiddenRows = append(hiddenRows, strconv.Itoa(n))
			}
			count++
		}
	}
	if err := rows.Error(); err != nil {
		return badInput("read %s, sheet %q: %w", in.name, in.sheet, err)
	}
	if count > 0 {
		list := strings.Join(hiddenRows, ", ")
		if count > maxHiddenRow {
			list += fmt.Sprintf(" and %d more", count-maxHiddenRow)
		}
		in.notes = append(in.notes, fmt.Sprintf("sheet %q hides %s (%s): they are read like the others; delete them from the sheet if they are not to be imported",
			in.sheet, plural(count, "row", "rows"), list))
	}
	return nil
}

// surveyBook infers the order of the dates written as text in the date
// column (index dateCol of a row) from those that can be read one way
// only; date cells are dates already.
func (in *Input) surveyBook(ctx context.Context, dateCol int) error {
	f, err := openWorkbook(in.path)
	if err != nil {
		return badInput("read %s: %w", in.name, err)
	}
	defer f.Close()
	rows, err := f.Rows(in.sheet)
	if err != nil {
		return badInput("read %s, sheet %q: %w", in.name, in.sheet, err)
	}
	defer rows.Close()
	var p dateProofs
	for n := 1; rows.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return in.readError(ctx.Err())
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return badInput("read %s, sheet %q: %w", in.name, in.sheet, err)
		}
		if dateCol < len(cells) {
			p.add([]byte(strings.TrimSpace(cells[dateCol])), n)
		}
	}
	in.inferDates(p)
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// xlsxRows reads a sheet's rows as the text the user saw, as a
// gocsv.CSVReader. It walks the sheet twice in step, raw and formatted:
// numbers as stored (an id is never 1.2E+07) unless their format pads
// them with zeros (a post code 02134, a phone number 01234 567890: the
// text shown), shared and inline strings as written, and in the date
// column a date-formatted number as the date it shows. A number the sheet
// does not format as a date stays a number there (and is then not a
// date): 32874 typed into a DOB cell is not taken for 1990-01-01.
type xlsxRows struct {
	rows     *excelize.Rows
	shown    *excelize.Rows // the same rows formatted
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
	if x.shown.Next() {
		if shown, err = x.shown.Columns(); err != nil {
			return nil, err
		}
	}
	for i, c := range cells {
		s := c
		if i < len(shown) {
			s = shown[i]
		}
		switch {
		case s == c || !isNumber(c):
			// Shown as stored: a text cell such as 1E5 is that text.
			cells[i] = c
		case dateFormatted(c, s):
			if i == x.date {
				cells[i] = serialDate(c, x.date1904)
			} else {
				cells[i] = s
			}
		case zeroPadded(c, s):
			cells[i] = s
		default:
			cells[i] = plainNumber(c)
		}
	}
	return cells, nil
}

// zeroPadded reports whether a whole number raw is shown as its digits
// with zeros before them, and perhaps spaces, hyphens or parentheses
// between them: a format such as 00000 or 00000 000000 for post codes and
// phone numbers.
func zeroPadded(raw, shown string) bool {
	if raw == "" || strings.Trim(raw, "0123456789") != "" {
		return false
	}
	var digits strings.Builder
	for _, r := range shown {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '+':
		default:
			return false
		}
	}
	d := digits.String()
	return len(d) > len(strings.TrimLeft(raw, "0")) && strings.TrimLeft(d, "0") == strings.TrimLeft(raw, "0")
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

// openXLSX starts a pass over the chosen sheet, raw and formatted in step.
func (s *Source) openXLSX() error {
	f, err := openWorkbook(s.in.path)
	if err != nil {
		return badInput("read %s: %w", s.in.name, err)
	}
	s.closers = append(s.closers, f)
	s.xlsx = true
	rows, err := f.Rows(s.in.sheet)
	if err != nil {
		return badInput("read %s, sheet %q: %w", s.in.name, s.in.sheet, err)
	}
	s.closers = append(s.closers, rows)
	shown, err := f.Rows(s.in.sheet)
	if err != nil {
		return badInput("read %s, sheet %q: %w", s.in.name, s.in.sheet, err)
	}
	s.closers = append(s.closers, shown)
	x := &xlsxRows{rows: rows, shown: shown, date: -1}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		x.date1904 = *props.Date1904
	}
	s.rd, s.sheet = x, x
	return nil
}
