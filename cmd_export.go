package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"contactbulk/exporter"
	"contactbulk/mapping"
	"contactbulk/safefile"
)

// exportFlags are the flags of the export command.
type exportFlags struct {
	out, columns, orderBy, dir         string
	typ, updatedSince, createdSince    string
	sinceLast                          string
	filters                            []string
	contract, coworker                 idFlag
	bom, numericEnums, raw, full, json bool
	overlap                            durationFlag
	pageSize                           countFlag
	logEvery                           durationFlag
	client                             clientFlags
}

func (a *app) exportCommand() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export [flags]",
		Short: "Write every contract contact to CSV",
		Long: `export writes the contract contacts of the space to CSV, one row per record,
every field in the documented order with the API's field names as headers,
so that the file can be fed back to import. Pages are written as they
arrive: memory stays flat however many records there are.

The file named by --out is written under a temporary name (.NAME.tmp-*)
beside it, mode 0600, and renamed into place only when complete: a failed
or interrupted run leaves the previous file as it was. Without --out the
CSV goes to stdout and the summary to stderr.

Records are listed by Id. A record deleted while the export pages can make
the next one move back a page; export checks the server's count at the
end, lists again to fetch what moved, and exits 1 if it still cannot show
the file complete. No Id is ever written twice. Records found again that
way are written at the end of the file (the summary counts them).

--order-by another field pages in that order, where an edit can move a
record past the page being read; if anything moved, export lists again
by Id and appends what it missed, so the file is complete but those rows
are out of order. Sort the file afterwards if the order matters.

Cells a spreadsheet would run as a formula (starting with = + - @, tab or
carriage return, except numbers and phone numbers) get a leading ' unless
--raw; import takes it off again.

Nightly runs: --since-last STATE exports only records updated since the
last successful run recorded in STATE, and updates STATE only when the
export is complete. Nexudus may write the space's local time with a Z, so
the next run looks back --overlap before the last start: the default
(12h10m) covers spaces as far behind UTC as UTC-12; spaces ahead of UTC need
no more. Records updated within the margin appear in two consecutive
files; none is missed. See samples/nightly-export.sh.

Exit codes: 0 done; 1 failed mid-way or could not be made consistent (the
previous file is kept); 2 bad flag, file or credentials; 130 interrupted.`,
		Example: `  # everything, from the local sandbox
  contactbulk export --sandbox --out contacts.csv

  # one contract's directors, chosen columns, type as a number
  contactbulk export --contract 1001 --type Director --columns Id,FullName,Email,ContractContactType --numeric-enums

  # any documented filter, repeatable
  contactbulk export --filter ContractContact_Coworker_Active=true --filter from_ContractContact_CreatedOn=2025-01-01

  # the addresses and notes too, for Excel
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
	fs.StringVar(&f.out, "out", "", "write the CSV to this file (default stdout)")
	fs.BoolVar(&f.bom, "bom", false, "start the file with a UTF-8 byte order mark, for Excel")
	fs.StringVar(&f.columns, "columns", "", "comma-separated fields to write, in this order (default all)")
	fs.BoolVar(&f.numericEnums, "numeric-enums", false, "write ContractContactType as 0-3 instead of its name")
	fs.BoolVar(&f.raw, "raw", false, "leave cells that start like a formula as they are")
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
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON (on stdout with --out, else on stderr)")
	f.logEvery = durationFlag(5 * time.Second)
	fs.Var(&f.logEvery, "log-every", "when stderr is not a terminal, a progress line this often, like 5s or 1m")
	f.client.register(cmd, false)
	return cmd
}

// options checks the flags and turns them into exporter options, without the
// --since-last filter. Every problem is a usage error (exit 2).
func (f *exportFlags) options() (exporter.Options, error) {
	opt := exporter.Options{
		BOM: f.bom, NumericEnums: f.numericEnums, Raw: f.raw, Full: f.full,
		PageSize: int(f.pageSize), Filters: url.Values{},
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

// exportSummary is what export reports at the end.
type exportSummary struct {
	exporter.Summary
	Seconds   float64 `json:"elapsed_seconds"`
	File      string  `json:"file,omitempty"`
	Since     string  `json:"updated_since,omitempty"`
	StateFile string  `json:"state_file,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func (a *app) runExport(ctx context.Context, f *exportFlags) error {
	opt, err := f.options()
	if err != nil {
		return err
	}
	var state exporter.State
	sum := exportSummary{File: f.out, StateFile: f.sinceLast}
	if f.sinceLast != "" {
		if state, err = exporter.LoadState(f.sinceLast); err != nil {
			return usageErrorf("--since-last: %v", err)
		}
		if sum.Since = state.Since(time.Duration(f.overlap)); sum.Since != "" {
			opt.Filters.Set("from_ContractContact_UpdatedOn", sum.Since)
		}
	}

	client, closeClient, err := a.connect(ctx, &f.client)
	if err != nil {
		return err
	}
	defer closeClient()

	var w io.Writer = a.stdout
	report := a.stderr // the summary: stdout carries only the CSV without --out
	var file *safefile.File
	if f.out != "" {
		if file, err = safefile.Create(f.out); err != nil {
			return usageErrorf("--out %s: %v", f.out, err)
		}
		defer file.Abort() // a no-op once committed
		w, report = file, a.stdout
	}

	prog := a.exportProgress(time.Duration(f.logEvery))
	opt.Progress = prog.update
	started := time.Now().UTC()
	sum.Summary, err = exporter.Run(ctx, client, w, opt)
	prog.finish()
	sum.Seconds = sum.Elapsed.Seconds()
	if err == nil && file != nil {
		err = file.Commit()
	}
	if err == nil && f.sinceLast != "" {
		err = exporter.SaveState(f.sinceLast, exporter.State{
			LastStart: started, LastSuccess: time.Now().UTC(), Records: sum.Records, UpdatedFrom: sum.Since,
		})
		if err != nil {
			err = fmt.Errorf("export complete, but the state was not saved (the next run will export more): %w", err)
		}
	}
	if err != nil {
		sum.Error = err.Error()
		if file != nil {
			sum.File = "" // the previous file, if any, is untouched
		}
	}
	if werr := a.writeExportSummary(report, sum, f.json); werr != nil && err == nil {
		err = werr
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return interrupted(fmt.Errorf("export interrupted; %s", kept(f.out)))
	case errors.Is(err, exporter.ErrInconsistent):
		return &exitError{code: exitRowsFailed, err: fmt.Errorf("%w; %s; run it again when the data is quieter", err, kept(f.out))}
	}
	if file != nil {
		return fmt.Errorf("export: %w; %s", err, kept(f.out))
	}
	return fmt.Errorf("export: %w", err)
}

// kept says what became of the output file after a failed run.
func kept(out string) string {
	if out == "" {
		return "the CSV on stdout is incomplete"
	}
	return out + " was left as it was"
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
	if sum.Since != "" {
		line += "; updated since " + sum.Since
	} else if sum.StateFile != "" {
		line += "; first run of " + sum.StateFile + ", so everything"
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
		if pr.Total > pr.Records {
			p.bar.ChangeMax(pr.Total)
		}
		p.bar.Set(pr.Records)
		return
	}
	if now := time.Now(); p.last.IsZero() || now.Sub(p.last) >= p.every {
		p.last = now
		line := fmt.Sprintf("contactbulk: export: %d of %s, %s", pr.Records, count(pr.Total, "record"), count(pr.Pages, "page"))
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
