package table

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxCellChars is the most UTF-16 units a spreadsheet cell holds.
const maxCellChars = 32767

// maxRows and maxColumns are the most rows and columns a spreadsheet
// sheet holds: past them a workbook is damaged, not merely cut.
const (
	maxRows    = 1 << 20
	maxColumns = 1 << 14
)

// xlsxWriter streams a one-sheet workbook straight onto its destination:
// the fixed parts first, then the sheet's XML row by row into its zip
// entry, so memory stays flat whatever the count (a library's stream
// writer spools the sheet to a temporary file and holds megabytes of
// buffers). Text cells are inline strings in text-formatted cells, so
// that zeros and a leading = survive opening and editing; no shared
// strings table is needed.
type xlsxWriter struct {
	buf     *bufio.Writer // onto the destination
	zip     *zip.Writer   // onto buf
	sheet   *bufio.Writer // onto the sheet's zip entry
	numbers []bool
	refs    []string // column letters, grown as rows need them
	scratch []byte
}

// The cell styles (cellXfs indexes) of styles.xml.
const (
	styleHeader = 1 // bold, text
	// styleCells + 2*mark + isNumber: text (@) or integer (0), with the
	// mark's fill.
	styleCells = 2
)

func newXLSX(w io.Writer, header []string, opt Options) (*xlsxWriter, error) {
	name := opt.Sheet
	if name == "" {
		name = "Sheet1"
	}
	if err := checkSheetName(name); err != nil {
		return nil, err
	}
	if len(header) > maxColumns {
		return nil, fmt.Errorf("%d columns: %w", len(header), ErrTooManyColumns)
	}
	x := &xlsxWriter{buf: bufio.NewWriterSize(w, 64<<10), numbers: make([]bool, len(header))}
	for _, i := range opt.Numbers {
		if i >= 0 && i < len(x.numbers) {
			x.numbers[i] = true
		}
	}
	x.zip = zip.NewWriter(x.buf)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", contentTypesXML},
		{"_rels/.rels", rootRelsXML},
		{"xl/workbook.xml", fmt.Sprintf(workbookXML, html.EscapeString(name))},
		{"xl/_rels/workbook.xml.rels", workbookRelsXML},
		{"xl/styles.xml", stylesXML},
	}
	for _, p := range parts {
		f, err := x.zip.Create(p.name)
		if err == nil {
			_, err = io.WriteString(f, p.body)
		}
		if err != nil {
			return nil, fmt.Errorf("write xlsx: %w", err)
		}
	}
	f, err := x.zip.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	x.sheet = bufio.NewWriterSize(f, 32<<10)
	// The frozen header and the column widths come before the rows.
	x.sheet.WriteString(sheetHeadXML)
	if len(header) > 0 {
		x.sheet.WriteString("<cols>")
		for i, h := range header {
			width := min(max(len(h)+2, 10), 40)
			fmt.Fprintf(x.sheet, `<col min="%d" max="%d" width="%d" customWidth="1"/>`, i+1, i+1, width)
		}
		x.sheet.WriteString("</cols>")
	}
	x.sheet.WriteString("<sheetData>")
	return x, nil
}

// checkSheetName refuses a name a spreadsheet program refuses: longer
// than 31 characters, holding one of : \ / ? * [ ] or a control
// character, beginning or ending with ', or Excel's reserved "History".
func checkSheetName(name string) error {
	switch {
	case len(utf16.Encode([]rune(name))) > 31:
		return fmt.Errorf("sheet name %q: longer than 31 characters", name)
	case strings.ContainsAny(name, `:\/?*[]`):
		return fmt.Errorf("sheet name %q: a sheet name cannot hold : \\ / ? * [ or ]", name)
	case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF }) >= 0:
		return fmt.Errorf("sheet name %q: a sheet name cannot hold control characters", name)
	case strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'"):
		return fmt.Errorf("sheet name %q: a sheet name cannot begin or end with '", name)
	case strings.EqualFold(name, "History"):
		return fmt.Errorf("sheet name %q: Excel reserves it", name)
	}
	return nil
}

// ErrTooManyRows is returned, wrapped, for a row past the last one a
// sheet holds.
var ErrTooManyRows = errors.New("a spreadsheet sheet holds at most 1,048,576 rows (the header and 1,048,575 records); write CSV instead")

// ErrTooManyColumns is returned, wrapped, for a header or a row with more
// cells than a sheet has columns.
var ErrTooManyColumns = errors.New("a spreadsheet sheet holds at most 16,384 columns; write CSV instead")

func (x *xlsxWriter) write(row int, cells []string, marks []Mark) error {
	if row > maxRows {
		return fmt.Errorf("row %d: %w", row, ErrTooManyRows)
	}
	if len(cells) > maxColumns {
		return fmt.Errorf("row %d: %d cells: %w", row, len(cells), ErrTooManyColumns)
	}
	for i, v := range cells {
		if utf16Len(v) > maxCellChars {
			return &cellError{col: i, err: ErrCellTooLong}
		}
	}
	for len(x.refs) < len(cells) {
		x.refs = append(x.refs, columnName(len(x.refs)+1))
	}
	num := strconv.Itoa(row)
	b := x.scratch[:0]
	b = append(b, `<row r="`...)
	b = append(b, num...)
	b = append(b, `">`...)
	for i, v := range cells {
		mark := Plain
		if i < len(marks) && marks[i] <= Error {
			mark = marks[i]
		}
		number := row > 1 && i < len(x.numbers) && x.numbers[i] && plainInteger(v)
		style := styleHeader
		if row > 1 {
			style = styleCells + 2*int(mark)
			if number {
				style++
			}
		}
		b = append(b, `<c r="`...)
		b = append(b, x.refs[i]...)
		b = append(b, num...)
		b = append(b, `" s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		switch {
		case v == "":
			b = append(b, `"/>`...) // styled, so a value typed in later is text
		case number:
			b = append(b, `"><v>`...)
			b = append(b, v...)
			b = append(b, `</v></c>`...)
		default:
			b = append(b, `" t="inlineStr"><is><t xml:space="preserve">`...)
			b = appendText(b, v)
			b = append(b, `</t></is></c>`...)
		}
	}
	b = append(b, `</row>`...)
	x.scratch = b
	if _, err := x.sheet.Write(b); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// columnName returns a column's letters: 1 is A, 27 is AA.
func columnName(n int) string {
	var s []byte
	for ; n > 0; n = (n - 1) / 26 {
		s = append([]byte{byte('A' + (n-1)%26)}, s...)
	}
	return string(s)
}

// appendText appends s as the text of an XML element in a workbook:
// markup characters escaped; characters XML cannot hold (controls other
// than tab and line ends) written as the workbook escape _xHHHH_, and a
// literal "_x" that would read as one escaped itself; bytes that are not
// UTF-8 as U+FFFD.
func appendText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '\r':
			b = append(b, "&#13;"...) // XML reads a bare CR as a line feed
		case c == '_' && looksEscaped(s[i:]):
			b = append(b, "_x005F_"...)
		case c < 0x20 && c != '\t' && c != '\n':
			b = append(b, "_x00"...)
			b = append(b, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15], '_')
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			i += size
			continue
		}
		i++
	}
	return b
}

// looksEscaped reports whether s starts with a workbook escape, _xHHHH_.
func looksEscaped(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
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

// utf16Len counts s in UTF-16 units, as spreadsheets count characters,
// exactly when that might pass a cell's limit.
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

// flush does nothing: a workbook is readable only once whole, at close.
func (x *xlsxWriter) flush() error { return nil }

func (x *xlsxWriter) close(commit bool) error {
	if !commit {
		return nil // nothing held but memory
	}
	x.sheet.WriteString("</sheetData></worksheet>")
	if err := x.sheet.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := x.zip.Close(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := x.buf.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// The workbook's fixed parts.
const (
	contentTypesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`

	rootRelsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`

	// workbookXML takes the sheet's name, escaped (html.EscapeString's
	// entities are XML's too).
	workbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>`

	workbookRelsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`

	// stylesXML: fonts 0 plain, 1 bold; fills 0 and 1 as required, 2 amber
	// (Warning), 3 red (Error); cellXfs 0 default, 1 header (bold text),
	// then per mark (Plain, Warning, Error) text (@, 49) and integer (0, 1).
	stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>` +
		`<fill><patternFill patternType="solid"><fgColor rgb="FFFFE699"/><bgColor indexed="64"/></patternFill></fill>` +
		`<fill><patternFill patternType="solid"><fgColor rgb="FFF4B6B6"/><bgColor indexed="64"/></patternFill></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="8">` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>` +
		`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="49" fontId="0" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFill="1"/>` +
		`<xf numFmtId="1" fontId="0" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFill="1"/>` +
		`<xf numFmtId="49" fontId="0" fillId="3" borderId="0" xfId="0" applyNumberFormat="1" applyFill="1"/>` +
		`<xf numFmtId="1" fontId="0" fillId="3" borderId="0" xfId="0" applyNumberFormat="1" applyFill="1"/>` +
		`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

	// sheetHeadXML opens the sheet with its header row frozen.
	sheetHeadXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`
)
