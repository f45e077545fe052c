package importer

import (
	"strings"
	"testing"
	"time"
)

func TestProgressEstimate(t *testing.T) {
	tests := []struct {
		name        string
		done, total int
		elapsed     time.Duration
		pace        float64
		wantRate    float64
		wantLeft    time.Duration
	}{
		{"start: the pacing", 0, 500, 0, 1, 1, 500 * time.Second},
		{"too early to trust what was seen", 2, 500, time.Second, 1, 1, 498 * time.Second},
		{"slower than the pacing", 120, 500, 240 * time.Second, 1, 0.5, 760 * time.Second},
		{"a burst faster than the pacing", 40, 500, 4 * time.Second, 1, 1, 460 * time.Second},
		{"no pacing known", 10, 20, 5 * time.Second, 0, 2, 5 * time.Second},
		{"nothing known", 0, 20, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rate, left := estimate(tc.done, tc.total, tc.elapsed, tc.pace)
			if rate != tc.wantRate || left != tc.wantLeft {
				t.Errorf("estimate = %v rows/s, %v left; want %v, %v", rate, left, tc.wantRate, tc.wantLeft)
			}
		})
	}
}

func TestProgressLogLine(t *testing.T) {
	var out strings.Builder
	p := startProgress(&out, false, 500, 1, time.Hour)
	p.mu.Lock()
	start := p.start
	p.now = func() time.Time { return start.Add(120 * time.Second) }
	p.mu.Unlock()
	for range 120 {
		p.add()
	}
	p.mu.Lock()
	line := p.lineLocked()
	p.mu.Unlock()
	p.finish()
	if want := "120/500 rows, 1.0 rows/s, about 6m20s left"; line != want {
		t.Errorf("log line %q, want %q", line, want)
	}
	if out.Len() != 0 {
		t.Errorf("log lines written before their interval: %q", out.String())
	}
}

func TestProgressBar(t *testing.T) {
	var out strings.Builder
	p := startProgress(&out, true, 3, 1, time.Hour)
	for range 3 {
		p.add()
	}
	p.finish()
	if got := out.String(); !strings.Contains(got, "3/3") || !strings.Contains(got, "rows") || !strings.Contains(got, "left") {
		t.Errorf("progress bar output %q lacks the count, the rate or the time left", got)
	} else if !strings.HasSuffix(got, "\n") {
		t.Errorf("a finished bar does not end its line: %q", got)
	}

	// A run that stops early keeps its bar and ends the line.
	out.Reset()
	p = startProgress(&out, true, 5, 1, time.Hour)
	p.add()
	p.finish()
	if got := out.String(); !strings.Contains(got, "1/5") || !strings.HasSuffix(got, "\n") {
		t.Errorf("a stopped bar: %q, want 1/5 and an ended line", got)
	}

	out.Reset()
	p = startProgress(&out, true, 0, 1, time.Hour)
	p.finish()
	p = startProgress(&out, false, 0, 1, time.Millisecond)
	p.finish()
	if out.Len() != 0 {
		t.Errorf("progress shown for nothing to do: %q", out.String())
	}
}

// TestProgressBarBurst shows, after a burst of 50 rows in the first
// second, the pacing's rate in rows/s and the time left at that rate:
// never the burst's rate, never another unit.
func TestProgressBarBurst(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	p := startProgress(&out, true, 100, 1, time.Hour)
	p.mu.Lock()
	start := p.start
	p.now = func() time.Time { return start.Add(time.Second) }
	p.mu.Unlock()
	for range 50 {
		p.add()
	}
	p.finish()
	got := out.String()
	if !strings.Contains(got, "50/100") || !strings.Contains(got, "1.0 rows/s, about 50s left") {
		t.Errorf("bar after a burst: %q, want 50/100 at the pacing's 1.0 rows/s", got)
	}
	for _, bad := range []string{"it/s", "rows/min", "it/min", "50.0 rows/s"} {
		if strings.Contains(got, bad) {
			t.Errorf("bar shows %q: %q", bad, got)
		}
	}
}
