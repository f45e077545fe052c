package importer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// textEncoding is how a CSV file's bytes are text.
type textEncoding int

const (
	encUTF8 textEncoding = iota
	encUTF16LE
	encUTF16BE
	encWindows1252
)

func (e textEncoding) String() string {
	switch e {
	case encUTF16LE:
		return "UTF-16LE"
	case encUTF16BE:
		return "UTF-16BE"
	case encWindows1252:
		return "Windows-1252"
	}
	return "UTF-8"
}

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
	case "windows1252", "cp1252", "latin1", "iso88591", "ansi":
		return encWindows1252, false, nil
	}
	return 0, false, fmt.Errorf("--encoding %q: not an encoding contactbulk reads; use utf-8, utf-16 (Excel's \"Unicode text\") or windows-1252", s)
}

// sniffEncoding tells a file's encoding: a UTF-16 or UTF-8 byte order mark,
// else UTF-8 when every byte of the file is valid UTF-8, else Windows-1252
// (what Excel on Windows saves as plain "CSV").
func sniffEncoding(path string) (textEncoding, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, err
	}
	head := buf[:n]
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return encUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return encUTF16BE, nil
	}
	// Check the whole file, carrying an incomplete rune across reads.
	carry := 0
	for {
		chunk := buf[:carry+n]
		end := len(chunk)
		// Leave a rune cut by the buffer's end for the next read.
		for i := 1; i <= utf8.UTFMax && i <= end; i++ {
			if utf8.RuneStart(chunk[end-i]) {
				if !utf8.FullRune(chunk[end-i:]) {
					end -= i
				}
				break
			}
		}
		if !utf8.Valid(chunk[:end]) {
			return encWindows1252, nil
		}
		carry = copy(buf, chunk[end:])
		n, err = f.Read(buf[carry:])
		if err == io.EOF {
			if carry > 0 {
				return encWindows1252, nil
			}
			return encUTF8, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// decode returns r's text as UTF-8, without a byte order mark.
func decode(r io.Reader, enc textEncoding) io.Reader {
	switch enc {
	case encUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case encUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
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

// sniffDelimiter picks the delimiter of a CSV from its header line: the
// most frequent of , ; tab | outside quotes (comma when there is none).
func sniffDelimiter(r io.Reader) (rune, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	counts := map[rune]int{}
	quoted := false
	for read := 0; read < 1<<20; read++ {
		c, _, err := br.ReadRune()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			if len(counts) > 0 || read > 0 {
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
	return best, nil
}
