package nexudus

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/sandbox"
)

// fakeClock is a clock that only moves when something sleeps on it. With
// one caller at a time it is exact; concurrent sleepers add up, which
// only ever spaces requests further apart.
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
	c.t = c.t.Add(max(d, 0))
	c.mu.Unlock()
	return ctx.Err()
}

// jitteredSandbox runs a sandbox enforcing Nexudus's limits (the hourly
// one scaled down to perHour) on clock, counting each request up to
// jitter after the pacer lets it go, as a network would.
func jitteredSandbox(t *testing.T, clock *fakeClock, perHour int, jitter time.Duration) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	dice := rand.New(rand.NewPCG(1, 2))
	limits := sandbox.DocumentedLimits()
	limits.PerHour = perHour
	limits.WritesPerDay = 0
	srv, err := sandbox.New(sandbox.Config{Token: "tok", Limits: limits, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock.now().Add(time.Duration(dice.Int64N(int64(jitter) + 1)))
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts
}

// TestPacingNeverTripsTheDocumentedLimits runs a client against a sandbox
// enforcing Nexudus's limits (the hourly one scaled down so the test
// crosses it) on a shared fake clock. The sandbox counts each request a
// random 0-4 ms after the pacer lets it go: with the default margin (4 ms
// on the 100 ms interval, 20 ms on each window) it never throttles;
// without a margin the same run is throttled, which shows the test can
// tell.
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
			ts := jitteredSandbox(t, clock, perHour, 4*time.Millisecond)
			var throttled atomic.Int64
			c, err := New(Config{BaseURL: ts.URL, HTTPClient: ts.Client(), Token: "tok", PerHour: perHour, PaceMargin: tc.margin, DailyWrites: -1,
				Now: clock.now, Sleep: clock.sleep, Logf: func(format string, args ...any) {
					if strings.HasPrefix(format, "throttled") {
						throttled.Add(1)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
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

// TestPacingFallsBackToEvenSpacing: a server whose counting jitters by up
// to 20 ms (more than the interval's margin) throttles the first burst;
// the client then says once that it spaces requests evenly, and is not
// throttled again.
func TestPacingFallsBackToEvenSpacing(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	ts := jitteredSandbox(t, clock, 5000, 20*time.Millisecond)
	var mu sync.Mutex
	var events []string
	c, err := New(Config{BaseURL: ts.URL, HTTPClient: ts.Client(), Token: "tok", DailyWrites: -1, Now: clock.now, Sleep: clock.sleep,
		Logf: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case strings.HasPrefix(format, "throttled"):
				events = append(events, "throttled")
			case strings.Contains(format, "spacing requests evenly"):
				events = append(events, "even")
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if _, err := c.List(context.Background(), ListOptions{Size: 1}); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
	}
	got := strings.Join(events, " ")
	if !strings.HasPrefix(got, "throttled even") || strings.Count(got, "even") != 1 || strings.Contains(got, "even throttled") {
		t.Fatalf("events = %q, want one throttle, the note once, and no throttle after it", got)
	}
}

// TestPacerWindows checks when the next request may go: bursts at the
// minimum interval (plus its small margin) until a window is full, then
// when the window's oldest request leaves it (plus the window's margin);
// evenly after a throttle.
func TestPacerWindows(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		cfg       Config
		writes    bool
		throttled bool
		n         int             // requests to send
		want      []time.Duration // when (after t0) the request at each index in at goes
		at        []int
	}{
		{"a burst at 104 ms, then the minute window", Config{}, false, false, 122,
			[]time.Duration{0, 104 * time.Millisecond, 119 * 104 * time.Millisecond, 60*time.Second + 20*time.Millisecond, 60*time.Second + 124*time.Millisecond},
			[]int{0, 1, 119, 120, 121}},
		{"writes: the write window", Config{}, true, false, 61,
			[]time.Duration{59 * 104 * time.Millisecond, 60*time.Second + 20*time.Millisecond}, []int{59, 60}},
		{"the hourly window", Config{Rate: Rate{N: 1000, Per: time.Second}, MinInterval: -1, PerHour: 10}, false, false, 11,
			[]time.Duration{0, time.Hour + 20*time.Millisecond}, []int{9, 10}},
		{"evenly after a throttle", Config{}, false, true, 3,
			[]time.Duration{0, 520 * time.Millisecond, 1040 * time.Millisecond}, []int{0, 1, 2}},
		{"writes evenly after a throttle", Config{}, true, true, 3,
			[]time.Duration{0, 1020 * time.Millisecond, 2040 * time.Millisecond}, []int{0, 1, 2}},
		{"no margin", Config{PaceMargin: -1}, false, false, 121,
			[]time.Duration{100 * time.Millisecond, 60 * time.Second}, []int{1, 120}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			cfg := tc.cfg
			cfg.Now, cfg.Sleep, cfg.DailyWrites = clock.now, clock.sleep, -1
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.throttled {
				c.pacer.throttled(true)
			}
			sent := make([]time.Duration, tc.n)
			for i := range tc.n {
				if _, err := c.pacer.wait(context.Background(), tc.writes); err != nil {
					t.Fatal(err)
				}
				sent[i] = clock.now().Sub(t0)
			}
			for j, i := range tc.at {
				if sent[i] != tc.want[j] {
					t.Errorf("request %d went at %s, want %s", i, sent[i], tc.want[j])
				}
			}
		})
	}
}

// TestPacerConcurrentCallersKeepTheLimits lets several goroutines through
// one pacer on a fake clock and checks every limit on what went.
func TestPacerConcurrentCallersKeepTheLimits(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(0, 0)}
	// The hourly window, larger than the run, keeps every send time.
	p := newPacer(Config{Rate: Rate{N: 120, Per: time.Minute}, MinInterval: 100 * time.Millisecond,
		WriteRate: Rate{N: 60, Per: time.Minute}, PaceMargin: 20 * time.Millisecond, PerHour: 1000,
		Now: clock.now, Sleep: clock.sleep, Logf: t.Logf})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range 100 {
				if _, err := p.wait(context.Background(), w%2 == 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkLimits(t, p.mem.all, 100*time.Millisecond, 120, time.Minute)
	checkLimits(t, p.mem.writes, 0, 60, time.Minute)
	if len(p.mem.all) != 400 || len(p.mem.writes) != 200 {
		t.Fatalf("%d sent, %d writes; want 400 and 200", len(p.mem.all), len(p.mem.writes))
	}
}

// checkLimits fails when two of sent are closer than gap or a window of
// per holds more than n of them.
func checkLimits(t *testing.T, sent []time.Time, gap time.Duration, n int, per time.Duration) {
	t.Helper()
	for i := 1; i < len(sent); i++ {
		if d := sent[i].Sub(sent[i-1]); d < gap {
			t.Fatalf("requests %d and %d went %s apart, want at least %s", i-1, i, d, gap)
		}
		if i >= n {
			if d := sent[i].Sub(sent[i-n]); d <= per {
				t.Fatalf("requests %d to %d went within %s, more than %d in %s", i-n, i, d, n, per)
			}
		}
	}
}

// TestPaceFileIsShared: a second process (a second client on the same
// pace file) starts where the first left the windows, so back-to-back
// runs are not throttled; two at once share them too.
func TestPaceFileIsShared(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	file := PacePath(filepath.Join(t.TempDir(), "state"), "https://spaces.nexudus.com", "ann@example.com")
	cfg := Config{PaceFile: file, DailyWrites: -1, Now: clock.now, Sleep: clock.sleep}
	first, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := clock.now()
	for range 120 {
		if _, err := first.pacer.wait(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	second, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.pacer.wait(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got := clock.now().Sub(t0); got < time.Minute {
		t.Fatalf("the next run's first request went %s after the first run's first, within the minute that held 120", got)
	}
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("pace file: %v, want a 0600 file", err)
	}
	if other := PacePath(filepath.Dir(file), "https://spaces.nexudus.com", "bob@example.com"); other == file {
		t.Error("two users share one pace file")
	}
}

// TestStateFilesAreChecked: New refuses a state folder it cannot write
// and a budget or pace file dated after the clock, naming the file to
// delete.
func TestStateFilesAreChecked(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	future := now.Add(300 * 24 * time.Hour)
	budget := filepath.Join(dir, "writes.json")
	if err := writePrivate(budget, []byte(`{"writes":["`+future.Format(time.RFC3339)+`"]}`)); err != nil {
		t.Fatal(err)
	}
	pace := filepath.Join(dir, "pace.json")
	if err := savePace(pace, paceTimes{all: []time.Time{future}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      Config
		wantErr  string
		wantFile string
	}{
		{"budget folder not writable", Config{BudgetFile: filepath.Join(notADir, "writes.json")}, "cannot be created", ""},
		{"pace folder not writable", Config{PaceFile: filepath.Join(notADir, "pace.json")}, "cannot be created", ""},
		{"budget from the future", Config{BudgetFile: budget}, "later than this machine's clock", budget},
		{"pace from the future", Config{PaceFile: pace}, "later than this machine's clock", pace},
		{"no budget, no budget file", Config{BudgetFile: budget, DailyWrites: -1}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Now = func() time.Time { return now }
			_, err := New(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.wantErr)
			}
			var se *StateError
			if tc.wantFile != "" && (!errors.As(err, &se) || se.Path != tc.wantFile || !strings.Contains(err.Error(), "delete "+tc.wantFile)) {
				t.Errorf("err = %v, want a StateError saying to delete %s", err, tc.wantFile)
			}
		})
	}
}

func TestPacerHonoursContext(t *testing.T) {
	t.Parallel()
	p := newPacer(Config{Rate: Rate{N: 1, Per: time.Hour}, WriteRate: Rate{N: 1, Per: time.Hour}, Now: time.Now, Sleep: sleep})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := p.wait(ctx, false); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := p.wait(ctx, false); err != context.Canceled {
		t.Fatalf("wait after cancel = %v, want context.Canceled", err)
	}
}

// TestPaceFileSharedAtOnce: two processes (two pacers on one pace file)
// sending at once keep the limits together.
func TestPaceFileSharedAtOnce(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	file := filepath.Join(t.TempDir(), "pace.json")
	cfg := Config{PaceFile: file, PerHour: 1000, DailyWrites: -1, Now: clock.now, Sleep: clock.sleep}
	var wg sync.WaitGroup
	for range 2 {
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 150 {
				if _, err := c.pacer.wait(context.Background(), i%2 == 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent, err := loadPace(file)
	if err != nil || len(sent.all) != 300 || len(sent.writes) != 150 {
		t.Fatalf("the pace file holds %d sends and %d writes (%v), want 300 and 150", len(sent.all), len(sent.writes), err)
	}
	// Stored to the millisecond, rounded up: the gaps hold to within it.
	checkLimits(t, sent.all, 103*time.Millisecond, 120, time.Minute)
	checkLimits(t, sent.writes, 0, 60, time.Minute)
}

// TestStateFolderCheckLeavesNothing: New makes sure the state folder can
// be written without leaving a file there: a lock file left behind would
// be taken for a held lock, for ten seconds, where locks are files
// (builds without flock(2), such as Windows).
func TestStateFolderCheckLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	if _, err := New(Config{BudgetFile: BudgetPath(dir, DefaultBaseURL), PaceFile: PacePath(dir, DefaultBaseURL, "ann@example.com")}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("state folder after New: %v, %v; want it made and empty", entries, err)
	}
}
