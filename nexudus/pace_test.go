package nexudus

import (
	"math"

	"context"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"contactbulk/mapping"
	"contactbulk/sandbox"
)

// fakeClock is a clock that only moves when the pacer sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// TestPacingNeverTripsTheDocumentedLimits runs a client against a sandbox
// enforcing Nexudus's limits (the hourly one scaled down so the test
// crosses it) on a shared fake clock. The sandbox counts each request a
// random 0-20 ms after the pacer lets it go, as a network would: with the
// default margin it never throttles; without a margin the same run is
// throttled, which shows the test can tell.
func TestPacingNeverTripsTheDocumentedLimits(t *testing.T) {
	const perHour = 300
	tests := []struct {
		name      string
		margin    time.Duration
		throttled bool
	}{
		{"default margin", 0, false},
		{"no margin", -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			var jitterMu sync.Mutex
			jitter := rand.New(rand.NewPCG(1, 2))
			limits := sandbox.DocumentedLimits()
			limits.PerHour = perHour
			limits.WritesPerDay = 0
			srv, err := sandbox.New(sandbox.Config{Token: "tok", Limits: limits, Now: func() time.Time {
				jitterMu.Lock()
				defer jitterMu.Unlock()
				return clock.now().Add(time.Duration(jitter.Int64N(int64(20 * time.Millisecond))))
			}})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			t.Cleanup(func() { ts.Close(); srv.Close() })

			var throttled atomic.Int64
			c, err := New(Config{BaseURL: ts.URL, Token: "tok", PerHour: perHour, PaceMargin: tc.margin, DailyWrites: -1,
				MaxRetryAfter: time.Millisecond, Logf: func(format string, args ...any) {
					if strings.HasPrefix(format, "throttled") {
						throttled.Add(1)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			c.pacer.now, c.pacer.sleep = clock.now, clock.sleep
			start := clock.now()
			ctx := context.Background()
			const n = 2*perHour + 60
			for i := range n {
				if i%3 == 0 {
					ct := mapping.Contact{CoworkerContractID: 1001, FullName: "Paced", ContractContactType: mapping.TypeDirector}
					if _, err := c.Create(ctx, ct); err != nil {
						t.Fatalf("create %d: %v", i, err)
					}
				} else if _, err := c.List(ctx, ListOptions{Size: 1}); err != nil {
					t.Fatalf("list %d: %v", i, err)
				}
			}
			if got := throttled.Load(); (got > 0) != tc.throttled {
				t.Fatalf("%d requests throttled, want throttling %v", got, tc.throttled)
			}
			// The hourly window, not the per-minute pace, set the length.
			if took := clock.now().Sub(start); took < 2*time.Hour {
				t.Errorf("%d requests took %s of paced time; an hourly limit of %d needs over 2h", n, took, perHour)
			}
		})
	}
}

// TestPacerSpacing checks the spacing each limit gets, margin included.
func TestPacerSpacing(t *testing.T) {
	tests := []struct {
		name          string
		cfg           Config
		gap, writeGap time.Duration
	}{
		{"defaults", Config{}, 520 * time.Millisecond, 1020 * time.Millisecond},
		{"min interval wins", Config{Rate: Rate{N: 20, Per: time.Second}}, 120 * time.Millisecond, 1020 * time.Millisecond},
		{"no margin", Config{PaceMargin: -1}, 500 * time.Millisecond, time.Second},
		{"fast rates keep a small margin", Config{Rate: Rate{N: 1000, Per: time.Second}, WriteRate: Rate{N: 100, Per: time.Second}, MinInterval: -1},
			1250 * time.Microsecond, 12500 * time.Microsecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			gap, writeGap := gapOf(c.pacer.all), gapOf(c.pacer.writes)
			if gap != tc.gap || writeGap != tc.writeGap {
				t.Errorf("gaps %s and %s, want %s and %s", gap, writeGap, tc.gap, tc.writeGap)
			}
		})
	}
}

// gapOf returns the interval between the tokens of a one-token limiter,
// rounded to the microsecond.
func gapOf(lim *rate.Limiter) time.Duration {
	return time.Duration(math.Round(float64(time.Second)/float64(lim.Limit())/1e3)) * time.Microsecond
}

// TestPacerConcurrentCallersAreSpaced lets several goroutines through one
// pacer on a fake clock and checks no two went closer than the gap.
func TestPacerConcurrentCallersAreSpaced(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	// The hourly window, larger than the run, keeps every send time.
	p := newPacer(Config{Rate: Rate{N: 120, Per: time.Minute}, MinInterval: 100 * time.Millisecond,
		WriteRate: Rate{N: 60, Per: time.Minute}, PaceMargin: 20 * time.Millisecond, PerHour: 1000})
	p.now, p.sleep = clock.now, clock.sleep
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range 25 {
				if err := p.wait(context.Background(), w%2 == 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent := p.hourly.times
	if len(sent) != 100 {
		t.Fatalf("%d sent, want 100", len(sent))
	}
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < 520*time.Millisecond {
			t.Fatalf("requests %d and %d went %s apart, want at least 520ms", i-1, i, gap)
		}
	}
}

func TestPacerHonoursContext(t *testing.T) {
	p := newPacer(Config{Rate: Rate{N: 1, Per: time.Hour}, WriteRate: Rate{N: 1, Per: time.Hour}})
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.wait(ctx, false); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := p.wait(ctx, false); err != context.Canceled {
		t.Fatalf("wait after cancel = %v, want context.Canceled", err)
	}
}
