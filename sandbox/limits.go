package sandbox

import (
	"sort"
	"time"
)

// window holds one client's recent accepted requests, oldest first, for
// sliding-window rate limits.
type window struct {
	all    []time.Time // every accepted request of the last day
	writes []time.Time // accepted writes of the last day
}

// allow reports whether the client with this key may make a request now
// and, when it may, counts the request. A refused request counts for nothing.
func (s *Server) allow(key string, write bool) bool {
	l := s.limits
	if l.Off {
		return true
	}
	now := s.now()
	s.authMu.Lock()
	defer s.authMu.Unlock()
	win := s.throttle[key]
	if win == nil {
		win = &window{}
		s.throttle[key] = win
	}
	win.all = prune(win.all, now.Add(-24*time.Hour))
	win.writes = prune(win.writes, now.Add(-24*time.Hour))
	if l.MinInterval > 0 {
		if n := len(win.all); n > 0 && now.Sub(win.all[n-1]) < l.MinInterval || s.otherApp(now, l.MinInterval) > 0 {
			return false
		}
	}
	if over(win.all, now, time.Minute, l.PerMinute, s.otherApp(now, time.Minute)) ||
		over(win.all, now, time.Hour, l.PerHour, s.otherApp(now, time.Hour)) ||
		over(win.all, now, 24*time.Hour, l.PerDay, s.otherApp(now, 24*time.Hour)) {
		return false
	}
	if write && (over(win.writes, now, time.Minute, l.WritesPerMinute, 0) || over(win.writes, now, 24*time.Hour, l.WritesPerDay, 0)) {
		return false
	}
	win.all = append(win.all, now)
	if write {
		win.writes = append(win.writes, now)
	}
	return true
}

// over reports whether ts and others (requests made by someone else with
// the same credentials) already hold limit requests in the window of
// length d ending now; a zero limit is no limit.
func over(ts []time.Time, now time.Time, d time.Duration, limit, others int) bool {
	if limit <= 0 {
		return false
	}
	since := now.Add(-d)
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(since) })
	return len(ts)-i+others >= limit
}

// otherApp returns how many requests Behaviour.OtherApp's integration made
// in the window of length d ending now: evenly spaced from the start, the
// first one interval after it.
func (s *Server) otherApp(now time.Time, d time.Duration) int {
	perMinute := s.cfg.Behaviour.OtherApp
	if perMinute <= 0 {
		return 0
	}
	every := time.Minute / time.Duration(perMinute)
	upTo := func(t time.Time) int64 {
		if t.Before(s.started) {
			return 0
		}
		return int64(t.Sub(s.started) / every)
	}
	return int(upTo(now) - upTo(now.Add(-d)))
}

// prune drops the times not after cutoff, reusing ts's storage.
func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(cutoff) })
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}
