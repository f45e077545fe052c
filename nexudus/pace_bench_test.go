package nexudus

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/sandbox"
)

// BenchmarkPacing measures how close the pacing comes to the documented
// limits: for imports of 20, 300 and 3,000 rows (one create each) and
// exports of 10,000, 100,000 and 1,000,000 records (one listing page of
// 1,000 each), against a sandbox enforcing sandbox.DocumentedLimits
// (with the newer 5,000 writes a day, since 2,500 would stop the largest
// import for a day), it reports the least time those limits allow for the
// requests, the time the client took, the first as a share of the second
// (%limit) and the throttles met.
//
// It runs in virtual time: one fake clock drives the sandbox's limits and
// the client's pacing, throttle waits and backoff, and a request takes no
// time, so 3,000 writes at 60 a minute take seconds rather than 50
// minutes. Without network time one caller reaches the pace that the
// importer's four workers reach on a network. scripts/bench-pacing.sh
// prints the figures as a table.
func BenchmarkPacing(b *testing.B) {
	for _, tc := range []struct {
		name   string
		n      int
		export bool
	}{
		{"import-20", 20, false},
		{"import-300", 300, false},
		{"import-3000", 3000, false},
		{"export-10k", 10_000, true},
		{"export-100k", 100_000, true},
		{"export-1M", 1_000_000, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var r pacingRun
			for b.Loop() {
				r = runPacing(b, tc.n, tc.export)
			}
			b.ReportMetric(float64(r.requests), "requests")
			b.ReportMetric(r.least.Seconds(), "least-s")
			b.ReportMetric(r.took.Seconds(), "paced-s")
			b.ReportMetric(100*r.least.Seconds()/r.took.Seconds(), "%limit")
			b.ReportMetric(float64(r.throttles), "throttles")
		})
	}
}

// pacingRun is what one run of BenchmarkPacing measured.
type pacingRun struct {
	requests    int
	least, took time.Duration
	throttles   int64
}

// benchLimits are the limits BenchmarkPacing runs against.
func benchLimits() sandbox.Limits {
	l := sandbox.DocumentedLimits()
	l.WritesPerDay = 5000
	return l
}

// runPacing imports n rows, or exports n records, in virtual time.
func runPacing(b *testing.B, n int, export bool) pacingRun {
	b.Helper()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	limits := benchLimits()
	srv, err := sandbox.New(sandbox.Config{Token: "bench", Limits: limits, Now: clock.now})
	if err != nil {
		b.Fatal(err)
	}
	if export {
		srv.Generate(n, 0)
	}
	ts := httptest.NewServer(srv)
	defer func() { ts.Close(); srv.Close() }()
	var throttles atomic.Int64
	c, err := New(Config{
		BaseURL: ts.URL, HTTPClient: ts.Client(), Token: "bench", PerHour: DocumentedPerHour, DailyWrites: limits.WritesPerDay,
		PaceFile: filepath.Join(b.TempDir(), "pace.json"),
		Now:      clock.now, Sleep: clock.sleep,
		Logf: func(format string, _ ...any) {
			if strings.HasPrefix(format, "throttled") {
				throttles.Add(1)
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := clock.now()
	requests := n
	if export {
		asc := 1
		requests = (n + 999) / 1000
		for page := 1; page <= requests; page++ {
			p, err := c.List(ctx, ListOptions{Page: page, Size: 1000, OrderBy: "Id", Dir: &asc})
			if err != nil {
				b.Fatal(err)
			}
			if len(p.Records) != min(1000, n-(page-1)*1000) {
				b.Fatalf("page %d held %d records", page, len(p.Records))
			}
		}
	} else {
		for i := range n {
			ct := mapping.Contact{CoworkerContractID: 1001, FullName: "Paced Row", ContractContactType: mapping.TypeDirector}
			if _, err := c.Create(ctx, ct); err != nil {
				b.Fatalf("row %d: %v", i, err)
			}
		}
	}
	return pacingRun{requests: requests, least: leastTime(requests, !export, limits), took: clock.now().Sub(start), throttles: throttles.Load()}
}

// leastTime is the least time from the first to the last of n requests
// (writes when write is set) that the sandbox's limits l let through:
// each sent at the first moment they allow.
func leastTime(n int, write bool, l sandbox.Limits) time.Duration {
	sent := make([]time.Duration, n)
	for k := range n {
		var at time.Duration
		if k > 0 {
			at = sent[k-1] + l.MinInterval
		}
		for _, w := range []struct {
			n   int
			per time.Duration
			on  bool
		}{
			{l.PerMinute, time.Minute, true},
			{l.PerHour, time.Hour, true},
			{l.PerDay, 24 * time.Hour, true},
			{l.WritesPerMinute, time.Minute, write},
			{l.WritesPerDay, 24 * time.Hour, write},
		} {
			if w.on && w.n > 0 && k >= w.n {
				at = max(at, sent[k-w.n]+w.per)
			}
		}
		sent[k] = at
	}
	return sent[n-1]
}

// TestLeastTime checks the yardstick of BenchmarkPacing.
func TestLeastTime(t *testing.T) {
	t.Parallel()
	l := benchLimits()
	tests := []struct {
		n     int
		write bool
		want  time.Duration
	}{
		{20, true, 1900 * time.Millisecond},                  // 100 ms apart
		{61, true, time.Minute},                              // the 61st write waits for the first to leave the minute
		{300, true, 4*time.Minute + 5900*time.Millisecond},   // four full minutes, then 60 at 100 ms
		{121, false, time.Minute},                            // the 121st request likewise
		{1000, false, 8*time.Minute + 3900*time.Millisecond}, // 120 a minute
		{5001, false, time.Hour},                             // the hour holds 5,000: the 5,001st waits for the first to leave it
	}
	for _, tc := range tests {
		if got := leastTime(tc.n, tc.write, l); got != tc.want {
			t.Errorf("leastTime(%d, %v) = %s, want %s", tc.n, tc.write, got, tc.want)
		}
	}
}
