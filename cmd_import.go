package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"contactbulk/importer"
	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// importFlags are the flags of the import command.
type importFlags struct {
	dryRun, skipInvalid, skipExisting, json bool
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
		Long: `import checks every row of FILE (.csv or .xlsx; - reads stdin), then creates one
ContractContact per row, exactly once, and writes a results file
(NAME.results.csv beside FILE) that says what happened to each row.
If any row is invalid nothing is created, unless --skip-invalid.
Re-running the same command continues where a crash, Ctrl-C or the daily
write budget stopped it; the results file can be fixed and fed back.

Headers match the API's field names ignoring case, spaces, underscores and
hyphens, plus Name, Contract, Type, Role, Phone, DOB, Birth Date, Zip,
Postal Code, City and Country Id. --mapping FILE (YAML or JSON) or --map and
--set say the rest; see samples/mapping.yaml.

Exit codes: 0 every row done; 1 some rows invalid, failed or pending (the
results file says which); 2 bad flag, file or credentials; 130 interrupted.`,
		Example: `  # check a file without sending anything
  contactbulk import --dry-run contacts.csv

  # import into the local sandbox
  contactbulk import --sandbox samples/contacts.csv

  # a sheet with its own headers, one contract for every row
  contactbulk import --mapping samples/mapping.yaml samples/contacts-other-headers.csv
  contactbulk import --map "Member=FullName" --set CoworkerContractId=1001 members.xlsx

  # day-first dates, semicolon-separated Windows-1252 file
  contactbulk import --date-format DMY --delimiter ';' --encoding windows-1252 export.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("import needs one FILE (a .csv or .xlsx, or - for stdin); see 'contactbulk import --help'")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate every row and report; send nothing")
	fs.StringVar(&f.results, "results", "", "results file (default NAME.results.csv beside FILE; a dry run writes one only when given)")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "import the valid rows even when some are invalid")
	fs.BoolVar(&f.skipExisting, "skip-existing", false, "check each row against the space first and mark those found as exists")
	fs.IntVar(&f.concurrency, "concurrency", 4, "creates in flight at once (pacing still applies)")
	fs.StringVar(&f.encoding, "encoding", "", "CSV text encoding: utf-8, utf-16 or windows-1252 (default: detected)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter: , ; | or tab (default: detected from the header)")
	fs.StringVar(&f.sheet, "sheet", "", "the .xlsx sheet to read (default the first)")
	fs.StringVar(&f.dateFormat, "date-format", "", "order of ambiguous dates like 03/04/1990: DMY or MDY (default: refuse them)")
	fs.StringVar(&f.mappingFile, "mapping", "", "YAML or JSON file mapping columns to fields and giving constant fields")
	fs.StringArrayVar(&f.maps, "map", nil, `map a column to a field, "Column Name=Field" (repeatable)`)
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
	if f.concurrency < 1 {
		return usageErrorf("--concurrency %d: must be at least 1", f.concurrency)
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
		sum, err = importer.DryRun(ctx, in, f.results, a.stderr)
	} else {
		sum, err = a.importRows(ctx, in, file, f)
	}
	if sum.Rows > 0 || err == nil {
		sum.WriteText(a.stderr)
		if f.json {
			b, jerr := json.MarshalIndent(sum, "", "  ")
			if jerr != nil {
				return fmt.Errorf("summary: %w", jerr)
			}
			fmt.Fprintf(a.stdout, "%s\n", b)
		}
	}
	var be *nexudus.BudgetError
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		return interrupted(errors.New("import interrupted; run the same command again to continue"))
	case errors.As(err, &be):
		fmt.Fprintf(a.stderr, "contactbulk: %v; run the same command again then to continue\n", be)
		return rowsFailed()
	case errors.Is(err, importer.ErrInput):
		return usageErrorf("%v", err)
	default:
		return err
	}
	if sum.Unfinished() > 0 {
		return rowsFailed()
	}
	return nil
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
	var rate float64
	if w := client.Pacing().Writes; w.Per > 0 {
		rate = float64(w.N) / w.Per.Seconds()
	}
	target := client.BaseURL()
	if f.client.sandbox {
		target = "embedded sandbox" // its port changes from run to run
	}
	return importer.Run(ctx, in, client, importer.Options{
		Results:      results,
		Target:       target,
		Concurrency:  f.concurrency,
		SkipInvalid:  f.skipInvalid,
		SkipExisting: f.skipExisting,
		Abandon:      abandonContext(ctx),
		Progress:     a.stderr,
		Terminal:     a.isTerminal(a.stderr),
		Rate:         rate,
		LandingWait:  f.client.timeout + importer.LandingMargin,
	})
}
