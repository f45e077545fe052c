package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"contactbulk/mapping"
)

// ReadOptions says how to read and map an input file.
type ReadOptions struct {
	Encoding   string          // "" sniff (BOM, UTF-8 validity -> Windows-1252); "utf-8", "utf-16", "windows-1252"
	Delimiter  rune            // 0 sniff among , ; tab |
	Sheet      string          // .xlsx sheet name, "" first sheet
	DateFormat string          // resolves ambiguous dates: "DMY" (31/12/1990) or "MDY" (12/31/1990); "" refuses them
	Mapping    mapping.Mapping // explicit column->field and constant fields (from --mapping FILE, --map, --set)
	Today      time.Time       // dates after this day are refused; zero means the current day
}

// Input is an opened input file (a path, or "-" spooled from stdin into a
// 0600 temp file), readable in several passes: validate everything first,
// then import.
type Input struct {
	name  string // for messages
	path  string // the file read
	spool bool   // path is a temp file holding stdin
	xlsx  bool
	enc   textEncoding
	delim rune
	sheet string
	order mapping.DateOrder
	opt   ReadOptions
	today time.Time
}

// ErrInput marks an input that cannot be read as asked: a missing or
// unreadable file, a bad option, a header that does not map. The command
// reports it as something the user must fix.
var ErrInput = errors.New("input")

// inputError wraps err as an ErrInput.
type inputError struct{ err error }

func (e *inputError) Error() string          { return e.err.Error() }
func (e *inputError) Unwrap() []error        { return []error{ErrInput, e.err} }
func badInput(format string, a ...any) error { return &inputError{fmt.Errorf(format, a...)} }

// Open opens an input file (path "-" reads stdin to the end first), tells
// its format, encoding and delimiter, and checks its header against the
// mapping. Its errors satisfy errors.Is(err, ErrInput).
func Open(path string, stdin io.Reader, opt ReadOptions) (*Input, error) {
	in := &Input{name: path, path: path, opt: opt, delim: opt.Delimiter, today: opt.Today}
	if in.today.IsZero() {
		in.today = time.Now()
	}
	order, err := mapping.ParseDateOrder(opt.DateFormat)
	if err != nil {
		return nil, badInput("%w", err)
	}
	in.order = order
	enc, sniff, err := parseEncoding(opt.Encoding)
	if err != nil {
		return nil, badInput("%w", err)
	}
	if path == "-" {
		in.name = "stdin"
		if err := in.spoolStdin(stdin); err != nil {
			return nil, err
		}
	} else if st, err := os.Stat(path); err != nil {
		return nil, badInput("read %s: %w", path, errors.Unwrap(err))
	} else if st.IsDir() {
		return nil, badInput("read %s: is a folder; give a .csv or .xlsx file", path)
	}
	ok := false
	defer func() {
		if !ok {
			in.Close()
		}
	}()
	isZip, err := hasZipMagic(in.path)
	if err != nil {
		return nil, badInput("read %s: %w", in.name, err)
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case isZip || ext == ".xlsx" || ext == ".xlsm":
		in.xlsx = true
		if opt.Encoding != "" || opt.Delimiter != 0 {
			return nil, badInput("%s is a spreadsheet (.xlsx): --encoding and --delimiter apply to CSV files only", in.name)
		}
	case ext == ".xls":
		return nil, badInput("%s is an old Excel .xls file: save it as .xlsx or CSV and import that", in.name)
	case opt.Sheet != "":
		return nil, badInput("--sheet applies to .xlsx files; %s is read as CSV", in.name)
	}
	if !in.xlsx {
		in.enc = enc
		if sniff {
			if in.enc, err = sniffEncoding(in.path); err != nil {
				return nil, badInput("read %s: %w", in.name, err)
			}
		}
		if in.delim == 0 {
			f, err := os.Open(in.path)
			if err != nil {
				return nil, badInput("read %s: %w", in.name, err)
			}
			in.delim, err = sniffDelimiter(decode(f, in.enc))
			f.Close()
			if err != nil {
				return nil, badInput("read %s: %w", in.name, err)
			}
		}
	}
	// Read the header now: a header that does not map stops here.
	src, err := in.Rows()
	if err != nil {
		return nil, err
	}
	src.Close()
	ok = true
	return in, nil
}

// spoolStdin copies stdin to a 0600 temp file, so it can be read in passes.
func (in *Input) spoolStdin(stdin io.Reader) error {
	if stdin == nil {
		return badInput("no standard input to read")
	}
	f, err := os.CreateTemp("", "contactbulk-stdin-*")
	if err != nil {
		return fmt.Errorf("spool stdin: %w", err)
	}
	in.path, in.spool = f.Name(), true
	if _, err := io.Copy(f, stdin); err != nil {
		f.Close()
		return fmt.Errorf("spool stdin: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool stdin: %w", err)
	}
	return nil
}

func hasZipMagic(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var b [4]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, err
	}
	return bytes.Equal(b[:n], []byte("PK\x03\x04")), nil
}

// Name returns the input's name for messages: the path, or "stdin".
func (in *Input) Name() string { return in.name }

// Path returns the file read: the path given, or the stdin spool.
func (in *Input) Path() string { return in.path }

// Close removes the stdin spool, if any.
func (in *Input) Close() error {
	if in.spool {
		in.spool = false
		if err := os.Remove(in.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stdin spool: %w", err)
		}
	}
	return nil
}
