package nexudus

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// request is one call, sent again as is after a throttle or a safe retry.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	header       http.Header
	auth         bool     // send the bearer token; refresh once after a 401
	kind         kind     // what sending it again would do; writes are budgeted and paced as writes
	role         string   // the role a 403 names when its message does not
	host         *url.URL // where to send it; the base URL when nil
}

// do sends r until it has an answer to return, doing what decide says
// after each attempt: pace, wait out throttling, retry what is safe to
// retry, refresh the login once. It returns the body of a 2xx answer.
//
// A write's place in the daily budget, reserved before its first attempt,
// is kept only when the call ends with the server having acted or perhaps
// acted (done, of unknown outcome, or refused with a status it may count,
// such as 400), and given back on every other return.
func (c *Client) do(ctx context.Context, r *request) ([]byte, error) {
	st := attempt{kind: r.kind}
	var throttledSince, unreachableSince, reserved time.Time
	spent := false // the server may have acted on the write: its budget stays counted
	defer func() {
		if !spent {
			c.unreserve(r, reserved)
		}
	}()
	for {
		// The token first: a refresh is a request of its own, and paced
		// as one. Nothing slow then comes between pacing and sending.
		token := ""
		if r.auth {
			var err error
			if token, err = c.accessToken(ctx); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.kind == kindWrite && reserved.IsZero() {
			// Counted once per call, before its first pacing: the budget
			// file's synced write must not come between the pacer letting
			// a request go and the request going, or requests let go
			// after it (reads, which count nothing) overtake it at the
			// server and break the minimum interval.
			var err error
			if reserved, err = c.budget.reserve(); err != nil {
				return nil, err
			}
			if reserved.IsZero() {
				reserved = time.Unix(0, 0) // no budget: nothing to count
			}
		}
		burst, err := c.pacer.wait(ctx, r.kind == kindWrite)
		if err != nil {
			return nil, err
		}
		res := c.send(ctx, r, token)

		a := st
		a.transport, a.status = res.transport, res.status
		a.cancelled = res.err != nil && ctx.Err() != nil
		a.retryAfter, a.hasRetry = c.retryAfter(res.header)
		a.canRefresh = r.auth && c.canRefresh()
		now := c.cfg.Now()
		if a.transport == notSent {
			if unreachableSince.IsZero() {
				unreachableSince = now
			}
			a.unreachable = now.Sub(unreachableSince)
		} else {
			unreachableSince = time.Time{}
		}
		throttle := a.transport == answered && (a.status == http.StatusConflict || a.status == http.StatusTooManyRequests ||
			a.status == http.StatusServiceUnavailable && a.hasRetry)
		if throttle {
			if throttledSince.IsZero() {
				throttledSince = now
			}
			a.throttled = now.Sub(throttledSince)
		} else {
			throttledSince = time.Time{}
		}

		d := decide(a, c.limits)
		switch d.act {
		case actDone:
			spent = true
			return res.body, nil
		case actBackoff:
			st.retries++
			cause := res.err
			if cause == nil {
				cause = newAPIError(res.status, res.body)
			}
			wait := jitter(d.wait)
			c.cfg.Logf("%v; retrying in %s (%d of %d)", cause, wait.Round(10*time.Millisecond), st.retries, c.cfg.MaxRetries)
			if err := c.cfg.Sleep(ctx, wait); err != nil {
				return nil, err
			}
		case actWait:
			st.waits++
			wait := min(d.wait+time.Duration(rand.Float64()*0.2*float64(d.wait)), c.cfg.MaxRetryAfter)
			if a.status == http.StatusServiceUnavailable {
				c.cfg.Logf("server unavailable (503), waiting %s as it asks", wait.Round(10*time.Millisecond))
			} else {
				c.cfg.Logf("throttled (%d), waiting %s", a.status, wait.Round(10*time.Millisecond))
				c.pacer.throttled(burst)
			}
			if err := c.cfg.Sleep(ctx, wait); err != nil {
				return nil, err
			}
		case actRefresh:
			st.refreshed = true
			if err := c.refresh(ctx, token); err != nil {
				return nil, err
			}
		case actCancelled:
			return nil, ctx.Err()
		case actAmbiguous:
			spent = true
			cause := res.err
			if a.cancelled {
				cause = ctx.Err()
			} else if cause == nil {
				cause = newAPIError(res.status, res.body)
			}
			if r.kind == kindWrite {
				return nil, fmt.Errorf("%w: %w", ErrAmbiguous, cause)
			}
			return nil, cause
		case actUnreachable:
			return nil, fmt.Errorf("%w: gave up after %d retries in %s: %v", ErrUnreachable, st.retries,
				a.unreachable.Round(time.Second), res.err)
		case actThrottled:
			return nil, c.throttledError(a, res)
		default: // actStop
			// Refused for credentials or role, the server did nothing;
			// another answer (a 400, a 404) it may count.
			spent = res.transport == answered && res.status != http.StatusUnauthorized && res.status != http.StatusForbidden
			switch {
			case res.transport == lost:
				return nil, fmt.Errorf("gave up after %d retries: %w", st.retries, res.err)
			case res.err != nil:
				return nil, res.err
			case res.status == http.StatusForbidden:
				return nil, forbidden(r.role, newAPIError(res.status, res.body))
			}
			return nil, newAPIError(res.status, res.body)
		}
	}
}

// unreserve gives back the budget a write call reserved at, when the call
// ends without the server having acted on it: every attempt was unsent,
// throttled or refused for credentials or a redirect, or the caller gave
// up before one was sent (a write the server may have acted on ends the
// call at once, as ambiguous).
func (c *Client) unreserve(r *request, at time.Time) {
	if r.kind != kindWrite || at.IsZero() {
		return
	}
	if err := c.budget.release(at); err != nil {
		c.cfg.Logf("the write budget keeps a write that was not sent: %v", err)
	}
}

// throttledError is the error of a call decide stopped for throttling.
func (c *Client) throttledError(a attempt, res result) *ThrottledError {
	after := a.throttled
	if a.hasRetry && a.retryAfter > after {
		after = a.retryAfter
	}
	return &ThrottledError{Status: a.status, Waits: a.waits, For: a.throttled,
		RetryAt: c.cfg.Now().Add(max(after, time.Minute)), Err: newAPIError(res.status, res.body)}
}

// jitter spreads a wait d over its upper half, so that callers that met
// the same failure do not come back at the same moment.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// result is how one attempt ended.
type result struct {
	transport transport
	status    int
	header    http.Header
	body      []byte
	err       error // the transport's error, when no answer came back
}

// send makes one attempt.
func (c *Client) send(ctx context.Context, r *request, token string) result {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var wroteMu sync.Mutex
	wrote := false
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { c.gate.pass(actx) },
		WroteHeaders: func() { wroteMu.Lock(); wrote = true; wroteMu.Unlock() },
	})
	host := c.base
	if r.host != nil {
		host = r.host
	}
	u := *host
	u.Path = strings.TrimRight(host.Path, "/") + r.path
	u.RawQuery = r.query.Encode()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u.String(), body)
	if err != nil {
		return result{transport: fatal, err: err}
	}
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		wroteMu.Lock()
		w := wrote
		wroteMu.Unlock()
		var re *RedirectError
		err = describe(err, actx, ctx)
		switch {
		case errors.As(err, &re):
			return result{transport: redirected, err: re}
		case isCertificateError(err):
			return result{transport: fatal, err: err}
		case !w && !isTLSRecordError(err):
			return result{transport: notSent, err: err}
		}
		return result{transport: lost, err: err}
	}
	defer resp.Body.Close()
	c.noteDate(resp.Header.Get("Date"))
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return result{transport: lost, err: fmt.Errorf("reading the answer: %v", describe(err, actx, ctx))}
	}
	return result{transport: answered, status: resp.StatusCode, header: resp.Header, body: data}
}

// describe turns a transport error into a short message without the URL's
// query, naming a timeout as such.
func describe(err error, attempt, parent context.Context) error {
	if parent.Err() == nil && errors.Is(attempt.Err(), context.DeadlineExceeded) {
		return errors.New("no answer within the request timeout")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isTLSRecordError is a guard: errors from a TLS record layer are treated
// as possibly sent.
func isTLSRecordError(err error) bool {
	var re tls.RecordHeaderError
	return errors.As(err, &re)
}

// isCertificateError reports whether err is the server's certificate
// refused, which no retry cures.
func isCertificateError(err error) bool {
	var (
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		cv *tls.CertificateVerificationError
	)
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv)
}

// noteDate records the server's Date header against the local clock.
func (c *Client) noteDate(v string) {
	if v == "" {
		return
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return
	}
	c.dateMu.Lock()
	c.serverDate, c.localDate = t, c.cfg.Now()
	c.dateMu.Unlock()
}

// retryAfter reads an answer's Retry-After, in seconds or as an HTTP
// date, and reports whether it had a usable one.
func (c *Client) retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 && n < 1e9 {
		return time.Duration(n * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(c.cfg.Now()), 0), true
	}
	return 0, false
}

// checkRedirect is the http.Client's redirect policy: follow a redirect
// only to the same scheme and host, which hold the credentials already,
// and only one that keeps the method (a 302 turns a create into a read);
// refuse any other with a *RedirectError, before anything is sent there.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if req.URL.Scheme != first.URL.Scheme || !strings.EqualFold(req.URL.Host, first.URL.Host) ||
		req.Method != first.Method || len(via) >= 5 {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		return &RedirectError{Status: status, From: displayURL(first.URL), To: displayURL(req.URL)}
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
