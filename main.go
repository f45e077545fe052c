// Command contactbulk moves Nexudus ContractContact records between
// spreadsheets and a Nexudus space: bulk import with a results file and
// exactly-once resume, streaming CSV export, and dry-run validation.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, abandon, stop := interrupts()
	err := run(ctx, abandon, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "contactbulk: "+msg)
		}
	}
	os.Exit(exitCode(err))
}

// interrupts returns a context cancelled by the first Ctrl-C or SIGTERM
// (stop starting work) and one cancelled by the next (abandon work in
// flight), and the function that stops listening.
func interrupts() (soft, hard context.Context, stop func()) {
	soft, cancelSoft := context.WithCancel(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		cancelSoft()
		if _, ok := <-sigs; ok {
			cancelHard()
		}
	}()
	return soft, hard, func() {
		signal.Stop(sigs)
		close(sigs)
		cancelSoft()
		cancelHard()
	}
}
