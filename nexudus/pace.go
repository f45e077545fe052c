package nexudus

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer lets requests go so that the server, counting them as they arrive,
// never sees more than a limit allows. The spacings are token buckets of
// one token (x/time/rate); the hourly limit is a sliding window, which a
// token bucket cannot keep without giving up throughput.
//
// Nexudus counts requests in sliding windows (N per minute, per hour) and
// refuses one that comes less than a minimum interval after the last. The
// pacer spaces consecutive requests by the longer of the minimum interval
// and Per/N of the rate, and consecutive writes by Per/N of the write rate;
// N+1 requests so spaced span more than Per, so no window of length Per
// holds more than N. Every spacing gets a margin on top, because the server
// counts a request a little after the pacer lets it go, and not always by
// the same delay: with margin m, a spacing survives up to m of that jitter,
// and a window of N requests up to N*m. An optional hourly window is kept
// as a record of the last PerHour send times, for limits that a steady
// per-minute pace would exceed if sustained (5,000/h against 120/min).
type pacer struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu     sync.Mutex
	all    *rate.Limiter // spacing of any two requests, margin included
	writes *rate.Limiter // spacing of two writes, margin included
	hourly window        // all requests in any hour; N == 0 for none
}

// window is the send times of the last N requests under a limit of N per
// Per, kept in a ring.
type window struct {
	N      int
	Per    time.Duration
	margin time.Duration
	times  []time.Time // grows to N; times[next] is then the oldest
	next   int
}

// defaultPaceMargin is added to each spacing when Config.PaceMargin is 0.
const defaultPaceMargin = 20 * time.Millisecond

// spacing is the interval between consecutive requests that keeps n per
// per, plus the margin; the margin is at most a quarter of the interval,
// so fast test rates stay fast.
func spacing(n int, per, margin time.Duration) time.Duration {
	if n <= 0 || per <= 0 {
		return 0
	}
	d := per / time.Duration(n)
	return d + min(margin, d/4)
}

// newPacer returns the pacer for a validated, defaulted cfg.
func newPacer(cfg Config) *pacer {
	margin := max(cfg.PaceMargin, 0)
	gap := spacing(cfg.Rate.N, cfg.Rate.Per, margin)
	if cfg.MinInterval > 0 {
		gap = max(gap, spacing(1, cfg.MinInterval, margin))
	}
	return &pacer{
		all:    spaced(gap),
		writes: spaced(spacing(cfg.WriteRate.N, cfg.WriteRate.Per, margin)),
		hourly: window{N: max(cfg.PerHour, 0), Per: time.Hour, margin: margin},
		now:    time.Now,
		sleep:  sleep,
	}
}

// spaced returns a limiter that lets one request go every gap, the first
// at once; no limit when gap is 0.
func spaced(gap time.Duration) *rate.Limiter {
	if gap <= 0 {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return rate.NewLimiter(rate.Every(gap), 1)
}

// delay returns how long from now until lim has a token.
func delay(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || lim.Limit() == rate.Inf {
		return 0
	}
	return time.Duration(missing / float64(lim.Limit()) * float64(time.Second))
}

// wait returns when a request (a write when write is set) may go, and
// counts it as gone; it returns ctx's error if ctx ends first.
func (p *pacer) wait(ctx context.Context, write bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := p.now()
		wait := p.delay(now, write)
		if wait <= 0 {
			p.all.AllowN(now, 1)
			if write {
				p.writes.AllowN(now, 1)
			}
			p.hourly.add(now)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		if err := p.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// delay returns how long from now until the next request may go; call
// with mu held.
func (p *pacer) delay(now time.Time, write bool) time.Duration {
	d := delay(p.all, now)
	if write {
		d = max(d, delay(p.writes, now))
	}
	if at := p.hourly.earliest(); at.After(now) {
		d = max(d, at.Sub(now))
	}
	return d
}

// earliest returns when one more request fits in the window: the oldest
// of the last N plus the window's length and margin, or the zero time
// while fewer than N went.
func (w *window) earliest() time.Time {
	if w.N == 0 || len(w.times) < w.N {
		return time.Time{}
	}
	return w.times[w.next].Add(w.Per + w.margin)
}

// add records a request sent at t.
func (w *window) add(t time.Time) {
	switch {
	case w.N == 0:
	case len(w.times) < w.N:
		w.times = append(w.times, t)
	default:
		w.times[w.next] = t
		w.next = (w.next + 1) % w.N
	}
}
