package nexudus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"contactbulk/safefile"
)

// pacer lets requests go as fast as the server's limits allow and no
// faster. Nexudus counts requests in sliding windows as they arrive (N a
// minute, N an hour, writes N a minute) and refuses one that comes less
// than a minimum interval after the last. The pacer keeps the send times
// of the longest window and lets a request go when it is at least the
// minimum interval after the previous one and every window it counts in
// holds fewer than its limit: bursts within a window are allowed, with
// no even spacing.
//
// The server counts a request a little after the pacer lets it go, and
// not always by the same delay, so each window is made longer by a margin
// (20 ms by default: it costs 0.03% of a minute) and the minimum interval
// by a smaller one (at most a twenty-fifth of it, 4 ms for 100 ms, so that
// a burst keeps 96% of the allowed pace). If the server throttles all the
// same, its counting differs from ours: the pacer then spaces requests
// evenly for the rest of the run (Per/N of each rate plus the full
// margin), which no window can exceed, and says so once.
//
// With a state file the send times are shared, under a file lock, by
// every process pacing requests to the same URL as the same user, so
// that runs one after the other (or at once) stay within the limits
// together.
type pacer struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	logf  func(string, ...any)

	gap     time.Duration // least time between two requests, margin included
	windows []paceWindow
	keep    time.Duration // how long send times matter: the longest window plus its margin

	evenGap, evenWriteGap time.Duration // the spacing after a throttle

	mu        sync.Mutex
	even      bool      // a burst was throttled: space requests evenly
	mem       paceTimes // the send times when there is no file
	file      string    // the shared state file, "" for none
	fileError bool      // the file failed mid-run: pacing goes on in memory
}

// paceWindow is one sliding-window limit: at most n requests (writes
// only, when writes is set) in any span of per, which the pacer treats as
// per plus margin.
type paceWindow struct {
	n      int
	per    time.Duration
	margin time.Duration
	writes bool
}

// paceTimes are the send times that still count in some window, oldest
// first.
type paceTimes struct {
	all, writes []time.Time
}

// defaultPaceMargin is added to each window when Config.PaceMargin is 0.
const defaultPaceMargin = 20 * time.Millisecond

// newPacer returns the pacer for a validated, defaulted cfg.
func newPacer(cfg Config) *pacer {
	margin := max(cfg.PaceMargin, 0)
	windowMargin := func(per time.Duration) time.Duration { return min(margin, per/4) }
	p := &pacer{now: cfg.Now, sleep: cfg.Sleep, logf: cfg.Logf, file: cfg.PaceFile}
	if cfg.MinInterval > 0 {
		p.gap = cfg.MinInterval + min(margin, cfg.MinInterval/25)
		p.evenGap = cfg.MinInterval + windowMargin(cfg.MinInterval)
	}
	// Even spacing covers the rates; the hourly limit stays a window,
	// which spacing it evenly would slow for nothing.
	add := func(n int, per time.Duration, writes, spaced bool) {
		if n <= 0 || per <= 0 {
			return
		}
		w := paceWindow{n: n, per: per, margin: windowMargin(per), writes: writes}
		p.windows = append(p.windows, w)
		p.keep = max(p.keep, per+w.margin)
		if !spaced {
			return
		}
		even := per/time.Duration(n) + min(margin, per/time.Duration(n)/4)
		if writes {
			p.evenWriteGap = max(p.evenWriteGap, even)
		} else {
			p.evenGap = max(p.evenGap, even)
		}
	}
	add(cfg.Rate.N, cfg.Rate.Per, false, true)
	add(cfg.PerHour, time.Hour, false, false)
	add(cfg.WriteRate.N, cfg.WriteRate.Per, true, true)
	return p
}

// wait returns when a request (a write when write is set) may go, and
// counts it as gone; burst reports that it went sooner after the one
// before than even spacing would have let it. It returns ctx's error if
// ctx ends first.
func (p *pacer) wait(ctx context.Context, write bool) (burst bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		at, burst := p.take(write)
		if at.IsZero() {
			return burst, nil
		}
		if err := p.sleep(ctx, at.Sub(p.now())); err != nil {
			return false, err
		}
	}
}

// take counts a request as sent now and returns the zero time (and
// whether it is part of a burst) when the limits allow it, else returns
// when they will.
func (p *pacer) take(write bool) (at time.Time, burst bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.file == "" || p.fileError {
		return p.takeFrom(&p.mem, write)
	}
	err := p.update(func(t *paceTimes) bool {
		at, burst = p.takeFrom(t, write)
		return at.IsZero()
	})
	if err != nil {
		// A state file that fails mid-run must not fail requests: pace
		// this process alone from here on.
		p.fileError = true
		p.logf("cannot keep the pacing windows in %s (%v); pacing this run alone", p.file, err)
		return p.takeFrom(&p.mem, write)
	}
	return at, burst
}

// takeFrom is take over the send times t; call with mu held.
func (p *pacer) takeFrom(t *paceTimes, write bool) (time.Time, bool) {
	now := p.now()
	t.prune(now.Add(-p.keep))
	if at := p.earliest(t, write); at.After(now) {
		return at, false
	}
	burst := len(t.all) > 0 && now.Sub(t.all[len(t.all)-1]) < p.evenGap ||
		write && len(t.writes) > 0 && now.Sub(t.writes[len(t.writes)-1]) < p.evenWriteGap
	t.all = append(t.all, now)
	if write {
		t.writes = append(t.writes, now)
	}
	return time.Time{}, burst
}

// earliest returns when the next request (a write when write is set) may
// go, given the send times t: the zero time when it may go at once.
func (p *pacer) earliest(t *paceTimes, write bool) time.Time {
	var at time.Time
	later := func(x time.Time) {
		if x.After(at) {
			at = x
		}
	}
	if n := len(t.all); n > 0 {
		later(t.all[n-1].Add(p.gap))
		if p.even {
			later(t.all[n-1].Add(p.evenGap))
		}
	}
	if n := len(t.writes); write && p.even && n > 0 {
		later(t.writes[n-1].Add(p.evenWriteGap))
	}
	for _, w := range p.windows {
		ts := t.all
		if w.writes {
			if !write {
				continue
			}
			ts = t.writes
		}
		if len(ts) >= w.n {
			// The oldest of the last n leaves the window first.
			later(ts[len(ts)-w.n].Add(w.per + w.margin))
		}
	}
	return at
}

// throttled tells the pacer that the server throttled a request. When
// the request went in a burst (see wait), the server counts differently
// from the pacer: from now on it spaces requests evenly, and says so the
// first time. A request already spaced evenly was throttled for another
// reason (another application's requests, a spent quota), which even
// spacing would not cure.
func (p *pacer) throttled(burst bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.even || !burst {
		return
	}
	p.even = true
	detail := fmt.Sprintf("one every %s", p.evenGap)
	if p.evenWriteGap > 0 {
		detail += fmt.Sprintf(", a write every %s", p.evenWriteGap)
	}
	p.logf("the server throttled a request the pacing allowed; spacing requests evenly for the rest of the run (%s)", detail)
}

// prune drops the send times before cutoff.
func (t *paceTimes) prune(cutoff time.Time) {
	drop := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && ts[i].Before(cutoff) {
			i++
		}
		return ts[i:]
	}
	t.all, t.writes = drop(t.all), drop(t.writes)
}

// PacePath returns the file, under dir, that holds the pacing windows for
// requests to baseURL as user (an email, or any name for a fixed token).
func PacePath(dir, baseURL, user string) string {
	return filepath.Join(dir, "pace-"+keyOf(baseURL+"\n"+user)+".json")
}

// paceFile is the persisted form of paceTimes: milliseconds, each from
// the one before it (the first from Base), so that an hour of requests
// stays small.
type paceFile struct {
	Version int     `json:"version"`
	Base    int64   `json:"base"` // Unix milliseconds
	All     []int64 `json:"all"`
	Writes  []int64 `json:"writes"`
}

// update runs fn on the send times in the state file under its lock, and
// saves what fn leaves when it reports a change.
func (p *pacer) update(fn func(*paceTimes) bool) error {
	unlock, err := safefile.Lock(p.file + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	t, err := loadPace(p.file)
	if err != nil {
		return err
	}
	// A time ahead of the clock (set back since) would hold requests
	// until then: count it as sent now. New refuses a file far ahead.
	now := p.now()
	for _, ts := range [][]time.Time{t.all, t.writes} {
		for i := range ts {
			if ts[i].After(now) {
				ts[i] = now
			}
		}
	}
	if !fn(&t) {
		return nil
	}
	return savePace(p.file, t)
}

// loadPace reads the state file at path; a missing or damaged file is no
// send times (the server's throttling still guards the limits).
func loadPace(path string) (paceTimes, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return paceTimes{}, nil
	}
	if err != nil {
		return paceTimes{}, err
	}
	var f paceFile
	if json.Unmarshal(raw, &f) != nil || f.Version != 1 {
		return paceTimes{}, nil
	}
	undelta := func(ds []int64) []time.Time {
		out := make([]time.Time, len(ds))
		ms := f.Base
		for i, d := range ds {
			ms += d
			out[i] = time.UnixMilli(ms)
		}
		return out
	}
	return paceTimes{all: undelta(f.All), writes: undelta(f.Writes)}, nil
}

// savePace writes t to path in place: only holders of the lock read it,
// and a file torn by a crash reads as empty.
func savePace(path string, t paceTimes) error {
	f := paceFile{Version: 1}
	if len(t.all) > 0 {
		f.Base = ceilMilli(t.all[0])
	}
	delta := func(ts []time.Time) []int64 {
		out := make([]int64, len(ts))
		prev := f.Base
		for i, x := range ts {
			ms := max(ceilMilli(x), prev) // rounded up: never earlier than sent
			out[i] = ms - prev
			prev = ms
		}
		return out
	}
	f.All = delta(t.all)
	f.Writes = delta(t.writes)
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// ceilMilli is t in Unix milliseconds, rounded up.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// gate spaces the moments requests are written on the wire by the pacer's
// least gap. The pacer lets requests go at least that far apart, but what
// a request does between being let go and being written (a journal line
// synced to disk, a connection dialled, a token refreshed) varies, so a
// request let go later could reach the server first and break the
// server's minimum interval. Passing the gate, just as a request has its
// connection, takes the next write slot and waits for it.
type gate struct {
	gap   time.Duration
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu   sync.Mutex
	next time.Time // the earliest the next request may be written
}

// pass waits for this request's write slot, or until ctx ends.
func (g *gate) pass(ctx context.Context) {
	if g == nil || g.gap <= 0 {
		return
	}
	g.mu.Lock()
	now := g.now()
	slot := now
	if g.next.After(now) {
		slot = g.next
	}
	g.next = slot.Add(g.gap)
	g.mu.Unlock()
	_ = g.sleep(ctx, slot.Sub(now)) // an ended ctx ends the request anyway
}
