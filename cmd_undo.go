package main

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"contactbulk/importer"
)

// undoFlags are the flags of the undo command.
type undoFlags struct {
	yes, force, json bool
	concurrency      int
	client           clientFlags
}

func (a *app) undoCommand() *cobra.Command {
	var f undoFlags
	cmd := &cobra.Command{
		Use:   "undo [flags] RESULTS",
		Short: "Delete the contract contacts an import created",
		Long: `undo deletes exactly the records that the import behind the results file
RESULTS created: those its journal (RESULTS.journal) records as created.
Rows that already existed, or that the import updated, are left alone. A
record changed since the import (renamed, or updated after it was
created) is kept unless --force.

Deleting is permanent: Nexudus cannot recover deleted records. undo shows
how many records it will delete and asks on a terminal; scripts pass
--yes. Deletes are paced as writes and count against the daily write
budget; a stopped or killed undo continues when run again. The results
file is rewritten with the deleted rows marked "deleted", and the
contracts are read again to verify the records are gone.

Exit codes: 0 every record deleted; 1 some kept, failed or pending;
2 bad flag, file or credentials, or the confirmation declined; 130
interrupted.`,
		Example: `  # see the count and confirm on the terminal
  contactbulk undo contacts.results.csv

  # in a script
  contactbulk undo --yes --json contacts.results.csv`,
		Args: oneArg("RESULTS file (the results file of the import to undo)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runUndo(cmd.Context(), args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&f.yes, "yes", "y", false, "delete without asking (for scripts)")
	fs.BoolVar(&f.force, "force", false, "delete records changed since the import too")
	fs.IntVar(&f.concurrency, "concurrency", 4, "deletes in flight at once (pacing still applies)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON on stdout")
	f.client.register(cmd, true)
	return cmd
}

func (a *app) runUndo(ctx context.Context, results string, f *undoFlags) error {
	if err := checkConcurrency(f.concurrency); err != nil {
		return err
	}
	interactive := a.isTerminal(a.stdin)
	if !f.yes && !interactive {
		return usageErrorf("undo deletes records permanently: run it on a terminal to confirm, or pass --yes")
	}
	client, closeClient, err := a.connect(ctx, &f.client)
	if err != nil {
		return err
	}
	defer closeClient()
	opt := importer.UndoOptions{
		Target:      writeTarget(client, &f.client),
		Force:       f.force,
		Concurrency: f.concurrency,
		Abandon:     a.abandonContext(),
		Progress:    a.stderr,
		Terminal:    a.isTerminal(a.stderr),
		Pacing:      writePacing(client),
	}
	if !f.yes {
		p := &prompter{a: a}
		opt.Confirm = func(prompt string) (bool, error) {
			answer, err := p.line(prompt + "\nDelete them? [y/N] ")
			if err != nil {
				return false, err
			}
			answer = strings.ToLower(answer)
			return answer == "y" || answer == "yes", nil
		}
	}
	sum, err := importer.Undo(ctx, results, client, opt)
	switch {
	case errors.Is(err, importer.ErrUndoDeclined):
		return usageErrorf("undo declined: %v", err)
	case errors.Is(err, importer.ErrInput):
		return usageErrorf("%v", err) // nothing was done
	}
	// Whatever stopped it, undo may have deleted records: say what it did.
	if jerr := a.report(sum, f.json); jerr != nil {
		return jerr
	}
	return bulkExit(err, "undo", sum.Unfinished())
}
