package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"contactbulk/exporter"
	"contactbulk/mapping"
	"contactbulk/safefile"
	"contactbulk/table"
)

// exportFlags are the flags of the export command.
type exportFlags struct {
	out, columns, orderBy, dir, format string
	typ, updatedSince, createdSince    string
	sinceLast                          string
	filters                            []string
	contract, coworker                 idFlag
	bom, numericEnums, raw, full, json bool
	overlap                            durationFlag
	pageSize                           countFlag
	logEvery                           durationFlag
	client                             clientFlags
	dirAsked                           func() bool // --dir was given
}

func (a *app) exportCommand() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export [flags]",
		Short: "Write every contract contact to CSV or XLSX",
		Long: `export writes the contract contacts of the space to CSV or XLSX, one row per
record, every field in the documented order with the API's field names as
headers, so that the file can be fed back to import. Pages are written as
they arrive: memory stays flat however many records there are.

The --out file's extension chooses the format: .xlsx a spreadsheet (every
text cell stored as text, so zeros and +44 survive and nothing runs as a
formula; the header row frozen), anything else CSV; --format csv|xlsx
chooses for stdout. The file is written under a temporary name
(.NAME.tmp-*) beside it, mode 0600, and renamed into place only when
complete: a failed or interrupted run leaves the previous file as it was.
A FIFO, a device or a descriptor (/dev/stdout) is written in place, never
replaced. Without --out the data goes to stdout and the summary to stderr;
--json prints the summary on stdout and so needs --out.

Records are listed by Id. A record deleted while the export pages can make
the next one move back a page; export checks the server's count at the
end, lists again to fetch what moved, and exits 1 if it still cannot show
the file complete. No Id is ever written twice. Records found again that
way are written at the end of the file (the summary counts them).

Export reads the server's ways from its answers: its dir convention (or
that it ignores dir, when the file comes in the order it gives, unless
--dir asked for the other: exit 2), the page size it serves (pages end at
an empty or short page, whatever TotalPages says), and pages it repeats (a
server that ignores page: exit 2, with the fix). contactbulk doctor shows
them.

--order-by another field pages in that order, where an edit can move a
record past the page being read; if anything moved, export lists again
by Id and appends what it missed, so the file is complete but those rows
are out of order. Sort the file afterwards if the order matters.

CSV cells a spreadsheet would run as a formula (starting with = + - @, tab
or carriage return, except numbers and phone numbers) get a leading '
unless --raw; import takes it off again.

Nightly runs: --since-last STATE exports only records updated (or, with
no UpdatedOn, created) since the last successful run recorded in STATE,
and updates STATE only when the export is complete. Nexudus may write the
space's local time with a Z, so the next run looks back --overlap before
the last start: the default (12h10m) covers spaces as far behind UTC as
UTC-12; spaces ahead of UTC need no more. Records updated within the
margin appear in two consecutive files; none is missed. Beside the file it
writes NAME.deleted.csv (the Ids the last run listed that are gone) and
NAME.manifest.json (count, SHA-256, filters, times, the state used). A
state from the future (a clock that ran ahead) is refused. See
samples/nightly-export.sh.

Exit codes: 0 done; 1 failed mid-way or could not be made consistent (the
previous file is kept); 2 bad flag, file, credentials or role, a server
that cannot be paged completely, a state from the future; 130 interrupted.`,
		Example: `  # everything, from the local sandbox
  contactbulk export --sandbox --out contacts.csv

  # one contract's directors, chosen columns, type as a number
  contactbulk export --contract 1001 --type Director --columns Id,FullName,Email,ContractContactType --numeric-enums

  # any documented filter, repeatable
  contactbulk export --filter ContractContact_Coworker_Active=true --filter from_ContractContact_CreatedOn=2025-01-01

  # the addresses and notes too, as a spreadsheet
  contactbulk export --full --out contacts.xlsx

  # CSV for Excel
  contactbulk export --full --bom --out contacts.csv

  # nightly: what changed since the last run
  contactbulk export --since-last ~/.local/state/contacts.state --out contacts-$(date +%F).csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("export takes no arguments (got %q): name the output file with --out", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("columns") && strings.Trim(f.columns, ", ") == "" {
				return usageErrorf("--columns %q names no column: list fields like Id,FullName,Email, or leave the flag out for all", f.columns)
			}
			return a.runExport(cmd.Context(), &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.out, "out", "", "write to this file, CSV or .xlsx (default stdout)")
	fs.BoolVar(&f.bom, "bom", false, "start the CSV with a UTF-8 byte order mark, for Excel")
	fs.StringVar(&f.columns, "columns", "", "comma-separated fields to write, in this order (default all)")
	fs.BoolVar(&f.numericEnums, "numeric-enums", false, "write ContractContactType as 0-3 instead of its name")
	fs.BoolVar(&f.raw, "raw", false, "leave CSV cells that start like a formula as they are")
	fs.BoolVar(&f.full, "full", false, "read Address, PostCode, CityName, State and Notes too (more requests)")
	fs.StringArrayVar(&f.filters, "filter", nil, "a documented filter or range filter, NAME=VALUE (repeatable)")
	fs.Var(&f.contract, "contract", "only this CoworkerContract Id")
	fs.Var(&f.coworker, "coworker", "only contacts linked to this Coworker Id")
	fs.StringVar(&f.typ, "type", "", "only this ContractContactType: None, Director, CompanyAlias, NominatedRecipient or 0-3")
	fs.StringVar(&f.updatedSince, "updated-since", "", "only records updated on or after TIME (2025-01-31 or 2025-01-31T08:00)")
	fs.StringVar(&f.createdSince, "created-since", "", "only records created on or after TIME (2025-01-31 or 2025-01-31T08:00)")
	fs.StringVar(&f.orderBy, "order-by", "Id", "order by this field (with another than Id, rows that moved while paging are appended at the end)")
	fs.StringVar(&f.dir, "dir", "asc", "order direction: asc or desc")
	fs.StringVar(&f.sinceLast, "since-last", "", "state file: export only what was updated since the last successful run, then record this one")
	f.overlap = durationFlag(exporter.DefaultOverlap)
	fs.Var(&f.overlap, "overlap", "with --since-last, how far before the last run's start to look, like 10m or 12h")
	f.pageSize = 1000
	fs.Var(&f.pageSize, "page-size", "records asked per page (the server may serve fewer)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON on stdout (needs --out)")
	f.logEvery = durationFlag(5 * time.Second)
	fs.Var(&f.logEvery, "log-every", "when stderr is not a terminal, a progress line this often, like 5s or 1m")
	fs.StringVar(&f.format, "format", "", "csv or xlsx (default: the --out file's extension, else csv)")
	f.client.register(cmd, false)
	f.dirAsked = func() bool { return cmd.Flags().Changed("dir") }
	return cmd
}

// options checks the flags and turns them into exporter options, without the
// --since-last filter. Every problem is a usage error (exit 2).
func (f *exportFlags) options() (exporter.Options, error) {
	opt := exporter.Options{
		BOM: f.bom, NumericEnums: f.numericEnums, Raw: f.raw, Full: f.full,
		PageSize: int(f.pageSize), Filters: url.Values{},
		DirectionAsked: f.dirAsked != nil && f.dirAsked(),
	}
	format, err := f.outputFormat()
	if err != nil {
		return opt, err
	}
	opt.Format = format
	if format == table.XLSX {
		switch {
		case f.bom:
			return opt, usageErrorf("--bom applies to CSV: an XLSX file needs no byte order mark")
		case f.raw:
			return opt, usageErrorf("--raw applies to CSV: an XLSX file stores every cell as text, so nothing runs as a formula")
		}
	}
	if f.columns != "" {
		cols, err := exporter.ParseColumns(f.columns)
		if err != nil {
			return opt, usageErrorf("--columns: %v", err)
		}
		opt.Columns = cols
	}
	orderBy, err := exporter.ParseOrderBy(f.orderBy)
	if err != nil {
		return opt, usageErrorf("--order-by: %v", err)
	}
	opt.OrderBy = orderBy
	switch strings.ToLower(strings.TrimSpace(f.dir)) {
	case "asc", "ascending":
	case "desc", "descending":
		opt.Descending = true
	default:
		return opt, usageErrorf("--dir %q: use asc or desc", f.dir)
	}
	for _, nv := range f.filters {
		if err := exporter.AddFilter(opt.Filters, nv); err != nil {
			return opt, usageErrorf("--filter: %v", err)
		}
	}
	add := func(flag, nameValue string) error {
		if err := exporter.AddFilter(opt.Filters, nameValue); err != nil {
			_, v, _ := strings.Cut(nameValue, "=")
			return usageErrorf("--%s %s: %v", flag, v, errors.Unwrap(err))
		}
		return nil
	}
	if f.contract > 0 {
		if err := add("contract", "ContractContact_CoworkerContract="+f.contract.String()); err != nil {
			return opt, err
		}
	}
	if f.coworker > 0 {
		if err := add("coworker", "ContractContact_Coworker="+f.coworker.String()); err != nil {
			return opt, err
		}
	}
	if f.typ != "" {
		t, err := mapping.ParseContactType(f.typ)
		if err != nil {
			return opt, usageErrorf("--type: %v", err)
		}
		if err := add("type", "ContractContact_ContractContactType="+strconv.Itoa(int(t))); err != nil {
			return opt, err
		}
	}
	for _, s := range []struct{ flag, value, filter string }{
		{"updated-since", f.updatedSince, "from_ContractContact_UpdatedOn"},
		{"created-since", f.createdSince, "from_ContractContact_CreatedOn"},
	} {
		if s.value == "" {
			continue
		}
		if _, err := exporter.ParseTime(s.value); err != nil {
			return opt, usageErrorf("--%s: %v", s.flag, err)
		}
		if err := add(s.flag, s.filter+"="+s.value); err != nil {
			return opt, err
		}
	}
	if f.sinceLast != "" {
		if opt.Filters.Has("from_ContractContact_UpdatedOn") {
			return opt, usageErrorf("--since-last chooses the updated-since time itself: drop --updated-since or the from_ContractContact_UpdatedOn filter")
		}
	}
	for name, values := range opt.Filters {
		if len(values) > 1 {
			return opt, usageErrorf("filter %s is given twice (%s): give it once", name, strings.Join(values, ", "))
		}
	}
	return opt, nil
}

// exportSummary is what export reports at the end (--json: README,
// "Export summary").
type exportSummary struct {
	exporter.Summary
	Seconds      float64 `json:"elapsed_seconds"`
	File         string  `json:"file,omitempty"`
	Format       string  `json:"format"`
	Since        string  `json:"updated_since,omitempty"`
	StateFile    string  `json:"state_file,omitempty"`
	DeletedFile  string  `json:"deleted_file,omitempty"`
	Deleted      *int    `json:"deleted,omitempty"`
	ManifestFile string  `json:"manifest_file,omitempty"`
	Error        string  `json:"error,omitempty"`
	Fix          string  `json:"fix,omitempty"`
}

// outputFormat chooses the format: the --out file's extension (.csv or
// .xlsx), else --format, else CSV.
func (f *exportFlags) outputFormat() (table.Format, error) {
	var asked *table.Format
	if f.format != "" {
		t, err := table.ParseFormat(f.format)
		if err != nil {
			return table.CSV, usageErrorf("--%v", err)
		}
		asked = &t
	}
	if f.out != "" {
		byExt, ok := table.FormatOf(f.out)
		if !ok {
			return table.CSV, usageErrorf("--out %s: export writes .csv or .xlsx files; name the file .xlsx for a spreadsheet", f.out)
		}
		if ext := strings.ToLower(filepath.Ext(f.out)); ext == ".csv" || ext == ".xlsx" {
			if asked != nil && *asked != byExt {
				return byExt, usageErrorf("--format %s does not match --out %s: name the file .%s, or leave out --format", *asked, f.out, *asked)
			}
			return byExt, nil
		}
	}
	if asked != nil {
		return *asked, nil
	}
	return table.CSV, nil
}

// exportRun is one export's files besides the data: the --since-last
// state, the Id set kept beside it, the deleted Ids and the manifest.
type exportRun struct {
	a        *app
	f        *exportFlags
	opt      exporter.Options
	state    exporter.State
	started  time.Time
	filters  string
	dest     *table.Dest
	hash     hash.Hash
	written  countingWriter
	prevIDs  *os.File
	nextIDs  *safefile.File
	deleted  *table.File
	diff     *exporter.IDDiff
	idsCount int
	gone     int
	notes    []string
	// committed: the export file is in place; sideDone: so are the files
	// beside it and the state (committed after it, the state last).
	committed, sideDone bool
}

// countingWriter counts the bytes written through it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// abort drops every file not committed yet.
func (r *exportRun) abort() {
	if r.dest != nil {
		r.dest.Abort()
	}
	if r.prevIDs != nil {
		r.prevIDs.Close()
	}
	if r.nextIDs != nil {
		r.nextIDs.Abort()
	}
	if r.deleted != nil {
		r.deleted.Abort()
	}
}

func (a *app) runExport(ctx context.Context, f *exportFlags) error {
	opt, err := f.options()
	if err != nil {
		return err
	}
	run := &exportRun{a: a, f: f, opt: opt, started: time.Now().UTC(), filters: opt.Filters.Encode()}
	defer run.abort()
	sum := exportSummary{File: f.out, StateFile: f.sinceLast, Format: opt.Format.String()}
	if f.json && f.out == "" {
		return usageErrorf("--json prints the summary on stdout, which carries the %s without --out: name the file with --out", opt.Format)
	}
	if f.sinceLast != "" {
		if run.state, err = exporter.LoadState(f.sinceLast); err != nil {
			return usageErrorf("--since-last: %v", err)
		}
		if f.out == "" {
			return usageErrorf("--since-last writes the deleted Ids and a manifest beside the file: name it with --out")
		}
		if err := run.state.CheckClock(run.started); err != nil {
			return usageErrorf("--since-last %s: %v", f.sinceLast, err)
		}
		sum.Since = run.state.Since(time.Duration(f.overlap))
		run.opt.Since = run.state.From(time.Duration(f.overlap))
	}
	if opt.Format == table.XLSX && f.out == "" && a.isTerminal(a.stdout) {
		return usageErrorf("an XLSX file is not for a terminal: name the file with --out, or pipe stdout to one")
	}

	client, closeClient, err := a.connect(ctx, &f.client)
	if err != nil {
		return err
	}
	defer closeClient()

	var w io.Writer = a.stdout
	report := a.stderr // the summary: stdout carries only the data without --out
	if f.out != "" {
		if run.dest, err = table.OpenDest(f.out); err != nil {
			return usageErrorf("--out %s: %v", f.out, err)
		}
		report = a.stdout
		if run.dest.Direct() && sameFile(run.dest, a.stdout) {
			if f.json {
				return usageErrorf("--out %s is stdout, where --json prints the summary: name a file", f.out)
			}
			report = a.stderr
		}
		if f.sinceLast != "" {
			if run.dest.Direct() {
				return usageErrorf("--since-last writes the deleted Ids and a manifest beside the file: --out %s must name a file, not a pipe or device", f.out)
			}
			if err := run.openSideFiles(); err != nil {
				return err
			}
		}
		w = run.dest
		if f.sinceLast != "" {
			run.hash = sha256.New()
			w = io.MultiWriter(run.dest, run.hash, &run.written)
		}
	}

	prog := a.exportProgress(time.Duration(f.logEvery))
	run.opt.Progress = prog.update
	sum.Summary, err = exporter.Run(ctx, client, w, run.opt)
	prog.finish()
	sum.Seconds = sum.Elapsed.Seconds()
	sum.Notes = append(sum.Notes, run.notes...)
	if err == nil && f.sinceLast != "" {
		err = run.finishSideFiles(&sum)
	}
	if err == nil && run.dest != nil {
		err = run.dest.Commit()
		run.committed = err == nil
	}
	if err == nil && f.sinceLast != "" {
		err = run.commitSideFiles(&sum)
		run.sideDone = err == nil
	}
	var se *exporter.ServerError
	if err != nil {
		sum.Error = err.Error()
		if errors.As(err, &se) {
			sum.Fix = se.Fix
		}
		if run.dest != nil && !run.dest.Direct() && !run.committed {
			sum.File = "" // the previous file, if any, is untouched
		}
	}
	for _, n := range sum.Notes {
		fmt.Fprintln(a.stderr, "contactbulk: export: note: "+n)
	}
	if werr := a.writeExportSummary(report, sum, f.json); werr != nil && err == nil {
		err = werr
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return interrupted(fmt.Errorf("export interrupted; %s", run.kept()))
	case errors.As(err, &se):
		return usageErrorf("export: %v; fix: %s; %s", se, se.Fix, run.kept())
	case errors.Is(err, exporter.ErrInconsistent):
		return &exitError{code: exitRowsFailed, err: fmt.Errorf("%w; %s; run it again when the data is quieter", err, run.kept())}
	}
	if f.out != "" {
		return fmt.Errorf("export: %w; %s", err, run.kept())
	}
	return fmt.Errorf("export: %w", err)
}

// sameFile reports whether d writes to the file w is (stdout, in place).
func sameFile(d *table.Dest, w io.Writer) bool {
	out, ok := w.(*os.File)
	if !ok {
		return false
	}
	a, err := d.Stat()
	if err != nil {
		return false
	}
	b, err := out.Stat()
	return err == nil && os.SameFile(a, b)
}

// sidePath names a file beside the export: contacts.csv -> contacts.SUFFIX.
func sidePath(out, suffix string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + "." + suffix
}

// openSideFiles starts the deleted-Ids file and the new Id set, and opens
// the Id set the last run kept, when its filters are those of this run.
func (r *exportRun) openSideFiles() error {
	f := r.f
	var err error
	if r.nextIDs, err = safefile.Create(exporter.IDSetPath(f.sinceLast)); err != nil {
		return usageErrorf("--since-last %s: %v", f.sinceLast, err)
	}
	deletedPath := sidePath(f.out, "deleted.csv")
	if r.deleted, err = table.Create(deletedPath, []string{"Id"}, table.Options{BOM: f.bom}); err != nil {
		return usageErrorf("--out %s: the deleted Ids beside it: %v", f.out, err)
	}
	var prev io.Reader
	switch {
	case r.state.LastStart.IsZero(): // the first run: nothing to compare with
	case r.state.Filters != r.filters:
		r.note("the filters differ from the last run's (%q, now %q): deleted records are not listed this run", r.state.Filters, r.filters)
	default:
		file, err := os.Open(exporter.IDSetPath(f.sinceLast))
		if errors.Is(err, fs.ErrNotExist) {
			r.note("no Id set beside %s (kept since contactbulk lists deleted records): they are listed from the next run on", f.sinceLast)
			break
		}
		if err != nil {
			return usageErrorf("--since-last %s: the Id set beside it: %v; remove both to export everything once", f.sinceLast, err)
		}
		r.prevIDs, prev = file, file
	}
	r.diff = exporter.NewIDDiff(prev, r.nextIDs, func(id int64) error {
		return r.deleted.Write([]string{strconv.FormatInt(id, 10)})
	})
	r.opt.IDs = r.diff.Add
	return nil
}

// note keeps a note for stderr, the summary and the manifest.
func (r *exportRun) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// finishSideFiles completes the Id comparison.
func (r *exportRun) finishSideFiles(sum *exportSummary) error {
	var err error
	if r.idsCount, r.gone, err = r.diff.Close(); err != nil {
		if errors.Is(err, exporter.ErrBadIDSet) {
			return fmt.Errorf("the Id set %s: %w; remove it and the state file to export everything once", exporter.IDSetPath(r.f.sinceLast), err)
		}
		return err
	}
	if r.prevIDs != nil {
		sum.Deleted = &r.gone
	}
	return nil
}

// commitSideFiles puts the deleted Ids and the manifest beside the export,
// then the Id set and the state: the state last, so that a run that
// stops before it is done again.
func (r *exportRun) commitSideFiles(sum *exportSummary) error {
	f := r.f
	if err := r.deleted.Commit(); err != nil {
		return fmt.Errorf("deleted Ids: %w", err)
	}
	sum.DeletedFile = sidePath(f.out, "deleted.csv")
	end := time.Now().UTC()
	m := exportManifest{
		File: f.out, Format: r.opt.Format.String(), Records: sum.Records, Bytes: r.written.n,
		SHA256: hex.EncodeToString(r.hash.Sum(nil)), Filters: map[string]string{},
		UpdatedSince: sum.Since, StartedAt: r.started, FinishedAt: end,
		State:       manifestState{File: f.sinceLast, LastStart: r.state.LastStart, LastSuccess: r.state.LastSuccess, UpdatedFrom: r.state.UpdatedFrom},
		DeletedFile: sum.DeletedFile, Deleted: sum.Deleted, Listed: r.idsCount, Notes: sum.Notes, Version: version(),
	}
	for k, v := range r.opt.Filters {
		m.Filters[k] = strings.Join(v, ",")
	}
	for _, c := range r.opt.Columns {
		m.Columns = append(m.Columns, c.Name)
	}
	if m.Columns == nil {
		m.Columns = exporter.ColumnNames(exporter.Columns())
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	manifest := sidePath(f.out, "manifest.json")
	if err := safefile.WriteFile(manifest, append(data, '\n')); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	sum.ManifestFile = manifest
	if err := r.nextIDs.Commit(); err != nil {
		return fmt.Errorf("the Id set: %w", err)
	}
	next := r.state.Next(r.started, end, sum.Records, sum.Since, r.idsCount, r.filters)
	if err := exporter.SaveState(f.sinceLast, next); err != nil {
		return fmt.Errorf("the state: %w", err)
	}
	return nil
}

// exportManifest describes one --since-last export for auditors
// (README, "Nightly exports").
type exportManifest struct {
	File         string            `json:"file"`
	Format       string            `json:"format"`
	Records      int               `json:"records"`
	Bytes        int64             `json:"bytes"`
	SHA256       string            `json:"sha256"`
	Columns      []string          `json:"columns"`
	Filters      map[string]string `json:"filters"`
	UpdatedSince string            `json:"updated_since,omitempty"`
	StartedAt    time.Time         `json:"started_at"`
	FinishedAt   time.Time         `json:"finished_at"`
	State        manifestState     `json:"state"`
	DeletedFile  string            `json:"deleted_file"`
	Deleted      *int              `json:"deleted"` // null when there was no earlier Id set to compare with
	Listed       int               `json:"listed"`
	Notes        []string          `json:"notes,omitempty"`
	Version      string            `json:"contactbulk_version"`
}

// manifestState is the state a --since-last run started from.
type manifestState struct {
	File        string    `json:"file"`
	LastStart   time.Time `json:"last_start,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	UpdatedFrom string    `json:"updated_from,omitempty"`
}

// kept says what became of the output file after a failed run.
func (r *exportRun) kept() string {
	switch {
	case r.committed && r.f.sinceLast != "" && !r.sideDone:
		return r.f.out + " is in place and complete, but the files beside it were not all written and the --since-last state was not advanced: fix that and run the export again, which exports these records again"
	case r.committed:
		return r.f.out + " is in place and complete"
	case r.f.out == "":
		return "the data on stdout is incomplete"
	case r.dest != nil && r.dest.Direct():
		return "what was written to " + r.f.out + " is incomplete"
	}
	return r.f.out + " was left as it was"
}

func (a *app) writeExportSummary(w io.Writer, sum exportSummary, asJSON bool) error {
	if asJSON {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return fmt.Errorf("summary: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if sum.Error != "" {
		if sum.Records > 0 {
			_, err := fmt.Fprintf(w, "stopped after %s (%s) in %s\n", count(sum.Records, "record"), count(sum.Pages, "page"), sum.Elapsed.Round(time.Millisecond))
			return err
		}
		return nil // the error says it all
	}
	to := "stdout"
	if sum.File != "" {
		to = sum.File
	}
	line := fmt.Sprintf("exported %s (%s", count(sum.Records, "record"), count(sum.Pages, "page"))
	if sum.Passes > 1 {
		line += fmt.Sprintf(", %d passes, %d found again after they moved, written at the end", sum.Passes, sum.Repaired)
	}
	line += fmt.Sprintf(") to %s in %s", to, sum.Elapsed.Round(time.Millisecond))
	if sum.Vanished > 0 {
		line += fmt.Sprintf("; %s deleted before its full read, left out", count(sum.Vanished, "record"))
	}
	if sum.Since != "" {
		line += "; updated since " + sum.Since
	} else if sum.StateFile != "" {
		line += "; first run of " + sum.StateFile + ", so everything"
	}
	if sum.Deleted != nil {
		line += fmt.Sprintf("; %s deleted since the last run, listed in %s", count(*sum.Deleted, "record"), sum.DeletedFile)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// exportProgress shows progress on stderr: a bar on a terminal, else a line
// every so often.
type exportProgress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	every    time.Duration
	last     time.Time
	bar      *progressbar.ProgressBar
}

func (a *app) exportProgress(every time.Duration) *exportProgress {
	return &exportProgress{w: a.stderr, terminal: a.isTerminal(a.stderr), every: every}
}

func (p *exportProgress) update(pr exporter.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(pr.Total,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription("exporting"),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		// The bar follows the listing: with --since-last it lists every
		// record and writes only those that changed.
		done := max(pr.Records, pr.Listed)
		if pr.Total > done {
			p.bar.ChangeMax(pr.Total)
		}
		p.bar.Set(done)
		return
	}
	if now := time.Now(); p.last.IsZero() || now.Sub(p.last) >= p.every {
		p.last = now
		line := fmt.Sprintf("contactbulk: export: %d of %s, %s", pr.Records, count(pr.Total, "record"), count(pr.Pages, "page"))
		if pr.Listed > pr.Records {
			line = fmt.Sprintf("contactbulk: export: %d of %s listed, %d written, %s", pr.Listed, count(pr.Total, "record"), pr.Records, count(pr.Pages, "page"))
		}
		if pr.Pass > 1 {
			line += fmt.Sprintf(" (pass %d, fetching what moved)", pr.Pass)
		}
		fmt.Fprintln(p.w, line)
	}
}

func (p *exportProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}

// count writes n and noun, plural unless n is 1: "1 page", "3 pages".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// idFlag is a flag holding a record Id: a whole number of at least 1.
type idFlag int64

func (v *idFlag) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *idFlag) Type() string   { return "ID" }
func (v *idFlag) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 1 {
		return errors.New("want a positive Id, a whole number such as 1001")
	}
	*v = idFlag(n)
	return nil
}

// countFlag is a flag holding a whole number of at least 1.
type countFlag int

func (v *countFlag) String() string { return strconv.Itoa(int(*v)) }
func (v *countFlag) Type() string   { return "N" }
func (v *countFlag) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return errors.New("want a whole number of at least 1")
	}
	*v = countFlag(n)
	return nil
}

// durationFlag is a flag holding a duration that is not negative.
type durationFlag time.Duration

func (v *durationFlag) String() string { return time.Duration(*v).String() }
func (v *durationFlag) Type() string   { return "DURATION" }
func (v *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return errors.New("want a duration such as 30s, 10m or 12h")
	}
	*v = durationFlag(d)
	return nil
}
