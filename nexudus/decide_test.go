package nexudus

import (
	"testing"
	"time"
)

// TestDecide states the request loop's rules, the exactly-once ones
// first: what happens after each kind of attempt, for each kind of
// request.
func TestDecide(t *testing.T) {
	t.Parallel()
	l := limits{maxRetries: 5, maxThrottled: 5 * time.Minute, maxUnreachable: time.Minute,
		maxRetryAfter: time.Minute, backoffBase: 500 * time.Millisecond, backoffMax: 30 * time.Second}
	answer := func(k kind, status int) attempt { return attempt{kind: k, status: status} }
	with := func(a attempt, f func(*attempt)) attempt { f(&a); return a }
	tests := []struct {
		name string
		a    attempt
		want decision
	}{
		// A write that may have arrived is never sent again by the client.
		{"write: connection lost after writing", attempt{kind: kindWrite, transport: lost}, decision{act: actAmbiguous}},
		{"write: 500", answer(kindWrite, 500), decision{act: actAmbiguous}},
		{"write: 502", answer(kindWrite, 502), decision{act: actAmbiguous}},
		{"write: 504", answer(kindWrite, 504), decision{act: actAmbiguous}},
		{"write: 503 without Retry-After", answer(kindWrite, 503), decision{act: actAmbiguous}},
		{"write: cancelled after writing", attempt{kind: kindWrite, transport: lost, cancelled: true}, decision{act: actAmbiguous}},
		{"grant: connection lost after writing", attempt{kind: kindGrant, transport: lost}, decision{act: actAmbiguous}},
		{"grant: 500", answer(kindGrant, 500), decision{act: actAmbiguous}},
		// A request never written is sent again, whatever its kind.
		{"write: dial refused", attempt{kind: kindWrite, transport: notSent}, decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"write: dial refused again", attempt{kind: kindWrite, transport: notSent, retries: 2}, decision{act: actBackoff, wait: 2 * time.Second}},
		{"read: dial refused", attempt{kind: kindRead, transport: notSent}, decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"write: cancelled before writing", attempt{kind: kindWrite, transport: notSent, cancelled: true}, decision{act: actCancelled}},
		// A write never sent is never of unknown outcome, cancelled or not.
		{"write: certificate refused, cancelled", attempt{kind: kindWrite, transport: fatal, cancelled: true}, decision{act: actCancelled}},
		{"grant: certificate refused, cancelled", attempt{kind: kindGrant, transport: fatal, cancelled: true}, decision{act: actCancelled}},
		{"write: redirect refused, cancelled", attempt{kind: kindWrite, transport: redirected, cancelled: true}, decision{act: actStop}},
		{"grant: redirect refused, cancelled", attempt{kind: kindGrant, transport: redirected, cancelled: true}, decision{act: actStop}},
		{"grant: cancelled after writing", attempt{kind: kindGrant, transport: lost, cancelled: true}, decision{act: actAmbiguous}},
		// ... but not for ever: an unreachable server stops the call.
		{"unreachable after the retries", attempt{kind: kindWrite, transport: notSent, retries: 5}, decision{act: actUnreachable}},
		{"unreachable for too long", attempt{kind: kindRead, transport: notSent, retries: 1, unreachable: time.Minute}, decision{act: actUnreachable}},
		{"backoff doubles", attempt{kind: kindRead, transport: notSent, retries: 4}, decision{act: actBackoff, wait: 8 * time.Second}},
		// Reads are sent again.
		{"read: connection lost", attempt{kind: kindRead, transport: lost}, decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"read: 500", answer(kindRead, 500), decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"read: 502", answer(kindRead, 502), decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"read: 504", answer(kindRead, 504), decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"read: 503 without Retry-After", answer(kindRead, 503), decision{act: actBackoff, wait: 500 * time.Millisecond}},
		{"read: cancelled", attempt{kind: kindRead, transport: lost, cancelled: true}, decision{act: actCancelled}},
		{"read: lost after the retries", attempt{kind: kindRead, transport: lost, retries: 5}, decision{act: actStop}},
		{"read: 500 after the retries", with(answer(kindRead, 500), func(a *attempt) { a.retries = 5 }), decision{act: actStop}},
		// Throttling means the server did not act: wait Retry-After.
		{"write: 409", with(answer(kindWrite, 409), func(a *attempt) { a.retryAfter, a.hasRetry = 2*time.Second, true }), decision{act: actWait, wait: 2 * time.Second}},
		{"write: 429", with(answer(kindWrite, 429), func(a *attempt) { a.retryAfter, a.hasRetry = time.Second, true }), decision{act: actWait, wait: time.Second}},
		{"read: 409 without Retry-After", answer(kindRead, 409), decision{act: actWait, wait: time.Second}},
		{"write: 503 with Retry-After", with(answer(kindWrite, 503), func(a *attempt) { a.retryAfter, a.hasRetry = 30*time.Second, true }), decision{act: actWait, wait: 30 * time.Second}},
		{"read: 503 with Retry-After", with(answer(kindRead, 503), func(a *attempt) { a.retryAfter, a.hasRetry = 5*time.Second, true }), decision{act: actWait, wait: 5 * time.Second}},
		{"Retry-After is capped", with(answer(kindRead, 409), func(a *attempt) { a.retryAfter, a.hasRetry = time.Hour, true }), decision{act: actWait, wait: time.Minute}},
		{"Retry-After 0", with(answer(kindRead, 429), func(a *attempt) { a.hasRetry = true }), decision{act: actWait}},
		// ... but a throttle that lasts stops the call.
		{"throttled too long", with(answer(kindWrite, 409), func(a *attempt) { a.throttled = 5 * time.Minute }), decision{act: actThrottled}},
		// The number of waits is no bound unless set: MaxThrottled governs.
		{"many waits, not yet for long", with(answer(kindWrite, 409), func(a *attempt) { a.waits, a.throttled = 1000, 4*time.Minute }),
			decision{act: actWait, wait: time.Second}},
		{"unavailable too long", with(answer(kindRead, 503), func(a *attempt) { a.hasRetry, a.throttled = true, time.Hour }), decision{act: actThrottled}},
		// 401 refreshes once; 403 and other refusals stop.
		{"401 with a refresh token", with(answer(kindWrite, 401), func(a *attempt) { a.canRefresh = true }), decision{act: actRefresh}},
		{"401 after refreshing", with(answer(kindRead, 401), func(a *attempt) { a.canRefresh, a.refreshed = true, true }), decision{act: actStop}},
		{"401 with a fixed token", answer(kindRead, 401), decision{act: actStop}},
		{"403", with(answer(kindWrite, 403), func(a *attempt) { a.canRefresh = true }), decision{act: actStop}},
		{"400", answer(kindWrite, 400), decision{act: actStop}},
		{"404", answer(kindRead, 404), decision{act: actStop}},
		{"a 3xx answer", answer(kindRead, 302), decision{act: actStop}},
		{"a redirect refused", attempt{kind: kindWrite, transport: redirected}, decision{act: actStop}},
		{"a certificate refused", attempt{kind: kindRead, transport: fatal}, decision{act: actStop}},
		// Success.
		{"write: 200", answer(kindWrite, 200), decision{act: actDone}},
		{"read: 204", answer(kindRead, 204), decision{act: actDone}},
		{"an answer that came before the cancel", with(answer(kindWrite, 200), func(a *attempt) { a.cancelled = true }), decision{act: actDone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.a, l); got != tc.want {
				t.Errorf("decide = %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("throttled too often, with a bound on the waits", func(t *testing.T) {
		bounded := l
		bounded.maxWaits = 100
		if got, want := decide(with(answer(kindRead, 429), func(a *attempt) { a.waits = 100 }), bounded), (decision{act: actThrottled}); got != want {
			t.Errorf("decide = %+v, want %+v", got, want)
		}
	})
}
