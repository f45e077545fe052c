package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"contactbulk/importer"
	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// importFlags are the flags of the import command.
type importFlags struct {
	dryRun, skipInvalid, skipExisting, json bool
	plan, update, repair, ignoreIDs         bool
	includeInactive                         bool
	settle                                  time.Duration
	results, encoding, delimiter, sheet     string
	dateFormat, mappingFile                 string
	maps, sets                              []string
	concurrency                             int
	client                                  clientFlags
}

func (a *app) importCommand() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import [flags] FILE",
		Short: "Create a contract contact for each row of a CSV or XLSX file",
		Long: `import checks every row of FILE (.csv or .xlsx; - reads stdin), reads what the
space holds for the sheet's contracts, and creates one ContractContact per
row that is not there yet, exactly once. It writes a results file
(NAME.results.csv beside FILE) that says what happened to each row.
If any row is invalid nothing is written, unless --skip-invalid.

A row is a person, whatever its other cells say: its contract, its contact
type, and its name (compared ignoring case, spacing and Unicode form) or,
when it has a CoworkerId, that coworker; a row with an Id column (an export
fed back) is that record. A row whose record exists with other values is
reported as "differs" and never created again; --update writes the sheet's
values over the fields it gives. Several records for one row are
"ambiguous": nothing is guessed. --plan shows all of this, and how long
the writes will take, without writing anything.

Re-running the same command continues where a crash, Ctrl-C or the daily
write budget stopped it; the results file can be fixed and fed back. After
the writes the space is read again to verify one record per row; --repair
deletes duplicates this import made. 'contactbulk undo RESULTS' deletes
what an import created.

Headers match the API's field names ignoring case, spaces, underscores and
hyphens, plus Name, Contract, Type, Role, Phone, DOB, Birth Date, Zip,
Postal Code, City and Country Id. --mapping FILE (YAML or JSON) or --map and
--set say the rest; see samples/mapping.yaml. --map "Column=-" ignores a
column whose header looks like a field or a lookup but means something else.

A sheet may name records instead of giving their Ids: the contract by its
holder's email, name, company or billing name (ContractHolderEmail,
ContractHolderName, CompanyName, BillingName; headers such as Holder Email,
Holder, Company, Billing Name), the coworker by email (CoworkerEmail, Member
Email) and the country by name or ISO code (Country). --plan and the import
look each Id up in the space's own lists, read once each, exactly (case and
spacing aside); a name that matches no record, or several, makes its row
invalid, naming the candidates. Only active, uncancelled contracts are
found unless --include-inactive. The results file shows the Ids found.

Exit codes: 0 every row done; 1 some rows invalid, failed, pending,
differing or ambiguous, or duplicates found (the results file says which);
2 bad flag, file or credentials; 130 interrupted.`,
		Example: `  # check a file without sending anything
  contactbulk import --dry-run contacts.csv

  # see what the space already holds and what would be written
  contactbulk import --plan contacts.csv

  # import, writing the sheet's values over records that differ
  contactbulk import --update contacts.csv

  # import into the local sandbox
  contactbulk import --sandbox samples/contacts.csv

  # a sheet that names contracts by holder email or company, and countries
  # by name or code: see the Ids found before importing
  contactbulk import --plan samples/contacts-by-name.csv
  contactbulk import --map "Agreement holder=ContractHolderEmail" --set Country=GB members.csv

  # a sheet with its own headers, one contract for every row
  contactbulk import --mapping samples/mapping.yaml samples/contacts-other-headers.csv
  contactbulk import --map "Member=FullName" --set CoworkerContractId=1001 members.xlsx

  # day-first dates, semicolon-separated Windows-1252 file
  contactbulk import --date-format DMY --delimiter ';' --encoding windows-1252 export.csv`,
		Args: oneArg("FILE (a .csv or .xlsx, or - for stdin)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate every row and report; send nothing")
	fs.StringVar(&f.results, "results", "", "results file (default NAME.results.csv beside FILE; a dry run writes one only when given)")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "import the valid rows even when some are invalid")
	fs.BoolVar(&f.plan, "plan", false, "read the space and say what each row would become (new, exists, differs, ambiguous) and how long the writes take; write nothing")
	fs.BoolVar(&f.update, "update", false, "write the sheet's values over the fields of records that differ (only the fields the sheet gives)")
	fs.BoolVar(&f.includeInactive, "include-inactive", false, "a contract looked up by its holder may be one not active or cancelled (default: active, uncancelled contracts only)")
	fs.BoolVar(&f.ignoreIDs, "ignore-ids", false, "ignore the sheet's Id column (a file exported from another space): find rows by contract, name and type")
	fs.BoolVar(&f.repair, "repair", false, "delete the duplicates of a row that this import made, when the final check finds any")
	fs.DurationVar(&f.settle, "settle", 2*time.Minute, "a create of unknown outcome is sent again only when the space still lacks it this long after it was sent")
	fs.BoolVar(&f.skipExisting, "skip-existing", false, "")
	_ = fs.MarkHidden("skip-existing") // kept so that old scripts still run; see runImport
	fs.IntVar(&f.concurrency, "concurrency", 4, "creates in flight at once (pacing still applies)")
	fs.StringVar(&f.encoding, "encoding", "", "CSV text encoding: utf-8, utf-16, utf-32 or windows-1252 (default: detected)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter: , ; | or tab (default: detected from the header)")
	fs.StringVar(&f.sheet, "sheet", "", "the .xlsx sheet to read (default the first)")
	fs.StringVar(&f.dateFormat, "date-format", "", "order of ambiguous dates like 03/04/1990: DMY or MDY (default: refuse them)")
	fs.StringVar(&f.mappingFile, "mapping", "", "YAML or JSON file mapping columns to fields and giving constant fields")
	fs.StringArrayVar(&f.maps, "map", nil, `map a column to a field, "Column Name=Field", or ignore it, "Column Name=-" (repeatable)`)
	fs.StringArrayVar(&f.sets, "set", nil, "give a field one value for every row, Field=Value (repeatable)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON on stdout")
	f.client.register(cmd, true)
	return cmd
}

// readOptions turns the flags into importer.ReadOptions.
func (f *importFlags) readOptions() (importer.ReadOptions, error) {
	opt := importer.ReadOptions{Encoding: f.encoding, Sheet: f.sheet, DateFormat: f.dateFormat}
	d, err := importer.ParseDelimiter(f.delimiter)
	if err != nil {
		return opt, usageErrorf("--delimiter: %v", err)
	}
	opt.Delimiter = d
	if _, err := mapping.ParseDateOrder(f.dateFormat); err != nil {
		return opt, usageErrorf("--date-format: %v", err)
	}
	if f.mappingFile != "" {
		if opt.Mapping, err = mapping.Load(f.mappingFile); err != nil {
			return opt, usageErrorf("--mapping: %v", err)
		}
	}
	for _, m := range f.maps {
		if err := opt.Mapping.AddColumn(m); err != nil {
			return opt, usageErrorf("%v", err)
		}
	}
	for _, s := range f.sets {
		if err := opt.Mapping.AddConstant(s); err != nil {
			return opt, usageErrorf("%v", err)
		}
	}
	return opt, nil
}

func (a *app) runImport(ctx context.Context, file string, f *importFlags) error {
	if err := checkConcurrency(f.concurrency); err != nil {
		return err
	}
	if f.dryRun && (f.plan || f.update || f.repair) {
		return usageErrorf("--dry-run reads no network: it cannot be combined with --plan, --update or --repair (--plan reads the space and writes nothing)")
	}
	if f.dryRun && f.includeInactive {
		return usageErrorf("--dry-run reads no network: --include-inactive applies to the lookups of --plan or an import")
	}
	if f.plan && f.repair {
		return usageErrorf("--plan writes nothing: --repair applies to an import")
	}
	if f.skipExisting {
		fmt.Fprintln(a.stderr, "note: --skip-existing is deprecated and no longer needed: every import finds the rows already in the space")
	}
	if f.settle <= 0 {
		return usageErrorf("--settle %s: must be positive, like 2m", f.settle)
	}
	opt, err := f.readOptions()
	if err != nil {
		return err
	}
	in, err := importer.OpenContext(ctx, file, a.stdin, opt)
	if errors.Is(err, context.Canceled) {
		return interrupted(err)
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	defer in.Close()

	var sum importer.Summary
	if f.dryRun {
		if f.results != "" {
			if err := importer.CheckOutputs(f.results, in.Path()); err != nil {
				return usageErrorf("%v", err)
			}
		}
		sum, err = importer.DryRun(ctx, in, f.results, a.stderr)
	} else {
		sum, err = a.importRows(ctx, in, file, f)
	}
	if sum.Rows > 0 || err == nil {
		if jerr := a.report(sum, f.json); jerr != nil {
			return jerr
		}
	}
	return bulkExit(err, "import", sum.Unfinished())
}

// importRows runs a real import against the client the flags choose.
func (a *app) importRows(ctx context.Context, in *importer.Input, file string, f *importFlags) (importer.Summary, error) {
	results := f.results
	if results == "" {
		results = importer.DefaultResultsPath(file)
	}
	client, closeClient, err := a.connect(ctx, &f.client)
	if err != nil {
		return importer.Summary{}, err
	}
	defer closeClient()
	return importer.Run(ctx, in, client, importer.Options{
		Results:     results,
		Target:      writeTarget(client, &f.client),
		Concurrency: f.concurrency,
		SkipInvalid: f.skipInvalid,
		Plan:        f.plan,
		Update:      f.update,
		IgnoreIDs:   f.ignoreIDs,
		Inactive:    f.includeInactive,
		Repair:      f.repair,
		Abandon:     a.abandonContext(),
		Progress:    a.stderr,
		Terminal:    a.isTerminal(a.stderr),
		Pacing:      writePacing(client),
		LandingWait: f.client.timeout + importer.LandingMargin,
		Settle:      f.settle,
	})
}

// writeTarget names where a client writes, for journals: its URL, or the
// embedded sandbox (whose port changes from run to run).
func writeTarget(client *nexudus.Client, f *clientFlags) string {
	if f.sandbox {
		return "embedded sandbox"
	}
	return client.BaseURL()
}

// writePacing is the client's write pacing as the importer needs it.
func writePacing(client *nexudus.Client) importer.Pacing {
	pc := client.Pacing()
	p := importer.Pacing{DailyWrites: pc.DailyWrites, Burst: pc.Writes.N, Window: pc.Writes.Per, MinInterval: pc.MinInterval}
	if w := pc.Writes; w.Per > 0 {
		p.WritesPerSecond = float64(w.N) / w.Per.Seconds()
	}
	if p.DailyWrites > 0 {
		p.WritesUsed, _ = client.WritesUsed()
	}
	return p
}

// summary is what a bulk command (import, undo) reports at its end.
type summary interface {
	WriteText(w io.Writer)
	Unfinished() int
}

// report writes a bulk command's summary for people on stderr and, with
// --json, as JSON on stdout.
func (a *app) report(s summary, asJSON bool) error {
	s.WriteText(a.stderr)
	if !asJSON {
		return nil
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	fmt.Fprintf(a.stdout, "%s\n", b)
	return nil
}

// bulkExit is how a bulk command ends, after its summary: interrupted
// (130), stopped by the daily budget (1, saying when to go on), an input
// to fix (2), another error, or 1 when some rows or records are not done.
func bulkExit(err error, what string, unfinished int) error {
	var be *nexudus.BudgetError
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		return interrupted(fmt.Errorf("%s interrupted; run the same command again to continue", what))
	case errors.As(err, &be):
		return &exitError{code: exitRowsFailed, err: fmt.Errorf("%v; run the same command again then to continue", be)}
	case errors.Is(err, importer.ErrInput):
		return usageErrorf("%v", err)
	default:
		return err
	}
	if unfinished > 0 {
		return rowsFailed()
	}
	return nil
}
