package table

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"contactbulk/mapping"
)

// Encoding is the character encoding of a CSV file.
type Encoding int

// The encodings. Windows-1252 and UTF-16LE are what Excel writes for
// "CSV" and "Unicode Text" on Western systems: a file that came in so goes
// out so, and Excel opens it the same way.
const (
	UTF8 Encoding = iota
	Windows1252
	UTF16LE
)

func (e Encoding) String() string {
	switch e {
	case Windows1252:
		return "windows-1252"
	case UTF16LE:
		return "utf-16le"
	}
	return "utf-8"
}

// csvWriter writes CSV through a buffer, encoding on the way out.
type csvWriter struct {
	bw  *bufio.Writer
	enc *transform.Writer // nil for UTF-8
	cw  *csv.Writer
	raw bool
	// check, for a single-byte encoding, refuses a cell it cannot hold
	// rather than let it become '?'.
	check *encoding.Encoder
	rec   []string
}

func newCSV(w io.Writer, opt Options) (*csvWriter, error) {
	c := &csvWriter{raw: opt.Raw}
	out := w
	var bom []byte
	switch opt.Encoding {
	case UTF8:
		if opt.BOM {
			bom = []byte("\uFEFF")
		}
	case Windows1252:
		if opt.BOM {
			return nil, fmt.Errorf("windows-1252 has no byte order mark")
		}
		c.enc = transform.NewWriter(w, charmap.Windows1252.NewEncoder())
		c.check = charmap.Windows1252.NewEncoder()
		out = c.enc
	case UTF16LE:
		// Excel recognises UTF-16 only by its mark, so it is always written.
		c.enc = transform.NewWriter(w, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder())
		out = c.enc
	default:
		return nil, fmt.Errorf("unknown encoding %d", opt.Encoding)
	}
	c.bw = bufio.NewWriterSize(out, 64<<10)
	if bom != nil {
		c.bw.Write(bom) // into the empty buffer: cannot fail
	}
	c.cw = csv.NewWriter(c.bw)
	if opt.Comma != 0 {
		if opt.Comma == '"' || opt.Comma == '\r' || opt.Comma == '\n' || opt.Comma == utf8.RuneError {
			return nil, fmt.Errorf("separator %q cannot be used in CSV", opt.Comma)
		}
		c.cw.Comma = opt.Comma
	}
	c.cw.UseCRLF = opt.CRLF
	return c, nil
}

func (c *csvWriter) write(_ int, cells []string, _ []Mark) error {
	c.rec = append(c.rec[:0], cells...)
	for i, v := range c.rec {
		if !c.raw {
			v = mapping.Quote(v)
			c.rec[i] = v
		}
		if c.check != nil {
			if _, err := c.check.String(v); err != nil {
				return &cellError{col: i, err: fmt.Errorf("%q %w", v, ErrNotEncodable)}
			}
		}
	}
	if err := c.cw.Write(c.rec); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func (c *csvWriter) flush() error {
	c.cw.Flush()
	err := c.cw.Error()
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func (c *csvWriter) close(commit bool) error {
	if !commit {
		return nil
	}
	if err := c.flush(); err != nil {
		return err
	}
	if c.enc != nil {
		// The encoder may hold the end of a character.
		if err := c.enc.Close(); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	return nil
}
