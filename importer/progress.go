package importer

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows how far the creates have got: a bar on a terminal, else a
// log line every few seconds. It counts rows done (add is called when a
// row is finished, whatever its outcome), shows one rate in one unit
// (rows/s) and takes its ETA from the pacing: rows that come faster than
// the pacing allows in the long run (the first second's burst) never
// shorten it, rows that come slower lengthen it.
type progress struct {
	w     io.Writer
	total int
	pace  float64 // expected rows per second; 0 unknown
	start time.Time
	now   func() time.Time

	mu   sync.Mutex
	done int
	bar  *progressbar.ProgressBar

	stop chan struct{}
	wg   sync.WaitGroup
}

// startProgress begins showing progress of total rows on w. Nothing is
// shown when total is 0 or w is io.Discard.
func startProgress(w io.Writer, terminal bool, total int, pace float64, every time.Duration) *progress {
	p := &progress{w: w, total: total, pace: pace, start: time.Now(), now: time.Now, stop: make(chan struct{})}
	if total == 0 || w == io.Discard {
		return p
	}
	if terminal {
		// The bar's own rate and prediction are off: they flip between
		// units and count from the first burst. The description carries
		// ours.
		rate, left := estimate(0, total, 0, pace)
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(barText(rate, left)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				fmt.Fprintln(p.w, p.lineLocked())
				p.mu.Unlock()
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// add counts one row finished.
func (p *progress) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.bar != nil {
		rate, left := estimate(p.done, p.total, p.now().Sub(p.start), p.pace)
		p.bar.Describe(barText(rate, left)) // for the count Add shows
		p.bar.Add(1)
	}
}

// finish stops the log lines and leaves the bar as it stands.
func (p *progress) finish() {
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && p.done < p.total {
		p.bar.Exit() // a stopped run: keep the bar as it stands and end its line
	}
}

// lineLocked is the log line: "120/500 rows, 1.0 rows/s, about 6m20s left".
func (p *progress) lineLocked() string {
	rate, left := estimate(p.done, p.total, p.now().Sub(p.start), p.pace)
	return progressLine(p.done, p.total, rate, left)
}

func progressLine(done, total int, rate float64, left time.Duration) string {
	return fmt.Sprintf("%d/%d rows, %s", done, total, barText(rate, left))
}

// barText is the rate and the time left: "1.0 rows/s, about 6m20s left".
func barText(rate float64, left time.Duration) string {
	if rate <= 0 {
		return "rows/s not known yet"
	}
	return fmt.Sprintf("%.1f rows/s, about %s left", rate, roundLeft(left))
}

// estimate returns the rate to expect and the time left. Early on, or when
// the rows came faster than the pacing allows in the long run (a burst at the
// start), it goes by the pacing; then by what was seen.
func estimate(done, total int, elapsed time.Duration, pace float64) (rate float64, left time.Duration) {
	rate = pace
	if done >= 3 && elapsed >= 2*time.Second {
		seen := float64(done) / elapsed.Seconds()
		if pace <= 0 || seen < pace {
			rate = seen
		}
	}
	if rate <= 0 {
		return 0, 0
	}
	return rate, time.Duration(float64(total-done) / rate * float64(time.Second))
}

// roundLeft prints a time left to the second (to the minute beyond an hour).
func roundLeft(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}
