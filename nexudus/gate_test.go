package nexudus_test

import (
	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"context"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGateSpacesWritesOnTheWire: a create held up between the pacer and
// the wire (its journal synced to disk, say) must not let the read paced
// after it reach a server that counts the 100 ms interval first, or
// closer than the interval: the sandbox, with its documented limits,
// throttles neither.
func TestGateSpacesWritesOnTheWire(t *testing.T) {
	t.Parallel()
	h := start(t, sandbox.Config{Limits: sandbox.DocumentedLimits()})
	var log logBuffer
	cfg := fastConfig(h, &log)
	cfg.Rate, cfg.WriteRate, cfg.MinInterval = nexudus.Rate{}, nexudus.Rate{}, 0 // the documented pacing
	c := newClient(t, cfg)
	for range 3 {
		slow := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GetConn: func(string) { time.Sleep(40 * time.Millisecond) }, // a journal's fsync
		})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := c.Create(slow, contact("Held Up")); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(time.Millisecond) // the create is let go first
		go func() {
			defer wg.Done()
			if _, err := c.List(context.Background(), nexudus.ListOptions{Size: 1}); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
	}
	if strings.Contains(log.String(), "throttled") {
		t.Errorf("the server throttled requests the client let go:\n%s", log.String())
	}
}
