package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"contactbulk/mapping"
	"contactbulk/table"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenErrors checks every input Open refuses says why, as an ErrInput.
func TestOpenErrors(t *testing.T) {
	good := "Contract,Name\n1001,Ada\n"
	cases := []struct {
		name, file, content string
		opt                 ReadOptions
		want                string
	}{
		{"missing file", "", "", ReadOptions{}, "no such file"},
		{"old xls", "a.xls", "x", ReadOptions{}, "save it as .xlsx or CSV"},
		{"bad encoding", "a.csv", good, ReadOptions{Encoding: "ebcdic"}, `--encoding "ebcdic": not an encoding`},
		{"bad date format", "a.csv", good, ReadOptions{DateFormat: "YDM"}, "want DMY"},
		{"sheet on csv", "a.csv", good, ReadOptions{Sheet: "One"}, "--sheet applies to .xlsx"},
		{"empty", "a.csv", "", ReadOptions{}, "is empty"},
		{"two columns one field", "a.csv", "Name,Full Name,Contract\nA,B,1\n", ReadOptions{}, `columns "Name" and "Full Name" both give FullName`},
		{"no contract", "a.csv", "Name\nAda\n", ReadOptions{}, "no column gives CoworkerContractId"},
		{"mapped column missing", "a.csv", good, ReadOptions{Mapping: mapping.Mapping{Columns: map[string]string{"Member": "FullName"}}}, `names column "Member"`},
		{"constant and column", "a.csv", good, ReadOptions{Mapping: mapping.Mapping{Constants: map[string]string{"FullName": "X"}}}, "given both by column"},
		{"unknown constant", "a.csv", good, ReadOptions{Mapping: mapping.Mapping{Constants: map[string]string{"Emial": "x"}}}, "did you mean Email?"},
		{"not an xlsx", "a.xlsx", "hello", ReadOptions{}, "not a readable .xlsx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.csv")
			if tc.file != "" {
				path = writeFile(t, tc.file, tc.content)
			}
			in, err := Open(path, nil, tc.opt)
			if err == nil {
				in.Close()
				t.Fatalf("Open succeeded, want error containing %q", tc.want)
			}
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q (ErrInput %v), want one containing %q", err, errors.Is(err, ErrInput), tc.want)
			}
		})
	}
}

// TestStdinAndOptions reads stdin through a spool removed by Close, with an
// explicit encoding and delimiter.
func TestStdinAndOptions(t *testing.T) {
	input := "Contract;Name;Notes\r\n1001;Jos\xe9;caf\xe9\r\n"
	in, err := Open("-", strings.NewReader(input), ReadOptions{Encoding: "windows-1252", Delimiter: ';', Today: today})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name() != "stdin" {
		t.Errorf("Name() = %q", in.Name())
	}
	spool := in.Path()
	if st, err := os.Stat(spool); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("spool %s: %v, %v", spool, st, err)
	}
	src, err := in.Rows()
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	if r.Contact.FullName != "José" || r.Contact.Notes != "café" || !r.Valid() {
		t.Errorf("row = %+v", r)
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("second Next: %v, want io.EOF", err)
	}
	src.Close()
	in.Close()
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("spool still there after Close: %v", err)
	}
}

// TestBadQuoting stops a dry run with the row whose quotes are broken.
func TestBadQuoting(t *testing.T) {
	path := writeFile(t, "a.csv", "Contract,Name\n1001,Ada\n1002,\"Bo\"b\n")
	in, err := Open(path, nil, ReadOptions{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, err = DryRun(context.Background(), in, "", io.Discard)
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "row 3") {
		t.Errorf("err = %v, want an ErrInput naming row 3", err)
	}
}

// TestXLSX reads a generated workbook: big ids as written, date serials,
// trailing empty cells, a chosen sheet, and a missing sheet.
func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Contract", "Name", "CoworkerId", "DOB", "Phone", "Notes"})
	f.SetSheetRow("Sheet1", "A2", &[]any{1001, "Ada", 12345678901, 32874, 442079460000, "x"})
	f.SetSheetRow("Sheet1", "A3", &[]any{1002, "Alan"})
	f.SetSheetRow("Sheet1", "A4", &[]any{1003, "Grace", nil, 32874})    // a bare number: not a date
	f.SetSheetRow("Sheet1", "A5", &[]any{1004, "Edsger", nil, 32874.0}) // a custom date format
	f.SetSheetRow("Sheet1", "A6", &[]any{1005, "Barbara", nil, 1234.5}) // a number format
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellStyle("Sheet1", "D2", "D2", style)
	long := "d mmmm yyyy"
	longDate, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &long})
	f.SetCellStyle("Sheet1", "D5", "D5", longDate)
	decimals, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	f.SetCellStyle("Sheet1", "D6", "D6", decimals)
	f.NewSheet("Other")
	f.SetSheetRow("Other", "A1", &[]any{"Contract", "Name"})
	f.SetSheetRow("Other", "A2", &[]any{1003, "Grace"})
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	in, err := Open(path, nil, ReadOptions{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	src, err := in.Rows()
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Next()
	if err != nil || !r.Valid() {
		t.Fatalf("row 2: %+v, %v", r, err)
	}
	if *r.Contact.CoworkerID != 12345678901 || r.Contact.DateOfBirth != "1990-01-01T00:00:00" || r.Contact.PhoneNumber != "442079460000" {
		t.Errorf("row 2 contact = %+v (CoworkerId %d)", r.Contact, *r.Contact.CoworkerID)
	}
	if r, err := src.Next(); err != nil || !r.Valid() || r.Line != 3 || len(r.Cells) != 6 {
		t.Errorf("row 3: %+v, %v", r, err)
	}
	for _, want := range []struct {
		line int
		dob  string // the contact's, when valid
		bad  string // the problem, when not
	}{
		{4, "", `DateOfBirth: "32874" is not a date`},
		{5, "1990-01-01T00:00:00", ""},
		{6, "", `DateOfBirth: "1234.5" is not a date`},
	} {
		r, err := src.Next()
		switch {
		case err != nil || r.Line != want.line:
			t.Errorf("row %d: %+v, %v", want.line, r, err)
		case want.bad == "" && (!r.Valid() || r.Contact.DateOfBirth != want.dob):
			t.Errorf("row %d: DateOfBirth %q, problems %v; want %q", r.Line, r.Contact.DateOfBirth, r.Problems, want.dob)
		case want.bad != "" && (len(r.Problems) != 1 || r.Problems[0].String() != want.bad):
			t.Errorf("row %d: problems %v, want %q", r.Line, r.Problems, want.bad)
		}
	}
	src.Close()
	in.Close()

	in, err = Open(path, nil, ReadOptions{Sheet: "Other", Today: today})
	if err != nil {
		t.Fatal(err)
	}
	src, _ = in.Rows()
	if r, err := src.Next(); err != nil || r.Contact.FullName != "Grace" {
		t.Errorf("sheet Other: %+v, %v", r, err)
	}
	src.Close()
	in.Close()

	if _, err := Open(path, nil, ReadOptions{Sheet: "Nope"}); err == nil || !strings.Contains(err.Error(), `no sheet "Nope" (its sheets: Sheet1, Other)`) {
		t.Errorf("missing sheet: %v", err)
	}
}

// TestResultsFile checks the default path, the atomic replace and Abort.
func TestResultsFile(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"contacts.csv", "contacts.results.csv"},
		{"dir/book.xlsx", filepath.Join("dir", "book.results.xlsx")},
		{"dir/contacts.results.csv", filepath.Join("dir", "contacts.results.csv")},
		{"-", "stdin.results.csv"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := DefaultResultsPath(tc.in); got != tc.want {
				t.Errorf("DefaultResultsPath(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	os.WriteFile(path, []byte("old\n"), 0o600)
	w, err := CreateResults(path, []string{"Name"}, table.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(2, Failed, 0, "line one\nline two", []string{"=cmd"}, nil)
	w.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("after Abort the file holds %q", b)
	}
	w, _ = CreateResults(path, []string{"Name"}, table.Options{})
	w.Write(2, Created, 42, "", []string{"=cmd"}, nil)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "row,status,id,error,Name\n2,created,42,,'=cmd\n" {
		t.Errorf("results file = %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
	if _, err := CreateResults(filepath.Join(dir, "missing", "r.csv"), nil, table.Options{}); err == nil {
		t.Error("CreateResults in a missing folder succeeded")
	}
}

func TestDateFormatted(t *testing.T) {
	tests := []struct {
		raw, shown string
		want       bool
	}{
		{"32874", "01-01-90", true},
		{"32874", "1/1/1990", true},
		{"32874", "01.01.1990", true},
		{"32874", "1 January 1990", true},
		{"32874", "1-Jan-90", true},
		{"32874.5", "1990-01-01 12:00", true},
		{"32874", "32874", false},       // General: a bare number
		{"32874", "32,874.00", false},   // a number format
		{"0.5", "50%", false},           // a percentage
		{"-5", "-5.00", false},          // a negative number
		{"12345678", "1.23E+07", false}, // scientific
		{"1990-01-01", "01-01-90", false},
		{"", "", false},
		{"5", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.raw+" as "+tc.shown, func(t *testing.T) {
			if got := dateFormatted(tc.raw, tc.shown); got != tc.want {
				t.Errorf("dateFormatted(%q, %q) = %v, want %v", tc.raw, tc.shown, got, tc.want)
			}
		})
	}
}

// FuzzFoldKey checks that the repeat check's allocation-free fold gives
// the identity's name key, after whatever the buffer held.
func FuzzFoldKey(f *testing.F) {
	for _, s := range []string{"Ann Lee", " ann\t LEE ", "Zoë Ashford", "zoe\u0308\u00a0ashford", "Ab\vc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		prefix := []byte("1001\x00\x31\x00")
		got := string(foldKey(append([]byte(nil), prefix...), name))
		if want := string(prefix) + mapping.NameKey(name); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", name, got, want)
		}
	})
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzEncodingDetection checks the encoding sniffing's invariants: text
// with a byte order mark is read as its encoding and decodes back to
// itself; mostly-ASCII text in UTF-16 or UTF-32 without one is told too;
// UTF-8 text is never taken for another encoding, nor refused; and bytes
// of Windows-1252 that UTF-8 cannot decode are Windows-1252.
func FuzzEncodingDetection(f *testing.F) {
	for _, s := range []string{"Contract,Name\n1001,José\n", "a;b\r\n王芳;Łukasz\r\n", "x", "", "\x00\x00\xfe\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		enc, known, err := sniffHead(b) // any bytes: no panic
		if _, serr := scanCSV(context.Background(), bytes.NewReader(b), ',', 1, false); serr != nil && len(b) < maxLine {
			t.Fatalf("scanCSV(%q): %v", b, serr)
		}
		s := string(b)
		if !utf8.ValidString(s) {
			return
		}
		text := true
		ascii := 0
		for _, r := range s {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == utf8.RuneError || r == 0xFEFF {
				text = false
			}
			if r < 0x80 {
				ascii++
			}
		}
		if !text {
			return
		}
		if err != nil || (known && enc != encUTF8) {
			t.Fatalf("UTF-8 %q sniffed as %v (known %v), %v", s, enc, known, err)
		}
		sv, _ := scanCSV(context.Background(), strings.NewReader(s), ',', 1, false)
		if sv.utf8.encoding() != encUTF8 {
			t.Fatalf("UTF-8 %q judged %v", s, sv.utf8.encoding())
		}
		chars := utf8.RuneCountInString(s)
		for _, tc := range []struct {
			enc   textEncoding
			codec encoding.Encoding
			bom   encoding.Encoding
		}{
			{encUTF16LE, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)},
			{encUTF16BE, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), unicode.UTF16(unicode.BigEndian, unicode.UseBOM)},
			{encUTF32LE, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)},
			{encUTF32BE, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), utf32.UTF32(utf32.BigEndian, utf32.UseBOM)},
		} {
			withBOM, _ := tc.bom.NewEncoder().Bytes(b)
			if got, known, err := sniffHead(withBOM); err != nil || !known || got != tc.enc {
				t.Fatalf("%q in %v with BOM sniffed as %v (known %v), %v", s, tc.enc, got, known, err)
			}
			back, err := io.ReadAll(decode(bytes.NewReader(withBOM), tc.enc))
			if err != nil || string(back) != s {
				t.Fatalf("%q in %v decodes to %q, %v", s, tc.enc, back, err)
			}
			bare, _ := tc.codec.NewEncoder().Bytes(b)
			if chars >= 16 && ascii*10 >= chars*9 && len(bare) <= headSize {
				if got, known, err := sniffHead(bare); err != nil || !known || got != tc.enc {
					t.Fatalf("%q in %v without BOM sniffed as %v (known %v), %v", s, tc.enc, got, known, err)
				}
			}
		}
		// Windows-1252 bytes with no two beyond ASCII side by side hold
		// no UTF-8 sequence: a file of them is Windows-1252.
		cp, err := charmap.Windows1252.NewEncoder().Bytes(b)
		if err != nil {
			return
		}
		high, paired := 0, false
		for i, c := range cp {
			if c >= 0x80 {
				high++
				paired = paired || i > 0 && cp[i-1] >= 0x80
			}
		}
		if high > 0 && !paired {
			sv, _ := scanCSV(context.Background(), bytes.NewReader(cp), ',', 1, false)
			if sv.utf8.encoding() != encWindows1252 {
				t.Fatalf("Windows-1252 %q judged %v", cp, sv.utf8.encoding())
			}
		}
	})
}

// TestRowSet keeps the first row of each key, growing past its hint.
func TestRowSet(t *testing.T) {
	t.Parallel()
	s := newRowSet(10)
	for i := range 50_000 {
		key := uint64(i%20_000) * 0x9E3779B97F4A7C15 // 0 among them
		want := int32(i)
		if i >= 20_000 {
			want = int32(i % 20_000)
		}
		if got := s.firstOr(key, int32(i)); got != want {
			t.Fatalf("row %d, key %x: first %d, want %d", i, key, got, want)
		}
	}
}

// TestRowsInOrderAcrossBatches reads a sheet of many batches, whose
// arrays Next hands back to the reader to fill again: each row comes in
// order with its own cells, valid and invalid alike, and a repeat is
// still found many batches after its first.
func TestRowsInOrderAcrossBatches(t *testing.T) {
	t.Parallel()
	const n = 10*batchSize + 7
	var b strings.Builder
	b.WriteString("CoworkerContractId,FullName,Notes\n")
	for i := range n {
		switch {
		case i%97 == 5:
			fmt.Fprintf(&b, "x%d,Person %d,bad contract\n", i, i)
		case i == n-1:
			b.WriteString("1001,Person 0,a repeat of row 2\n")
		default:
			fmt.Fprintf(&b, "1001,Person %d,note %d\n", i, i)
		}
	}
	path := filepath.Join(t.TempDir(), "many.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := Open(path, nil, ReadOptions{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	src, err := in.Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := range n {
		r, err := src.Next()
		if err != nil {
			t.Fatalf("row %d: %v", i+2, err)
		}
		name := fmt.Sprintf("Person %d", i)
		if i == n-1 {
			name = "Person 0"
		}
		switch {
		case r.Line != i+2 || r.Cells[1] != name:
			t.Fatalf("row %d: line %d, cells %q", i+2, r.Line, r.Cells)
		case i%97 == 5 && r.Valid(), i == n-1 && (r.Valid() || !strings.Contains(r.Problems[0].Message, "repeats row 2")):
			t.Errorf("row %d: problems %v", r.Line, r.Problems)
		case i%97 != 5 && i != n-1 && (!r.Valid() || r.Contact.FullName != name || r.Contact.Notes != fmt.Sprintf("note %d", i)):
			t.Errorf("row %d: %+v, problems %v", r.Line, r.Contact, r.Problems)
		}
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
}
