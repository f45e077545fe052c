package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"contactbulk/nexudus"
)

// Exit codes, a published contract (README.md).
const (
	exitOK          = 0   // every row done
	exitRowsFailed  = 1   // some rows invalid or failed; the results file says which
	exitCannotRun   = 2   // usage, configuration, credentials, unreadable input
	exitInterrupted = 130 // interrupted; re-running resumes
)

// exitError carries the exit code a command chose. An empty message prints
// nothing: the command has already reported.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports something the user must fix before the command can
// run (a flag, a file, a credential): exit code 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitCannotRun, err: fmt.Errorf(format, args...)}
}

// noArgs refuses positional arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q (see '%s --help')", cmd.Name(), args[0], cmd.CommandPath())
	}
	return nil
}

// oneArg takes exactly one positional argument, or says what it should
// be as a usage error (exit 2): "import needs one FILE (...)".
func oneArg(need string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageErrorf("%s needs one %s; see '%s --help'", cmd.Name(), need, cmd.CommandPath())
		}
		return nil
	}
}

// rowsFailed is the quiet error of a run that finished with some rows
// invalid or failed, already reported in the summary: exit code 1.
func rowsFailed() error { return &exitError{code: exitRowsFailed} }

// interrupted is the error of a run stopped by Ctrl-C: exit code 130.
func interrupted(err error) error { return &exitError{code: exitInterrupted, err: err} }

// exitCode maps the error run returned to the process exit code. What
// must be fixed before anything can run is exit 2: credentials refused
// (401), a missing role (403), a server that cannot be reached, a redirect
// refused, a state file to clear. A lasting throttle, like the spent daily
// budget, leaves rows pending: exit 1.
func exitCode(err error) int {
	var (
		ee *exitError
		re *nexudus.RedirectError
		se *nexudus.StateError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case nexudus.IsUnauthorized(err), nexudus.IsForbidden(err), errors.Is(err, nexudus.ErrUnreachable),
		errors.As(err, &re), errors.As(err, &se):
		return exitCannotRun
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitRowsFailed
}

// app is what the commands share: the process's streams and environment,
// passed in so tests drive the CLI in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	configDir      string // where login keeps tokens
	cacheDir       string // where the embedded sandbox keeps its data
	isTerminal     func(f any) bool
	httpClient     *http.Client // what requests to Nexudus go through; nil: Go's default client
	// abandon is cancelled by a second Ctrl-C: work already in flight
	// (requests sent) is given up then, where the first one only stops
	// new work (the command's context). nil: never.
	abandon context.Context
}

// abandonContext returns the context for work already in flight: it
// outlives the command's context until a second interrupt.
func (a *app) abandonContext() context.Context {
	if a.abandon != nil {
		return a.abandon
	}
	return context.Background()
}

// run is the whole program: it parses args and runs one command. ctx ends
// with the first interrupt (no new work starts), abandon with the second
// (work in flight is given up).
func run(ctx, abandon context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{
		stdin:      stdin,
		stdout:     stdout,
		stderr:     stderr,
		getenv:     os.Getenv,
		isTerminal: isTerminal,
		abandon:    abandon,
	}
	if dir, err := os.UserConfigDir(); err == nil {
		a.configDir = filepath.Join(dir, "contactbulk")
	}
	if dir, err := os.UserCacheDir(); err == nil {
		a.cacheDir = filepath.Join(dir, "contactbulk")
	}
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) error {
	root := a.rootCommand()
	started := false
	root.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	if err != nil && !started && !errors.As(err, &ee) {
		// Cobra refused the command line before any command ran (an
		// unknown command, say): that is a usage error.
		return usageErrorf("%v (see 'contactbulk --help')", err)
	}
	return err
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "contactbulk",
		Short: "Bulk import and export of Nexudus contract contacts",
		Long: `contactbulk moves Nexudus ContractContact records between spreadsheets and a
Nexudus space: it imports CSV or XLSX rows with a results file and
exactly-once resume, exports every record to CSV, and validates a file
without touching the network.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%s (see '%s --help')", flagErrorText(err), cmd.CommandPath())
	})
	root.AddCommand(
		a.importCommand(),
		a.undoCommand(),
		a.exportCommand(),
		a.sandboxCommand(),
		a.loginCommand(),
		a.doctorCommand(),
		a.versionCommand(),
	)
	return root
}

// flagErrorText is pflag's error in words for people: it keeps
// `invalid argument "abc" for "--concurrency" flag` and replaces the Go
// parser's message after it.
func flagErrorText(err error) string {
	msg := err.Error()
	head, detail, ok := strings.Cut(msg, " flag: ")
	if !ok {
		return msg
	}
	switch {
	case strings.HasPrefix(detail, "strconv.ParseInt"), strings.HasPrefix(detail, "strconv.ParseUint"):
		detail = "not a whole number"
	case strings.HasPrefix(detail, "strconv.ParseFloat"):
		detail = "not a number"
	case strings.HasPrefix(detail, "strconv.ParseBool"):
		detail = "use true or false"
	case strings.HasPrefix(detail, "time: "):
		detail = "not a duration; use a number with a unit, like 30s, 5m or 1h"
	}
	return head + " flag: " + detail
}

// isTerminal reports whether f is an *os.File on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}
