package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// openWithin opens path (or stdin) with a deadline, so that a reader
// that hangs fails the test with the error instead of hanging it.
func openWithin(t *testing.T, d time.Duration, path string, stdin io.Reader) (*Input, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	in, err := OpenContext(ctx, path, stdin, ReadOptions{Today: today})
	if err == nil {
		t.Cleanup(func() { in.Close() })
	}
	return in, err
}

// TestHostileFiles refuses, quickly and in words, what is not a CSV.
func TestHostileFiles(t *testing.T) {
	t.Parallel()
	big := func(b byte, n int) string { return strings.Repeat(string(b), n) }
	cases := []struct {
		name, path string // path "" writes content to a file
		content    string
		want       string
	}{
		{"dev zero", "/dev/zero", "", "is not a text file"},
		{"dev urandom", "/dev/urandom", "", "is not a text file"},
		{"binary file", "", "\x7fELF\x02\x01\x01\x00" + big(0, 4096), "is not a text file"},
		{"a line that never ends", "", big('a', 2<<20), "runs on for more than 1 MiB without a line end"},
		{"a quote left open", "", "Contract,Name\n1001,\"Ada\n" + strings.Repeat(big('x', 1000)+"\n", 9<<10), "a quote in it is probably left open"},
		{"pdf", "", "%PDF-1.7\n", "is a PDF"},
		{"old xls", "", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + big(0, 512), "old Excel .xls file or a password-protected workbook"},
		{"header only", "", "Contract,Name\n", ""},
		{"password-protected workbook", writeFile(t, "book.xlsx", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"+big(0, 512)), "", "password-protected workbook"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tc.path
			if path == "" {
				path = writeFile(t, "input.csv", tc.content)
			}
			in, err := openWithin(t, 20*time.Second, path, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				_, err = DryRun(context.Background(), in, "", io.Discard)
				if !errors.Is(err, ErrNoRows) || errors.Is(err, ErrInput) {
					t.Errorf("dry run: %v, want ErrNoRows", err)
				}
				return
			}
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open: %v, want one line with %q", err, tc.want)
			}
		})
	}
}

// TestReadOnce reads inputs that cannot be read twice (a named pipe, a
// pipe named by /proc/self/fd, stdin) once, into a spool removed on
// Close; a pipe that never delivers stops at the deadline.
func TestReadOnce(t *testing.T) {
	t.Parallel()
	const csv = "Contract,Name\n1001,Ada\n1002,Grace\n"
	check := func(t *testing.T, in *Input, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		sum, err := DryRun(context.Background(), in, "", io.Discard)
		if err != nil || sum.Valid != 2 {
			t.Fatalf("dry run: %+v, %v", sum, err)
		}
		// A second pass reads the spool, not the spent pipe.
		if sum, err := DryRun(context.Background(), in, "", io.Discard); err != nil || sum.Valid != 2 {
			t.Errorf("second pass: %+v, %v", sum, err)
		}
		spool := in.Path()
		if !strings.HasPrefix(filepath.Base(spool), spoolPrefix+strconv.Itoa(os.Getpid())+"-") {
			t.Errorf("spool %s is not named for this process", spool)
		}
		in.Close()
		if _, err := os.Stat(spool); !os.IsNotExist(err) {
			t.Errorf("spool left after Close: %v", err)
		}
	}
	t.Run("named pipe", func(t *testing.T) {
		t.Parallel()
		fifo := filepath.Join(t.TempDir(), "fifo.csv")
		if err := mkfifo(fifo); err != nil {
			t.Skip("no named pipes here:", err)
		}
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err == nil {
				f.WriteString(csv)
				f.Close()
			}
		}()
		in, err := openWithin(t, 20*time.Second, fifo, nil)
		check(t, in, err)
	})
	t.Run("proc fd", func(t *testing.T) {
		t.Parallel()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		go func() {
			w.WriteString(csv)
			w.Close()
		}()
		in, err := openWithin(t, 20*time.Second, fmt.Sprintf("/proc/self/fd/%d", r.Fd()), nil)
		check(t, in, err)
	})
	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		in, err := openWithin(t, 20*time.Second, "-", strings.NewReader(csv))
		check(t, in, err)
	})
	t.Run("named pipe with no writer", func(t *testing.T) {
		t.Parallel()
		fifo := filepath.Join(t.TempDir(), "fifo.csv")
		if err := mkfifo(fifo); err != nil {
			t.Skip("no named pipes here:", err)
		}
		_, err := openWithin(t, 200*time.Millisecond, fifo, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), fifo) {
			t.Errorf("err = %v, want the deadline, naming the pipe", err)
		}
		// Let the open left waiting finish.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	t.Run("stdin that never ends", func(t *testing.T) {
		t.Parallel()
		r, w := io.Pipe()
		defer w.Close()
		go w.Write([]byte("Contract,Name\n1001,Ada\n")) // and then nothing
		_, err := openWithin(t, 200*time.Millisecond, "-", r)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrInput) {
			t.Errorf("err = %v, want the deadline", err)
		}
	})
	t.Run("stdin with a line that never ends", func(t *testing.T) {
		t.Parallel()
		r, w := io.Pipe()
		defer r.Close()
		go func() {
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}()
		_, err := openWithin(t, 20*time.Second, "-", r)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "a line runs on") {
			t.Errorf("err = %v, want a line that runs on", err)
		}
	})
}

// TestStaleSpools removes the spools of runs no longer running, and only
// those.
func TestStaleSpools(t *testing.T) {
	t.Parallel()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dir := t.TempDir()
	name := func(pid int) string {
		path := filepath.Join(dir, spoolPrefix+strconv.Itoa(pid)+"-123")
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	stale, mine, alive := name(dead.Process.Pid), name(os.Getpid()), name(1)
	other := filepath.Join(dir, "contactbulk-something-else")
	os.WriteFile(other, nil, 0o600)
	clearStaleSpools(dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the spool of a process gone is still there: %v", err)
	}
	for _, keep := range []string{mine, alive, other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s removed: %v", keep, err)
		}
	}
}

// TestZipBomb refuses a workbook that would unpack past the bounds before
// unpacking it, in little memory. It does not run in parallel: the memory
// it measures is the process's.
func TestZipBomb(t *testing.T) {
	book := excelize.NewFile()
	book.SetSheetRow("Sheet1", "A1", &[]any{"Contract", "Name"})
	book.SetSheetRow("Sheet1", "A2", &[]any{1001, "Ada"})
	var good bytes.Buffer
	if err := book.Write(&good); err != nil {
		t.Fatal(err)
	}
	// rewrite copies the workbook's parts and adds one.
	rewrite := func(add func(z *zip.Writer) error) string {
		zr, err := zip.NewReader(bytes.NewReader(good.Bytes()), int64(good.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
		}
		if err := add(zw); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "bomb.xlsx", out.String())
	}
	ratio := rewrite(func(z *zip.Writer) error {
		w, err := z.Create("xl/media/zeros.bin")
		if err != nil {
			return err
		}
		zeros := make([]byte, 1<<20)
		for range 64 {
			if _, err := w.Write(zeros); err != nil {
				return err
			}
		}
		return nil
	})
	// A directory that declares 2 GiB, as a bomb's would: refused on what
	// it declares (reading more than declared is an error anyway).
	declared := rewrite(func(z *zip.Writer) error {
		w, err := z.CreateRaw(&zip.FileHeader{Name: "xl/media/big.bin", Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 2 << 30})
		if err != nil {
			return err
		}
		_, err = w.Write([]byte("abcd"))
		return err
	})
	for _, tc := range []struct{ name, path, want string }{
		{"ratio", ratio, "more than 200 times its size"},
		{"size", declared, "unpacks to more than 1024 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := openWithin(t, 20*time.Second, tc.path, nil)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("refusing it allocated %d MiB", grew>>20)
			}
		})
	}
}

// TestBytesNotText reads each file as the encoding it is, or refuses it,
// and reports the cells that are not text by row and column; nothing
// becomes U+FFFD on its way to the server.
func TestBytesNotText(t *testing.T) {
	t.Parallel()
	var utf8Rows strings.Builder
	utf8Rows.WriteString("Contract,Name,Notes\n")
	for i := range 20 {
		fmt.Fprintf(&utf8Rows, "%d,José %d,café\n", 1001+i, i)
	}
	utf8Rows.WriteString("1100,Jos\xe9 Bad,x\n") // row 22: one byte from Windows-1252
	utf8Rows.WriteString("1101,Ada\x00Nul,x\n")  // row 23: a NUL in a name
	utf8Rows.WriteString("1102,Ana,#VALUE!\n")   // row 24: an error value in a cell
	utf8Rows.WriteString("1103,Jos\uFFFD,x\n")   // row 25: damaged before it came
	text := utf8Rows.String()
	enc16 := func(s string, e unicode.Endianness, bom unicode.BOMPolicy) string {
		b, err := unicode.UTF16(e, bom).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	enc32 := func(s string, e utf32.Endianness, bom utf32.BOMPolicy) string {
		b, err := utf32.UTF32(e, bom).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	clean := "Contract,Name\n1001,Łukasz Żółkiewski\n1002,王芳\n"
	for _, tc := range []struct {
		name, content, encoding, note string
	}{
		{"utf-8 with a bad byte", text, "", "read as UTF-8 text; 1 byte is not UTF-8 (the first on row 22)"},
		{"utf-8 said", text, "utf-8", ""},
		{"utf-16be without BOM", enc16(clean, unicode.BigEndian, unicode.IgnoreBOM), "", "read as UTF-16BE text"},
		{"utf-32le with BOM", enc32(clean, utf32.LittleEndian, utf32.UseBOM), "", "read as UTF-32LE text"},
		{"utf-32be without BOM", enc32(clean, utf32.BigEndian, utf32.IgnoreBOM), "", "read as UTF-32BE text"},
		{"utf-32le without BOM", enc32(clean, utf32.LittleEndian, utf32.IgnoreBOM), "", "read as UTF-32LE text"},
		{"utf-32 said", enc32(clean, utf32.LittleEndian, utf32.IgnoreBOM), "utf-32", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notes, rows, err := readRows(t, writeFile(t, "in.csv", tc.content), ReadOptions{Encoding: tc.encoding})
			if err != nil {
				t.Fatal(err)
			}
			if tc.note != "" {
				checkNotes(t, notes, []string{tc.note})
			}
			if tc.content != text {
				checkRows(t, rows, map[int]wantRow{2: {name: "Łukasz Żółkiewski"}, 3: {name: "王芳"}})
				return
			}
			want := map[int]wantRow{
				22: {problems: []string{`FullName: "Jos\xe9 Bad" holds bytes that are not text`}},
				23: {problems: []string{`FullName: "Ada\x00Nul" holds a NUL byte`}},
				24: {problems: []string{`Notes: "#VALUE!" is a spreadsheet error`}},
				25: {problems: []string{"FullName: \"Jos\uFFFD\" holds bytes that are not text"}},
			}
			for i := range 20 {
				want[2+i] = wantRow{name: fmt.Sprintf("José %d", i)}
			}
			checkRows(t, rows, want)
			for _, r := range rows {
				if r.Valid() && strings.ContainsRune(r.Contact.FullName+r.Contact.Notes, '\uFFFD') {
					t.Errorf("row %d would send U+FFFD: %+v", r.Line, r.Contact)
				}
			}
		})
	}
}

// TestReadingStops ends a long survey when its context ends.
func TestReadingStops(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := writeBenchCSV(path, 200_000); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := OpenContext(ctx, path, nil, ReadOptions{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrInput) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestScanHalves surveys a big file in two halves at once and finds what
// one pass finds, also when the middle falls inside a quoted cell.
func TestScanHalves(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		middle string // what the middle of the file holds
	}{
		{"lines", ""},
		{"quoted cell across the middle", "1500,\"a note\non many\nlines\", 25/01/1967\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("Contract,Name,DOB\n")
			for i := 0; b.Len() < 9<<20; i++ {
				fmt.Fprintf(&b, "%d,José %d,%02d/%02d/19%02d\n", 1001+i, i, 1+i%28, 1+i%12, i%100)
			}
			if tc.middle != "" {
				// A quoted cell of many lines, its middle at the file's.
				b.WriteString("1500,\"")
				for range 300_000 {
					b.WriteString("line of a long note\n")
				}
				b.WriteString("\",25/01/1967\n")
			}
			for i := 0; b.Len() < 20<<20; i++ {
				fmt.Fprintf(&b, "%d,Ana %d,%02d/%02d/19%02d\n", 5001+i, i, 1+i%12, 13+i%15, i%100)
				if i == 1000 {
					b.WriteString("6000,Jos\xe9,01/01/1990\n")
				}
			}
			data := b.String()
			one, err := scanCSV(context.Background(), strings.NewReader(data), ',', 2, false)
			if err != nil {
				t.Fatal(err)
			}
			two, err := scanHalves(context.Background(), strings.NewReader(data), 0, int64(len(data)), ',', 2)
			if err != nil {
				t.Fatal(err)
			}
			one.utf8.badAt, two.utf8.badAt = 0, 0 // offsets within a half
			if one != two {
				t.Errorf("in halves:\n%+v\nin one pass:\n%+v", two, one)
			}
		})
	}
}
