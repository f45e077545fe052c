package importer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// textEncoding is how a CSV file's bytes are text.
type textEncoding int

const (
	encUTF8 textEncoding = iota
	encUTF16LE
	encUTF16BE
	encUTF32LE
	encUTF32BE
	encWindows1252
)

func (e textEncoding) String() string {
	switch e {
	case encUTF16LE:
		return "UTF-16LE"
	case encUTF16BE:
		return "UTF-16BE"
	case encUTF32LE:
		return "UTF-32LE"
	case encUTF32BE:
		return "UTF-32BE"
	case encWindows1252:
		return "Windows-1252"
	}
	return "UTF-8"
}

// singleByte reports whether the encoding holds only 256 characters, so
// that a program saving into it writes "?" for the letters it lacks.
func (e textEncoding) singleByte() bool { return e == encWindows1252 }

// parseEncoding reads an --encoding value; "" means sniff.
func parseEncoding(s string) (enc textEncoding, sniff bool, err error) {
	switch strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", ""), "_", "") {
	case "":
		return encUTF8, true, nil
	case "utf8":
		return encUTF8, false, nil
	case "utf16", "utf16le", "unicode":
		return encUTF16LE, false, nil
	case "utf16be":
		return encUTF16BE, false, nil
	case "utf32", "utf32le":
		return encUTF32LE, false, nil
	case "utf32be":
		return encUTF32BE, false, nil
	case "windows1252", "cp1252", "latin1", "iso88591", "ansi":
		return encWindows1252, false, nil
	}
	return 0, false, fmt.Errorf("--encoding %q: not an encoding contactbulk reads; use utf-8, utf-16 (Excel's \"Unicode text\"), utf-32 or windows-1252", s)
}

// hasBOM reports whether the head of a file starts with a byte order mark
// of UTF-8, UTF-16 or UTF-32.
func hasBOM(head []byte) bool {
	for _, bom := range [][]byte{{0xEF, 0xBB, 0xBF}, {0xFF, 0xFE}, {0xFE, 0xFF}, {0, 0, 0xFE, 0xFF}} {
		if bytes.HasPrefix(head, bom) {
			return true
		}
	}
	return false
}

// headSize is how much of a file sniffHead looks at.
const headSize = 64 << 10

// sniffHead tells what the first bytes of a file say about its encoding:
// a byte order mark, or the pattern of zero bytes that UTF-16 and UTF-32
// text without one makes. known is false when the head is ASCII-compatible
// text (UTF-8 or a single-byte encoding: the whole file must tell). The
// error says the bytes are not text at all.
func sniffHead(head []byte) (enc textEncoding, known bool, err error) {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8, true, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}):
		return encUTF32LE, true, nil
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		return encUTF32BE, true, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return encUTF16LE, true, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return encUTF16BE, true, nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return 0, false, fmt.Errorf("is an old Excel .xls file or a password-protected workbook: save it as .xlsx (without a password) or CSV UTF-8 and import that")
	case bytes.HasPrefix(head, []byte("%PDF")):
		return 0, false, fmt.Errorf("is a PDF, not a spreadsheet: give a CSV or XLSX file")
	}
	sample := head[:len(head)&^3] // whole UTF-32 units
	var zero [4]int
	controls := 0
	for i, b := range sample {
		if b == 0 {
			zero[i&3]++
		}
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\v' && b != '\f' {
			controls++
		}
	}
	units := len(sample) / 4
	if units > 0 && controls > 0 {
		// Most characters of a CSV are ASCII (its delimiters, digits and
		// line ends at least): in UTF-32 three bytes of four are zero, in
		// UTF-16 one of two, always at the same places.
		mostly := func(n int) bool { return n*10 >= units*9 }
		few := func(n int) bool { return n*10 <= units }
		chars := 2 * units // UTF-16 code units
		odd, even := zero[1]+zero[3], zero[0]+zero[2]
		switch {
		case zero[3] == units && mostly(zero[2]) && few(zero[0]):
			return encUTF32LE, true, nil
		case zero[0] == units && mostly(zero[1]) && few(zero[3]):
			return encUTF32BE, true, nil
		case odd*4 >= chars && even*20 <= chars:
			return encUTF16LE, true, nil
		case even*4 >= chars && odd*20 <= chars:
			return encUTF16BE, true, nil
		}
	}
	// A NUL or another control byte in a cell is that cell's problem; a
	// head full of them is not text (a program, an image, /dev/zero).
	if controls >= 8 && controls*100 > len(head) {
		return 0, false, fmt.Errorf("is not a text file (%d of its first %d bytes are control bytes such as NUL): give a CSV or XLSX file", controls, len(head))
	}
	return encUTF8, false, nil
}

// utf8Evidence counts what a file's bytes say about UTF-8: sequences of
// more than one byte that UTF-8 decodes (José's é), and bytes it cannot.
type utf8Evidence struct {
	multi, bad int64
	badAt      int64 // the offset in the text of the first bad byte
	badRow     int   // and its spreadsheet row
	badByte    byte
}

// encoding decides between UTF-8 and Windows-1252 for a file with this
// evidence: UTF-8 when every byte is UTF-8 or when UTF-8 letters outnumber
// the bad bytes (a UTF-8 file with a damaged row stays UTF-8 and the row
// is reported); Windows-1252 when the bytes beyond ASCII are mostly not
// UTF-8, as in what Excel on Windows saves as "CSV".
func (e utf8Evidence) encoding() textEncoding {
	if e.bad == 0 || e.multi >= e.bad {
		return encUTF8
	}
	return encWindows1252
}

// decode returns r's text as UTF-8, without a byte order mark. Bytes that
// are not text in enc come out as U+FFFD (UTF-8 input: as they are), for
// the cell check to report.
func decode(r io.Reader, enc textEncoding) io.Reader {
	switch enc {
	case encUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case encUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
	case encUTF32LE:
		return transform.NewReader(r, utf32.UTF32(utf32.LittleEndian, utf32.UseBOM).NewDecoder())
	case encUTF32BE:
		return transform.NewReader(r, utf32.UTF32(utf32.BigEndian, utf32.UseBOM).NewDecoder())
	case encWindows1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return br
}

// ParseDelimiter reads a --delimiter value: one character, or "tab",
// "comma", "semicolon", "pipe"; "" means sniff (0).
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "tab", `\t`, "\t":
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
		return 0, fmt.Errorf("delimiter %q: use one character such as , ; | or the word tab", s)
	}
	return r, nil
}

// sepLine reads Excel's delimiter hint, a first line "sep=;" (also quoted),
// from the start of text; n is the length of the line with its line end,
// 0 when text does not start with one.
func sepLine(text []byte) (delim rune, n int) {
	line := text
	end := bytes.IndexAny(text, "\r\n")
	if end < 0 {
		return 0, 0
	}
	line = bytes.TrimSpace(text[:end])
	n = end + 1
	if text[end] == '\r' && end+1 < len(text) && text[end+1] == '\n' {
		n++
	}
	line = bytes.Trim(line, `"`)
	if len(line) < 5 || !bytes.EqualFold(line[:4], []byte("sep=")) {
		return 0, 0
	}
	r, size := utf8.DecodeRune(line[4:])
	if 4+size != len(line) || r == utf8.RuneError || r == '"' {
		return 0, 0
	}
	return r, n
}

// sniffDelimiter picks the delimiter of a CSV from its header line: the
// most frequent of , ; tab | outside quotes (comma when there is none).
func sniffDelimiter(text []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(text) {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			if len(counts) > 0 {
				break
			}
			continue
		}
		switch c {
		case ',', ';', '\t', '|':
			counts[c]++
		}
	}
	best, bestN := ',', 0
	for _, c := range []rune{',', ';', '\t', '|'} {
		if counts[c] > bestN {
			best, bestN = c, counts[c]
		}
	}
	return best
}

// crOnly reports whether text ends its lines with a bare carriage return
// (Excel for Mac's CSV): it has a CR and no line feed.
func crOnly(text []byte) bool {
	return bytes.IndexByte(text, '\r') >= 0 && bytes.IndexByte(text, '\n') < 0
}

// crToLF turns bare carriage returns into line feeds, for a file that
// ends its lines with CR alone.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}
