package table

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// maxCellChars is the most UTF-16 units a spreadsheet cell holds.
const maxCellChars = 32767

// xlsxWriter streams one sheet: rows go to excelize's StreamWriter, which
// keeps a bounded buffer in memory and the rest in a temporary file
// (0600), and the workbook is zipped onto the destination at close.
type xlsxWriter struct {
	dest    io.Writer
	book    *excelize.File
	sheet   *excelize.StreamWriter
	numbers []bool
	// styles[mark][number] is the style of a cell: text cells carry the
	// text number format (@), so that editing one in a spreadsheet keeps
	// it text (a leading = stays a character, 02134 keeps its zero).
	styles [3][2]int
	header int // the header's style: bold, text
	row    []any
}

func newXLSX(w io.Writer, header []string, opt Options) (*xlsxWriter, error) {
	name := opt.Sheet
	if name == "" {
		name = "Sheet1"
	}
	book := excelize.NewFile()
	// Zip straight onto the destination: excelize's WriteTo would build
	// the whole file in memory first. (Its only use of that buffer is to
	// mark parts over 4 GB as ZIP64, which a sheet of at most 1,048,576
	// rows of spreadsheet cells does not reach in practice.)
	book.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	ok := false
	defer func() {
		if !ok {
			book.Close()
		}
	}()
	if name != "Sheet1" {
		if err := book.SetSheetName("Sheet1", name); err != nil {
			return nil, fmt.Errorf("sheet name %q: %w", name, err)
		}
	}
	x := &xlsxWriter{dest: w, book: book, numbers: make([]bool, len(header))}
	for _, i := range opt.Numbers {
		if i >= 0 && i < len(x.numbers) {
			x.numbers[i] = true
		}
	}
	fills := [3]string{Plain: "", Warning: "FFE699", Error: "F4B6B6"}
	for m, color := range fills {
		for num, format := range [2]int{49, 1} { // @ (text), 0 (integer)
			st := &excelize.Style{NumFmt: format}
			if color != "" {
				st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
			}
			id, err := book.NewStyle(st)
			if err != nil {
				return nil, fmt.Errorf("xlsx style: %w", err)
			}
			x.styles[m][num] = id
		}
	}
	id, err := book.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("xlsx style: %w", err)
	}
	x.header = id
	if x.sheet, err = book.NewStreamWriter(name); err != nil {
		return nil, fmt.Errorf("xlsx sheet: %w", err)
	}
	// Column widths and the frozen header must come before the first row.
	for i, h := range header {
		width := float64(min(max(len(h)+2, 10), 40))
		if err := x.sheet.SetColWidth(i+1, i+1, width); err != nil {
			return nil, fmt.Errorf("xlsx column width: %w", err)
		}
	}
	if err := x.sheet.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("xlsx freeze header: %w", err)
	}
	ok = true
	return x, nil
}

// ErrTooManyRows is returned, wrapped, for a row past the last one a
// sheet holds.
var ErrTooManyRows = errors.New("a spreadsheet sheet holds at most 1,048,576 rows (the header and 1,048,575 records); write CSV instead")

func (x *xlsxWriter) write(row int, cells []string, marks []Mark) error {
	if row > excelize.TotalRows {
		return fmt.Errorf("row %d: %w", row, ErrTooManyRows)
	}
	x.row = x.row[:0]
	for i, v := range cells {
		if n := utf16Len(v); n > maxCellChars {
			return &cellError{col: i, err: ErrCellTooLong}
		}
		c := excelize.Cell{Value: v}
		mark := Plain
		if i < len(marks) && marks[i] <= Error {
			mark = marks[i]
		}
		switch {
		case row == 1:
			c.StyleID = x.header
		case i < len(x.numbers) && x.numbers[i] && plainInteger(v):
			n, _ := strconv.ParseInt(v, 10, 64)
			c.Value, c.StyleID = n, x.styles[mark][1]
		default:
			c.StyleID = x.styles[mark][0]
		}
		x.row = append(x.row, c)
	}
	cell, err := excelize.CoordinatesToCellName(1, row)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := x.sheet.SetRow(cell, x.row); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// plainInteger reports whether s is a whole number a spreadsheet shows as
// written: digits only, at most 15 of them (the precision of a spreadsheet
// number), and no leading zero (which a number would drop).
func plainInteger(s string) bool {
	if s == "" || len(s) > 15 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// utf16Len counts s in UTF-16 units, as spreadsheets count characters.
func utf16Len(s string) int {
	if len(s) <= maxCellChars/2 {
		return len(s) // a UTF-8 byte is at most one UTF-16 unit
	}
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func (x *xlsxWriter) flush() error { return nil }

func (x *xlsxWriter) close(commit bool) error {
	defer x.book.Close() // removes the stream's temporary file
	if !commit {
		return nil
	}
	if err := x.sheet.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if _, err := x.book.WriteTo(x.dest); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
