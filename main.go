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
	ctx, stop := interruptContext()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "contactbulk: "+msg)
		}
	}
	os.Exit(exitCode(err))
}

// interruptContext returns a context cancelled by the first Ctrl-C or
// SIGTERM (stop starting work) that carries a second one, cancelled by the
// next signal (abandon work in flight).
func interruptContext() (context.Context, func()) {
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
	return withAbandon(soft, hard), func() {
		signal.Stop(sigs)
		close(sigs)
		cancelSoft()
		cancelHard()
	}
}
