package importer

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// eachOnPool calls do for every item on n workers (an errgroup), in order
// of start. An item is skipped, left as it was, once ctx ends or stopped
// reports true (a stop that leaves the rest pending, such as the daily
// budget spent); done is called after each item do handled. The first
// error do returns ends the pool and is returned; ctx's end is not an
// error here (the caller says what an interrupt means).
func eachOnPool[T any](ctx context.Context, n int, items []T, stopped func() bool, do func(context.Context, T) error, done func()) error {
	g, gctx := errgroup.WithContext(ctx)
	feed := make(chan T)
	g.Go(func() error {
		defer close(feed)
		for _, it := range items {
			if stopped() {
				return nil
			}
			select {
			case feed <- it:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	for range n {
		g.Go(func() error {
			for it := range feed {
				if gctx.Err() != nil || stopped() {
					continue
				}
				if err := do(gctx, it); err != nil {
					return err
				}
				done()
			}
			return nil
		})
	}
	return g.Wait()
}
