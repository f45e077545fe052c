package table

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var awkward = [][]string{
	{"02134", "+44 20 7946 0000", "=HYPERLINK(\"http://x\")", "Zoë Ashford"},
	{"-5", "@SUM(A1)", "line one\nline two", "王芳"},
	{"", "'=already", " spaced ", "tab\tinside"},
}

func TestCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Options
		rows [][]string
		want string
	}{
		{
			name: "neutralised",
			rows: [][]string{{"=1+1", "+44 20 7946 0000", "-12", "@x", "plain"}},
			want: "A,B\n'=1+1,+44 20 7946 0000,-12,'@x,plain\n",
		},
		{
			name: "raw",
			opt:  Options{Raw: true},
			rows: [][]string{{"=1+1", "@x"}},
			want: "A,B\n=1+1,@x\n",
		},
		{
			name: "bom, crlf and semicolons",
			opt:  Options{BOM: true, CRLF: true, Comma: ';'},
			rows: [][]string{{"a;b", "c"}},
			want: "\uFEFFA;B\r\n\"a;b\";c\r\n",
		},
		{
			name: "quoting",
			rows: [][]string{{"say \"hi\"", "two\nlines"}},
			want: "A,B\n\"say \"\"hi\"\"\",\"two\nlines\"\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(&buf, []string{"A", "B"}, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("got %q, want %q", buf.String(), tc.want)
			}
			if w.Rows() != 1+len(tc.rows) {
				t.Errorf("Rows() = %d", w.Rows())
			}
		})
	}
}

func TestCSVEncodings(t *testing.T) {
	t.Parallel()
	header := []string{"FullName", "City"}
	t.Run("windows-1252", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := New(&buf, header, Options{Encoding: Windows1252})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]string{"José Müller", "Köln"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		err = w.Write([]string{"Łukasz", "王芳"})
		var ce *CellError
		if !errors.As(err, &ce) || ce.Row != 3 || ce.Column != "FullName" || !strings.Contains(err.Error(), "windows-1252 cannot hold") {
			t.Fatalf("err = %v, want row 3 column FullName refused", err)
		}
		if err := w.Close(); err == nil {
			t.Error("Close after a refused row succeeded")
		}
		text, _ := charmap.Windows1252.NewDecoder().Bytes(buf.Bytes())
		if string(text) != "FullName,City\nJosé Müller,Köln\n" {
			t.Errorf("decoded %q", text)
		}
		if !bytes.Contains(buf.Bytes(), []byte{'J', 'o', 's', 0xE9}) {
			t.Errorf("not single-byte: %q", buf.Bytes())
		}
	})
	t.Run("utf-16le", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := New(&buf, header, Options{Encoding: UTF16LE, Comma: '\t', CRLF: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range awkward {
			if err := w.Write(r[2:]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte{0xFF, 0xFE}) {
			t.Fatalf("no UTF-16LE mark: % x", buf.Bytes()[:4])
		}
		text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(bytes.NewReader(text))
		r.Comma = '\t'
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[2][1] != "王芳" || rows[1][0] != "'=HYPERLINK(\"http://x\")" {
			t.Errorf("rows %q", rows)
		}
	})
	t.Run("no mark in windows-1252", func(t *testing.T) {
		if _, err := New(io.Discard, header, Options{Encoding: Windows1252, BOM: true}); err == nil {
			t.Error("a windows-1252 mark was accepted")
		}
	})
}

// failAfter fails every write once n bytes went through.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, syscall.ENOSPC
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorsReported(t *testing.T) {
	t.Parallel()
	for _, format := range []Format{CSV, XLSX} {
		t.Run(format.String(), func(t *testing.T) {
			w, err := New(&failAfter{n: 100}, []string{"A"}, Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			for range 100 {
				if err := w.Write([]string{strings.Repeat("x", 50)}); err != nil {
					t.Fatal(err) // rows are buffered: the error comes with Flush or Close
				}
			}
			err = w.Flush()
			if format == CSV && !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("Flush: %v, want ENOSPC", err)
			}
			if err := w.Close(); !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("Close: %v, want ENOSPC", err)
			}
			if err := w.Write([]string{"more"}); err == nil {
				t.Error("Write after a failure succeeded")
			}
		})
	}
}

// readXLSX opens an XLSX made by the writer with excelize and returns its
// rows as text.
func readXLSX(t *testing.T, data []byte) (*excelize.File, [][]string) {
	t.Helper()
	book, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an XLSX: %v", err)
	}
	t.Cleanup(func() { book.Close() })
	rows, err := book.GetRows(book.GetSheetName(0), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return book, rows
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	header := []string{"PostCode", "PhoneNumber", "Notes", "FullName", "Id"}
	var buf bytes.Buffer
	w, err := New(&buf, header, Options{Format: XLSX, Sheet: "Contacts", Numbers: []int{4}})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"87654321", "007", "1234567890123456"}
	for i, r := range awkward {
		marks := []Mark{Plain, Warning, Error}
		if err := w.WriteMarked(append(slices.Clone(r), ids[i]), marks[i:]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	book, rows := readXLSX(t, buf.Bytes())
	if name := book.GetSheetName(0); name != "Contacts" {
		t.Errorf("sheet %q", name)
	}
	want := [][]string{header}
	for i, r := range awkward {
		want = append(want, append(slices.Clone(r), ids[i]))
	}
	for i := range want {
		// excelize drops trailing empty cells; compare what is there.
		got := rows[i]
		for j, v := range want[i] {
			g := ""
			if j < len(got) {
				g = got[j]
			}
			if g != v {
				t.Errorf("row %d column %s: %q, want %q", i+1, header[j], g, v)
			}
		}
	}
	for r := 1; r <= len(want); r++ {
		for c := 1; c <= len(header); c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			if f, _ := book.GetCellFormula("Contacts", cell); f != "" {
				t.Errorf("%s holds a formula %q", cell, f)
			}
			typ, _ := book.GetCellType("Contacts", cell)
			v, _ := book.GetCellValue("Contacts", cell)
			isNumber := c == 5 && r == 2
			if v != "" && isNumber != (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
				t.Errorf("%s %q has type %v", cell, v, typ)
			}
		}
	}
	panes, err := book.GetPanes("Contacts")
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("header not frozen: %+v, %v", panes, err)
	}
	// Text cells carry the text format, and marks their fill.
	styleOf := func(cell string) *excelize.Style {
		id, err := book.GetCellStyle("Contacts", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := book.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// The fill's colour as written: excelize's GetStyle names colours
	// only in a workbook with a theme part, which this one does not need.
	fillOf := func(cell string) string {
		id, err := book.GetCellStyle("Contacts", cell)
		if err != nil {
			t.Fatal(err)
		}
		fill := book.Styles.Fills.Fill[*book.Styles.CellXfs.Xf[id].FillID].PatternFill
		if fill.PatternType != "solid" || fill.FgColor == nil {
			return ""
		}
		return fill.FgColor.RGB
	}
	if st := styleOf("A2"); st.NumFmt != 49 || fillOf("A2") != "" {
		t.Errorf("A2 style %+v, fill %q, want text, no fill", st, fillOf("A2"))
	}
	if fill := fillOf("A3"); fill != "FFFFE699" {
		t.Errorf("A3 (Warning) fill %q", fill)
	}
	if st, fill := styleOf("A4"), fillOf("A4"); fill != "FFF4B6B6" || st.NumFmt != 49 {
		t.Errorf("A4 (Error) fill %q, format %d", fill, st.NumFmt)
	}
	if st := styleOf("E2"); st.NumFmt != 1 {
		t.Errorf("E2, a number, has format %d", st.NumFmt)
	}
	if st := styleOf("A1"); st.Font == nil || !st.Font.Bold {
		t.Errorf("header not bold: %+v", st.Font)
	}
}

func TestXLSXCellTooLong(t *testing.T) {
	t.Parallel()
	w, err := New(io.Discard, []string{"Id", "Notes"}, Options{Format: XLSX})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Discard()
	if err := w.Write([]string{"1", strings.Repeat("é", 32767)}); err != nil {
		t.Fatalf("a full cell: %v", err)
	}
	err = w.Write([]string{"2", strings.Repeat("😀", 16384)}) // 32,768 UTF-16 units
	var ce *CellError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCellTooLong) || ce.Row != 3 || ce.Column != "Notes" {
		t.Fatalf("err = %v, want row 3 column Notes too long", err)
	}
}

func TestFormatOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want Format
		ok   bool
	}{
		{"a.xlsx", XLSX, true}, {"A.XLSX", XLSX, true}, {"a.csv", CSV, true}, {"a", CSV, true},
		{"/dev/stdout", CSV, true}, {"a.xls", CSV, false}, {"a.ods", CSV, false},
	}
	for _, tc := range tests {
		if got, ok := FormatOf(tc.path); got != tc.want || ok != tc.ok {
			t.Errorf("FormatOf(%q) = %v, %v", tc.path, got, ok)
		}
	}
	if f, err := ParseFormat(" XLSX "); err != nil || f != XLSX {
		t.Errorf("ParseFormat: %v, %v", f, err)
	}
	if _, err := ParseFormat("ods"); err == nil || !strings.Contains(err.Error(), "use csv or xlsx") {
		t.Errorf("ParseFormat(ods): %v", err)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(path string, opt Options) (*File, error) {
		f, err := Create(path, []string{"Id"}, opt)
		if err != nil {
			return nil, err
		}
		if err := f.Write([]string{"1"}); err != nil {
			t.Fatal(err)
		}
		return f, nil
	}

	t.Run("regular file replaced whole", func(t *testing.T) {
		path := filepath.Join(dir, "a.csv")
		os.WriteFile(path, []byte("previous\n"), 0o644)
		f, err := write(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f.Abort()
		if got, _ := os.ReadFile(path); string(got) != "previous\n" {
			t.Errorf("after Abort: %q", got)
		}
		if f, err = write(path, Options{}); err != nil {
			t.Fatal(err)
		}
		if f.Direct() {
			t.Error("a regular file is written in place")
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != "Id\n1\n" {
			t.Errorf("after Commit: %q", got)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
	})

	t.Run("symbolic link kept", func(t *testing.T) {
		target := filepath.Join(dir, "target.xlsx")
		link := filepath.Join(dir, "link.xlsx")
		os.WriteFile(target, nil, 0o600)
		os.Symlink(target, link)
		f, err := write(link, Options{Format: XLSX})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v", err)
		}
		data, _ := os.ReadFile(target)
		if _, rows := readXLSX(t, data); len(rows) != 2 || rows[1][0] != "1" {
			t.Errorf("target rows %q", rows)
		}
		dangling := filepath.Join(dir, "dangling.csv")
		os.Symlink(filepath.Join(dir, "gone"), dangling)
		if _, err := write(dangling, Options{}); err == nil || !strings.Contains(err.Error(), "symbolic link to a missing file") {
			t.Errorf("dangling link: %v", err)
		}
	})

	t.Run("fifo written in place", func(t *testing.T) {
		fifo := filepath.Join(dir, "pipe")
		if err := mkfifo(fifo); err != nil {
			t.Skip(err)
		}
		got := make(chan []byte)
		go func() {
			r, err := os.Open(fifo)
			if err != nil {
				got <- nil
				return
			}
			defer r.Close()
			data, _ := io.ReadAll(r)
			got <- data
		}()
		f, err := write(fifo, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !f.Direct() {
			t.Error("a FIFO is not written in place")
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		if data := <-got; string(data) != "Id\n1\n" {
			t.Errorf("read %q from the FIFO", data)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
		}
	})

	t.Run("devices", func(t *testing.T) {
		// Checked first: a regression must not replace the machine's
		// devices (as root it could).
		for _, dev := range []string{"/dev/null", "/dev/full"} {
			if in, err := writesInPlace(dev); !in && err == nil {
				t.Fatalf("%s would be replaced", dev)
			}
		}
		f, err := write("/dev/null", Options{Format: XLSX})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("/dev/null is no longer a device: %v", err)
		}
		if _, err := os.Stat("/dev/full"); err == nil {
			f, err := write("/dev/full", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Commit(); !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("writing /dev/full: %v, want no space left", err)
			}
			if fi, _ := os.Stat("/dev/full"); fi.Mode()&os.ModeCharDevice == 0 {
				t.Error("/dev/full was replaced")
			}
		}
	})

	t.Run("descriptor names", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		name := "/proc/self/fd/" + strconv.Itoa(int(w.Fd()))
		if _, err := os.Stat(name); err != nil {
			w.Close()
			t.Skip("no /proc here")
		}
		f, err := write(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if data, _ := io.ReadAll(r); string(data) != "Id\n1\n" {
			t.Errorf("read %q through %s", data, name)
		}
		if !descriptorName.MatchString("/dev/stdout") || !descriptorName.MatchString("/dev/fd/3") || descriptorName.MatchString("/dev/sda") {
			t.Error("descriptor names misread")
		}
	})

	t.Run("socket refused", func(t *testing.T) {
		sock := filepath.Join(dir, "s.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Skip(err)
		}
		defer l.Close()
		if _, err := write(sock, Options{}); err == nil || !strings.Contains(err.Error(), "is a socket") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("folder", func(t *testing.T) {
		if _, err := write(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is a folder") {
			t.Errorf("err = %v", err)
		}
		if _, err := write(filepath.Join(dir, "missing", "a.csv"), Options{}); err == nil || !strings.Contains(err.Error(), "create it first") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestXLSXRowLimit(t *testing.T) {
	t.Parallel()
	x, err := newXLSX(io.Discard, []string{"Id"}, Options{Format: XLSX})
	if err != nil {
		t.Fatal(err)
	}
	defer x.close(false)
	if err := x.write(maxRows, []string{"1"}, nil); err != nil {
		t.Fatalf("the last row: %v", err)
	}
	if err := x.write(maxRows+1, []string{"2"}, nil); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("past the last row: %v", err)
	}
}

// TestXLSXText: text XML cannot hold as it is comes back as written:
// markup, a bare CR, control characters (written as the workbook escape
// _xHHHH_) and a literal "_x0041_" (escaped so it is not read as "A");
// bytes that are not UTF-8, and the noncharacters XML refuses, become
// U+FFFD.
func TestXLSXText(t *testing.T) {
	t.Parallel()
	cells := []string{"a & b <c> \"d\" 'e'", "one\rtwo\r\nthree", "bell\a, nul\x00, esc\x1b", "_x0041_ and _x00", "bad \xff byte", "tab\there",
		"not a character: \uFFFE", "a surrogate: \xed\xa0\x80"}
	want := slices.Clone(cells)
	want[4] = "bad \uFFFD byte"
	want[6] = "not a character: \uFFFD"
	want[7] = "a surrogate: \uFFFD\uFFFD\uFFFD"
	var buf bytes.Buffer
	w, err := New(&buf, []string{"A", "B", "C", "D", "E", "F", "G", "H"}, Options{Format: XLSX})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(cells); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, rows := readXLSX(t, buf.Bytes())
	if len(rows) != 2 {
		t.Fatalf("rows %q", rows)
	}
	for i, v := range want {
		if rows[1][i] != v {
			t.Errorf("cell %d: %q, want %q", i, rows[1][i], v)
		}
	}
}

// TestXLSXColumnLimit: a header or a row wider than a sheet is refused,
// not written as a workbook spreadsheet programs call damaged.
func TestXLSXColumnLimit(t *testing.T) {
	t.Parallel()
	wide := make([]string, maxColumns+1)
	if _, err := New(io.Discard, wide, Options{Format: XLSX}); !errors.Is(err, ErrTooManyColumns) {
		t.Errorf("a header of %d columns: %v", len(wide), err)
	}
	w, err := New(io.Discard, wide[:maxColumns], Options{Format: XLSX})
	if err != nil {
		t.Fatalf("a header of %d columns: %v", maxColumns, err)
	}
	defer w.Discard()
	if err := w.Write(wide[:maxColumns]); err != nil {
		t.Fatalf("a full row: %v", err)
	}
	if err := w.Write(wide); !errors.Is(err, ErrTooManyColumns) {
		t.Errorf("a row of %d cells: %v", len(wide), err)
	}
}

// TestXLSXSheetNames refuses what spreadsheet programs refuse, and writes
// markup in a name escaped.
func TestXLSXSheetNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, err string }{
		{"Contacts & <co>", ""},
		{strings.Repeat("é", 31), ""},
		{strings.Repeat("😀", 16), "longer than 31"}, // 32 UTF-16 units
		{"a/b", "cannot hold"},
		{"a\x01b", "control characters"},
		{"'quoted'", "begin or end with '"},
		{"history", "reserves"},
	} {
		var buf bytes.Buffer
		w, err := New(&buf, []string{"A"}, Options{Format: XLSX, Sheet: tc.name})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if book, _ := readXLSX(t, buf.Bytes()); book.GetSheetName(0) != tc.name {
			t.Errorf("sheet %q, want %q", book.GetSheetName(0), tc.name)
		}
	}
}
