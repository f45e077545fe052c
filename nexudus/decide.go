package nexudus

import (
	"net/http"
	"time"
)

// kind is what sending a request again would do.
type kind int

const (
	// kindRead changes nothing: it may be sent again whatever happened.
	kindRead kind = iota
	// kindWrite creates, changes or deletes a record: once it may have
	// reached the server it is never sent again, and an unknown outcome
	// is reported (ErrAmbiguous) for the caller to check.
	kindWrite
	// kindGrant asks /api/token for tokens: like a write it is never sent
	// again once it may have arrived (a refresh token is spent by its
	// first use), but an unknown outcome is a plain error.
	kindGrant
)

// transport is how an attempt ended when no HTTP answer came back.
type transport int

const (
	answered   transport = iota // an HTTP answer came back (status is set)
	notSent                     // failed before the request was written: dial refused, unreachable, DNS
	lost                        // written, then no answer: connection reset, EOF, timeout
	redirected                  // the answer was a redirect the client refused to follow
	fatal                       // not sent, and sending again cannot help (a certificate the client refuses)
)

// attempt is everything decide knows about the attempt that just ended
// and the call it belongs to.
type attempt struct {
	kind       kind
	transport  transport
	status     int           // the HTTP status when transport is answered
	retryAfter time.Duration // the answer's Retry-After, when it had one
	hasRetry   bool          // the answer carried a Retry-After
	cancelled  bool          // the caller's context ended during an attempt that got no answer

	retries     int           // backoff retries so far in this call
	waits       int           // throttle waits so far in this call
	throttled   time.Duration // how long the call has been throttled without a break
	unreachable time.Duration // how long attempts have failed before being written, without a break
	refreshed   bool          // the call already refreshed the login once
	canRefresh  bool          // a refresh token is at hand and the call sends credentials
}

// limits are the bounds decide applies, from Config.
type limits struct {
	maxRetries     int
	maxWaits       int // 0: no bound
	maxThrottled   time.Duration
	maxUnreachable time.Duration
	maxRetryAfter  time.Duration
	backoffBase    time.Duration
	backoffMax     time.Duration
}

// action is what the request loop does next.
type action int

const (
	actDone        action = iota // a 2xx: return the body
	actBackoff                   // wait (exponential backoff) and send again
	actWait                      // wait what the server asked (Retry-After) and send again
	actRefresh                   // renew the login, then send again
	actStop                      // return the answer's error (or the transport's)
	actAmbiguous                 // the request may have taken effect: report, never send again
	actCancelled                 // the caller gave up before the request could have arrived
	actUnreachable               // stop: the server cannot be reached (ErrUnreachable)
	actThrottled                 // stop: throttled for too long (*ThrottledError)
)

// decision is decide's answer: what to do, and how long to wait first
// (before jitter) for actBackoff and actWait.
type decision struct {
	act  action
	wait time.Duration
}

// decide is the request loop's whole policy, a pure function of the
// attempt that just ended. The exactly-once rules it keeps:
//
//   - A write (or token grant) that may have reached the server is never
//     sent again by the client: a lost answer, a timeout, a 5xx other than
//     a 503 that says when to come back, or a cancel after writing are
//     reported as ambiguous. One never sent (refused before writing, a
//     certificate refused, a redirect refused) never is.
//   - A request never written (dial refused, unreachable) is sent again,
//     whatever its kind, until MaxRetries or MaxUnreachable: then the
//     server is unreachable, a run stopper.
//   - Reads are sent again after a lost answer or a 500/502/503/504, with
//     backoff, up to MaxRetries.
//   - 409 and 429 (throttling) and a 503 with Retry-After mean the server
//     did not act: wait Retry-After (1 s when absent, at most
//     MaxRetryAfter) and send again, until the call has been throttled for
//     MaxThrottled (or MaxThrottleWaits waits, when set).
//   - 401 refreshes the login once per call when a refresh token is at
//     hand; 403 and every other status stop at once.
func decide(a attempt, l limits) decision {
	// Only a request written and then lost may have taken effect: one
	// never sent (notSent, fatal) is cancelled when the caller gave up,
	// and a refused redirect stops the call whatever the caller did.
	switch a.transport {
	case notSent:
		switch {
		case a.cancelled:
			return decision{act: actCancelled}
		case a.retries >= l.maxRetries || a.unreachable >= l.maxUnreachable:
			return decision{act: actUnreachable}
		}
		return decision{act: actBackoff, wait: backoffWait(a.retries+1, l)}
	case lost:
		switch {
		case a.kind != kindRead:
			return decision{act: actAmbiguous}
		case a.cancelled:
			return decision{act: actCancelled}
		case a.retries >= l.maxRetries:
			return decision{act: actStop}
		}
		return decision{act: actBackoff, wait: backoffWait(a.retries+1, l)}
	case fatal:
		if a.cancelled {
			return decision{act: actCancelled}
		}
		return decision{act: actStop}
	case redirected:
		return decision{act: actStop}
	}
	s := a.status
	switch {
	case s >= 200 && s < 300:
		return decision{act: actDone}
	case s == http.StatusConflict || s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable && a.hasRetry:
		if l.maxWaits > 0 && a.waits >= l.maxWaits || a.throttled >= l.maxThrottled {
			return decision{act: actThrottled}
		}
		wait := time.Second
		if a.hasRetry {
			wait = max(a.retryAfter, 0)
		}
		return decision{act: actWait, wait: min(wait, l.maxRetryAfter)}
	case s == http.StatusUnauthorized:
		if a.canRefresh && !a.refreshed {
			return decision{act: actRefresh}
		}
		return decision{act: actStop}
	case s >= 500 && a.kind != kindRead:
		return decision{act: actAmbiguous}
	case retryable(s) && a.retries < l.maxRetries:
		return decision{act: actBackoff, wait: backoffWait(a.retries+1, l)}
	}
	return decision{act: actStop}
}

// retryable reports whether a read answered with status may be sent again.
func retryable(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoffWait is the wait before retry n: BackoffBase doubled n-1 times,
// at most BackoffMax.
func backoffWait(n int, l limits) time.Duration {
	d := l.backoffBase << min(n-1, 20)
	if d <= 0 || d > l.backoffMax {
		d = l.backoffMax
	}
	return d
}
