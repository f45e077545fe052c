package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"contactbulk/mapping"
)

// ReadOptions says how to read and map an input file.
type ReadOptions struct {
	Encoding   string          // "" sniff (BOM, UTF-16/32 patterns, UTF-8 or Windows-1252 by the whole file); "utf-8", "utf-16", "utf-32", "windows-1252"
	Delimiter  rune            // 0: a first line "sep=;" or sniffed among , ; tab |
	Sheet      string          // .xlsx sheet name, "" the first visible sheet
	DateFormat string          // resolves ambiguous dates: "DMY" (31/12/1990) or "MDY" (12/31/1990); "" infers it from the column's own dates, else refuses them
	Mapping    mapping.Mapping // explicit column->field and constant fields (from --mapping FILE, --map, --set)
	Today      time.Time       // dates after this day are refused; zero means the current day
	// Raw reads the file's records as they are, header included, with no
	// header mapping or validation: a results file read back (Records).
	Raw bool
}

// Input is an opened input file, readable in several passes: validate
// everything first, then import. What cannot be read twice (stdin, a
// named pipe, a device, <(...)) is read once into a 0600 temp file.
type Input struct {
	name  string // for messages
	path  string // the file read
	spool bool   // path is a temp file holding what could be read once only
	xlsx  bool
	enc   textEncoding
	delim rune
	sniff bool // the encoding is UTF-8 or Windows-1252, which the survey decides
	sep   bool // the text starts with Excel's "sep=;" line: skip it
	skip  int  // bytes before the header: a byte order mark and the "sep=" line (UTF-8 and Windows-1252)
	bom   bool // the file starts with a byte order mark
	crlf  bool // lines end with CR LF
	cr    bool // lines end with a bare CR (Excel for Mac)
	sheet string
	order mapping.DateOrder
	why   string // why order was inferred from the file; "" when given or unknown
	notes []string
	found survey
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

// Open is OpenContext with a context that never ends.
func Open(path string, stdin io.Reader, opt ReadOptions) (*Input, error) {
	return OpenContext(context.Background(), path, stdin, opt)
}

// OpenContext opens an input file (path "-" reads stdin), tells its
// format, encoding and delimiter, surveys it, and checks its header
// against the mapping. Input that cannot be read twice is read once into
// a spool. Its errors satisfy errors.Is(err, ErrInput), except when ctx
// ends first: then they wrap ctx.Err().
func OpenContext(ctx context.Context, path string, stdin io.Reader, opt ReadOptions) (*Input, error) {
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
	ok := false
	defer func() {
		if !ok {
			in.Close()
		}
	}()
	if err := in.readOnce(ctx, stdin); err != nil {
		return nil, err
	}
	head, err := readHead(in.path)
	if err != nil {
		return nil, badInput("read %s: %w", in.name, err)
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case ext == ".ods" || ext == ".fods" || hasZipMagic(head) && isODS(in.path):
		return nil, badInput("%s is a LibreOffice .ods file, which contactbulk does not read: in LibreOffice choose File > Save As > Excel 2007-365 (.xlsx) and import that", in.name)
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, badInput("%s is an old Excel .xls file or a password-protected workbook: save it as .xlsx (without a password) or CSV UTF-8 and import that", in.name)
	case hasZipMagic(head) || ext == ".xlsx" || ext == ".xlsm":
		in.xlsx = true
		if opt.Encoding != "" || opt.Delimiter != 0 {
			return nil, badInput("%s is a spreadsheet (.xlsx): --encoding and --delimiter apply to CSV files only", in.name)
		}
		if err := in.openBook(ctx); err != nil {
			return nil, err
		}
	case ext == ".xls":
		return nil, badInput("%s is an old Excel .xls file: save it as .xlsx or CSV and import that", in.name)
	case opt.Sheet != "":
		return nil, badInput("--sheet applies to .xlsx files; %s is read as CSV", in.name)
	default:
		if err := in.sniffCSV(head, enc, sniff); err != nil {
			return nil, err
		}
	}
	// Read the header now, within maxRecord bytes: a header that does not
	// map stops here.
	src, err := in.header(maxRecord)
	if err != nil {
		return nil, err
	}
	dateCol := src.dateCol
	src.Close()
	switch {
	case !in.xlsx:
		err = in.surveyCSV(ctx, dateCol)
	case dateCol >= 0 && opt.DateFormat == "":
		err = in.surveyBook(ctx, dateCol)
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return in, nil
}

// readOnce spools what cannot be read twice: stdin, and any path that is
// not a regular file (a named pipe, a device, /dev/stdin, <(...)).
func (in *Input) readOnce(ctx context.Context, stdin io.Reader) error {
	if in.path == "-" {
		in.name = "stdin"
		if stdin == nil {
			return badInput("no standard input to read")
		}
		if err := in.spoolFrom(ctx, stdin); err != nil {
			return in.readError(err)
		}
		return nil
	}
	st, err := os.Stat(in.path)
	switch {
	case err != nil:
		return badInput("read %s: %w", in.path, errors.Unwrap(err))
	case st.IsDir():
		return badInput("read %s: is a folder; give a .csv or .xlsx file", in.path)
	case st.Mode().IsRegular():
		return nil
	}
	f, err := openContext(ctx, in.path)
	if err != nil {
		return in.readError(err)
	}
	defer f.Close()
	// Closing the file ends a read blocked on a pipe when ctx ends.
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	if err := in.spoolFrom(ctx, f); err != nil {
		return in.readError(err)
	}
	return nil
}

// readError words an error reading the input: ctx's end as it is, the
// rest as ErrInput.
func (in *Input) readError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("read %s: %w", in.name, err)
	}
	return badInput("read %s: %w", in.name, err)
}

// readHead returns the first headSize bytes of the file.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, headSize)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return head[:n], nil
}

// sniffCSV tells a CSV's encoding, line ends and delimiter from its head.
// Between UTF-8 and Windows-1252 it guesses from the head; the survey of
// the whole file decides.
func (in *Input) sniffCSV(head []byte, enc textEncoding, sniff bool) error {
	henc, known, err := sniffHead(head)
	in.bom = hasBOM(head)
	wide := enc != encUTF8 && enc != encWindows1252
	if err != nil && (sniff || !wide) {
		return badInput("read %s: %s", in.name, err)
	}
	in.enc = enc
	if sniff {
		in.enc, in.sniff = henc, !known
		if in.sniff && !utf8.Valid(head[:max(0, len(head)-utf8.UTFMax)]) {
			in.enc = encWindows1252
		}
	}
	text, _ := io.ReadAll(decode(bytes.NewReader(head), in.enc))
	if in.cr = crOnly(text); in.cr {
		text = bytes.ReplaceAll(text, []byte{'\r'}, []byte{'\n'})
		in.notes = append(in.notes, "lines end with a bare CR (Excel for Mac): read as lines")
	}
	if in.bom && in.enc == encUTF8 {
		in.skip = 3
	}
	if d, n := sepLine(text); n > 0 {
		in.sep, text = true, text[n:]
		in.skip += n
		if in.delim == 0 {
			in.delim = d
		}
		in.notes = append(in.notes, fmt.Sprintf("the first line %q is Excel's delimiter hint: skipped", fmt.Sprintf("sep=%c", d)))
	}
	if in.delim == 0 {
		in.delim = sniffDelimiter(text)
	}
	if nl := bytes.IndexByte(text, '\n'); nl > 0 && !in.cr {
		in.crlf = text[nl-1] == '\r'
	}
	return nil
}

// surveyCSV reads the whole text once, quickly: it decides between UTF-8
// and Windows-1252, bounds lines and rows, counts the rows and infers the
// order of the dates in column dateCol (-1: none).
func (in *Input) surveyCSV(ctx context.Context, dateCol int) error {
	var err error
	if in.found, err = in.scan(ctx, dateCol); err != nil {
		return in.readError(err)
	}
	if in.sniff {
		in.enc = in.found.utf8.encoding()
	}
	switch {
	case in.enc == encWindows1252 && in.sniff:
		in.notes = append(in.notes, fmt.Sprintf("read as Windows-1252 text: the file is not UTF-8 (row %d has the byte 0x%02X, which UTF-8 cannot hold)", in.found.utf8.badRow, in.found.utf8.badByte))
	case in.enc != encUTF8:
		in.notes = append(in.notes, "read as "+in.enc.String()+" text")
	case in.found.utf8.bad > 0:
		in.notes = append(in.notes, fmt.Sprintf("read as UTF-8 text; %s not UTF-8 (the first on row %d): the cells that hold them are reported", plural(int(in.found.utf8.bad), "byte is", "bytes are"), in.found.utf8.badRow))
	}
	if dateCol >= 0 && in.opt.DateFormat == "" {
		in.inferDates(in.found.dates)
	}
	return nil
}

// scan surveys the text: a big file whose bytes are its text (UTF-8 or
// Windows-1252 with line feeds) in two halves at once, others in one go.
func (in *Input) scan(ctx context.Context, dateCol int) (survey, error) {
	if (in.enc == encUTF8 || in.enc == encWindows1252) && !in.cr {
		f, err := os.Open(in.path)
		if err != nil {
			return survey{}, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return survey{}, err
		}
		if st.Size() >= 16<<20 {
			return scanHalves(ctx, f, int64(in.skip), st.Size(), in.delim, dateCol)
		}
	}
	r, closeText, err := in.text(0)
	if err != nil {
		return survey{}, err
	}
	defer closeText()
	return scanCSV(ctx, r, in.delim, dateCol, false)
}

// text opens the file's text for a pass: decoded for UTF-16 and UTF-32
// (UTF-8 and Windows-1252 bytes are passed as they are: their ASCII is
// the same), the byte order mark dropped, bare CRs made line feeds and
// the "sep=" line skipped. limit > 0 ends the text after that many bytes.
func (in *Input) text(limit int64) (io.Reader, func() error, error) {
	f, err := os.Open(in.path)
	if err != nil {
		return nil, nil, err
	}
	var raw io.Reader = &lineLimit{r: f}
	if limit > 0 {
		raw = io.LimitReader(raw, limit)
	}
	enc := in.enc
	if enc == encWindows1252 {
		enc = encUTF8
	}
	r := decode(raw, enc)
	if in.cr {
		r = crToLF{r}
	}
	if in.sep {
		r = skipLine(r)
	}
	return r, f.Close, nil
}

// inferDates infers the order of day and month in the date column from
// its own unambiguous dates p, when --date-format does not say it: when
// the dates of one order are four times as many as the other's, or more
// (the others are then reported as contradicting it).
func (in *Input) inferDates(p dateProofs) {
	words := "day/month"
	switch {
	case p.dayFirst > 0 && p.monthFirst*4 <= p.dayFirst:
		in.order = mapping.DayFirst
		in.why = fmt.Sprintf("as %s such as %q on row %d show", plural(p.dayFirst, "date", "dates"), p.dayExample, p.dayRow)
	case p.monthFirst > 0 && p.dayFirst*4 <= p.monthFirst:
		in.order, words = mapping.MonthFirst, "month/day"
		in.why = fmt.Sprintf("as %s such as %q on row %d show", plural(p.monthFirst, "date", "dates"), p.monthExample, p.monthRow)
	case p.dayFirst > 0 && p.monthFirst > 0:
		in.notes = append(in.notes, fmt.Sprintf("DateOfBirth mixes day/month dates (%q on row %d) and month/day dates (%q on row %d): dates like 03/04/1990 are refused; say which order with --date-format DMY or MDY",
			p.dayExample, p.dayRow, p.monthExample, p.monthRow))
		return
	default:
		return
	}
	in.notes = append(in.notes, fmt.Sprintf("DateOfBirth: dates like 03/04/1990 are read %s, %s (say otherwise with --date-format)", words, in.why))
}

// lineLimit passes a file's bytes on, and stops with an error at a line
// longer than maxLine: what is not a CSV is not read whole into a row.
type lineLimit struct {
	r   io.Reader
	run int // bytes since the last line end
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if i := bytes.LastIndexAny(p[:n], "\r\n"); i >= 0 {
		l.run = n - 1 - i
	} else {
		l.run += n
	}
	if l.run > maxLine {
		return n, fmt.Errorf("a line runs on for more than %d MiB without a line end: this is not a CSV file", maxLine>>20)
	}
	return n, err
}

// skipLine returns r without its first line.
func skipLine(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	br.ReadString('\n')
	return br
}

// Shape says how an input file was written, so that a file written back
// for it (the results file) can be written the same way and open in
// Excel as it did.
type Shape struct {
	XLSX      bool   // a workbook
	Sheet     string // the sheet read (XLSX)
	Encoding  string // CSV: utf-8, utf-16le, utf-16be, utf-32le, utf-32be or windows-1252
	BOM       bool   // CSV: the file began with a byte order mark
	Delimiter rune   // CSV
	CRLF      bool   // CSV: its lines end with CR LF
}

// Shape returns how the input was written.
func (in *Input) Shape() Shape {
	if in.xlsx {
		return Shape{XLSX: true, Sheet: in.sheet}
	}
	return Shape{Encoding: strings.ToLower(in.enc.String()), BOM: in.bom, Delimiter: in.delim, CRLF: in.crlf}
}

// Name returns the input's name for messages: the path, or "stdin".
func (in *Input) Name() string { return in.name }

// Path returns the file read: the path given, or the spool of what could
// be read once only.
func (in *Input) Path() string { return in.path }

// Close removes the spool, if any.
func (in *Input) Close() error {
	if in.spool {
		in.spool = false
		if err := os.Remove(in.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove spool: %w", err)
		}
	}
	return nil
}
