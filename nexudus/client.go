// Package nexudus is a client for the Nexudus ContractContact endpoints:
// paced to stay within the documented limits, retrying what is safe to
// retry, and reporting a create of unknown outcome instead of repeating it.
package nexudus

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"contactbulk/mapping"
)

// DefaultBaseURL is the Nexudus API used when no URL is given.
const DefaultBaseURL = "https://spaces.nexudus.com"

// contactsPath is the ContractContact collection.
const contactsPath = "/api/billing/contractcontacts"

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	BaseURL string // DefaultBaseURL when ""; plain http only on loopback

	// Credentials: a fixed bearer token (NEXUDUS_TOKEN), or a saved
	// Session that the client refreshes when it expires or is refused,
	// handing the rotated tokens to SaveSession. Token wins when both are set.
	Token       string
	Session     *Session
	SaveSession func(Session) error

	HTTPClient *http.Client  // http.DefaultClient's transport when nil
	Timeout    time.Duration // per request attempt; 30 s when 0

	Rate        Rate          // all requests; 120/min when zero
	MinInterval time.Duration // between any two requests; 100 ms when 0, none when negative
	WriteRate   Rate          // creates; 60/min when zero
	PerHour     int           // all requests in any hour; no hourly window when 0 (contactbulk sets Nexudus's 5,000)
	PaceMargin  time.Duration // added to each spacing, at most a quarter of it, for jitter on the way to the server; 20 ms when 0, none when negative

	DailyWrites int    // writes per rolling 24 h; 2,500 when 0, no budget when negative
	BudgetFile  string // where the write count persists (see BudgetPath); in memory when ""

	MaxRetries       int           // retries of a read or an unsent request; 5 when 0
	BackoffBase      time.Duration // first retry wait, doubled each time; 500 ms when 0
	BackoffMax       time.Duration // longest retry wait; 30 s when 0
	MaxRetryAfter    time.Duration // cap on one throttle wait; 60 s when 0
	MaxThrottleWaits int           // throttle waits for one call before giving up; 100 when 0

	Logf func(format string, args ...any) // notes on throttling and retries; nil discards
	Now  func() time.Time                 // time.Now when nil
}

// Pacing is the pacing a Client was configured with.
type Pacing struct {
	Requests    Rate
	MinInterval time.Duration
	Writes      Rate
	DailyWrites int
	PerHour     int // 0: no hourly window
}

// Client talks to one Nexudus space. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	http   *http.Client
	pacer  *pacer
	budget *budget

	authMu  sync.Mutex
	session *Session

	dateMu     sync.Mutex
	serverDate time.Time
	localDate  time.Time
}

// ValidateBaseURL checks that raw is an absolute http(s) URL and refuses
// plain http to anything but loopback, where a token would travel in clear.
func ValidateBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("URL %q: want an absolute http(s) URL such as %s", raw, DefaultBaseURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %q: leave credentials out of the URL (use contactbulk login or NEXUDUS_TOKEN)", u.Redacted())
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("URL %s: plain http would send the token in clear; use https (http is allowed only for localhost)", u.Redacted())
	}
	return u, nil
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New returns a client for cfg. It returns an error when the base URL is
// unusable or a rate is not positive.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := ValidateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = base.String()
	if cfg.Rate.IsZero() {
		cfg.Rate = Rate{N: 120, Per: time.Minute}
	}
	if cfg.WriteRate.IsZero() {
		cfg.WriteRate = Rate{N: 60, Per: time.Minute}
	}
	for _, r := range []Rate{cfg.Rate, cfg.WriteRate} {
		if r.N <= 0 || r.Per <= 0 {
			return nil, fmt.Errorf("rate %d per %s: must be positive", r.N, r.Per)
		}
	}
	if cfg.MinInterval == 0 {
		cfg.MinInterval = 100 * time.Millisecond
	}
	if cfg.PaceMargin == 0 {
		cfg.PaceMargin = defaultPaceMargin
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.DailyWrites == 0 {
		cfg.DailyWrites = 2500
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 500 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 30 * time.Second
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 60 * time.Second
	}
	if cfg.MaxThrottleWaits <= 0 {
		cfg.MaxThrottleWaits = 100
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	c := &Client{
		cfg:    cfg,
		base:   base,
		http:   hc,
		pacer:  newPacer(cfg),
		budget: &budget{limit: cfg.DailyWrites, path: cfg.BudgetFile, now: cfg.Now},
	}
	if cfg.Session != nil {
		s := *cfg.Session
		c.session = &s
	}
	return c, nil
}

// BaseURL returns the base URL the client talks to.
func (c *Client) BaseURL() string { return c.cfg.BaseURL }

// Pacing returns the limits the client paces itself by.
func (c *Client) Pacing() Pacing {
	return Pacing{Requests: c.cfg.Rate, MinInterval: c.cfg.MinInterval, Writes: c.cfg.WriteRate, DailyWrites: c.cfg.DailyWrites, PerHour: c.cfg.PerHour}
}

// WritesUsed returns how many writes the rolling 24-hour budget window holds.
func (c *Client) WritesUsed() (int, error) { return c.budget.used() }

// Session returns the current session (after any refresh), or nil when
// the client uses a fixed token.
func (c *Client) Session() *Session {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.session == nil || c.cfg.Token != "" {
		return nil
	}
	s := *c.session
	return &s
}

// ClockSkew returns how far the server's Date header was ahead of the local
// clock at the last answer, and false before any answer carried one.
func (c *Client) ClockSkew() (time.Duration, bool) {
	c.dateMu.Lock()
	defer c.dateMu.Unlock()
	if c.serverDate.IsZero() {
		return 0, false
	}
	return c.serverDate.Sub(c.localDate), true
}

// List fetches one page of the listing. It returns an *APIError when the
// server refuses the query.
func (c *Client) List(ctx context.Context, opt ListOptions) (*Page, error) {
	q := url.Values{}
	for k, vs := range opt.Filters {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	if opt.Page > 0 {
		q.Set("page", strconv.Itoa(opt.Page))
	}
	if opt.Size > 0 {
		q.Set("size", strconv.Itoa(opt.Size))
	}
	if opt.OrderBy != "" {
		q.Set("orderBy", opt.OrderBy)
	}
	if opt.Dir != nil {
		q.Set("dir", strconv.Itoa(*opt.Dir))
	}
	body, err := c.do(ctx, &request{method: http.MethodGet, path: contactsPath, query: q, auth: true, idempotent: true})
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	var p Page
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("list contacts: unexpected answer: %w", err)
	}
	return &p, nil
}

// writeAnswer is the body of a write: {Status, Message, Value, WasSuccessful, Errors}.
type writeAnswer struct {
	Status  int    `json:"Status"`
	Message string `json:"Message"`
	Value   *struct {
		ID int64 `json:"Id"`
	} `json:"Value"`
	WasSuccessful *bool        `json:"WasSuccessful"`
	Errors        []FieldError `json:"Errors"`
}

// Create creates one contact and returns its new Id. When the outcome is
// unknown (timeout, connection lost after sending, a 5xx, an answer without
// an Id) the error wraps ErrAmbiguous and the create is not repeated; a
// refusal is an *APIError (400 with Fields); a spent daily budget is a
// *BudgetError, returned before anything is sent.
func (c *Client) Create(ctx context.Context, ct mapping.Contact) (int64, error) {
	payload, err := json.Marshal(ct)
	if err != nil {
		return 0, fmt.Errorf("create contact: %w", err)
	}
	body, err := c.do(ctx, &request{method: http.MethodPost, path: contactsPath, body: payload,
		contentType: "application/json", auth: true, write: true})
	if err != nil {
		return 0, fmt.Errorf("create contact: %w", err)
	}
	var ans writeAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return 0, fmt.Errorf("create contact: %w: unreadable answer: %v", ErrAmbiguous, err)
	}
	if ans.WasSuccessful != nil && !*ans.WasSuccessful {
		return 0, fmt.Errorf("create contact: %w", answerError(http.StatusOK, ans))
	}
	if ans.Value == nil || ans.Value.ID == 0 {
		return 0, fmt.Errorf("create contact: %w: the answer carried no Id", ErrAmbiguous)
	}
	return ans.Value.ID, nil
}

// updateBody is the body of PUT /api/billing/contractcontacts: the record's
// Id and every field a create takes, empty ones as null, because the PUT
// replaces the whole record and clears whatever it leaves out.
type updateBody struct {
	ID                  int64               `json:"Id"`
	CoworkerContractID  int64               `json:"CoworkerContractId"`
	FullName            string              `json:"FullName"`
	CoworkerID          *int64              `json:"CoworkerId"`
	Email               *string             `json:"Email"`
	DateOfBirth         *string             `json:"DateOfBirth"`
	Address             *string             `json:"Address"`
	PostCode            *string             `json:"PostCode"`
	CityName            *string             `json:"CityName"`
	State               *string             `json:"State"`
	CountryID           *int64              `json:"CountryId"`
	PhoneNumber         *string             `json:"PhoneNumber"`
	Notes               *string             `json:"Notes"`
	ContractContactType mapping.ContactType `json:"ContractContactType"`
}

// nullable is s, or nil (JSON null) when s is empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetOne reads the full record with this id. A record that does not exist
// is an error for which IsNotFound reports true.
func (c *Client) GetOne(ctx context.Context, id int64) (Record, error) {
	body, err := c.do(ctx, &request{method: http.MethodGet, path: contactsPath + "/" + strconv.FormatInt(id, 10), auth: true, idempotent: true})
	if err != nil {
		return Record{}, fmt.Errorf("read contact %d: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(body, &r); err != nil {
		return Record{}, fmt.Errorf("read contact %d: unexpected answer: %w", id, err)
	}
	if r.ID == 0 {
		return Record{}, fmt.Errorf("read contact %d: %w", id, &APIError{Status: http.StatusNotFound, Message: "the answer held no record"})
	}
	return r, nil
}

// Update replaces the record id with ct, every field of it: fields ct
// leaves empty are cleared, so build ct from the full record (GetOne),
// never from a listing. An unknown outcome wraps ErrAmbiguous (read the
// record to see whether it changed); a refusal is an *APIError; a spent
// daily budget is a *BudgetError, returned before anything is sent.
func (c *Client) Update(ctx context.Context, id int64, ct mapping.Contact) error {
	b := updateBody{
		ID: id, CoworkerContractID: ct.CoworkerContractID, FullName: ct.FullName, CoworkerID: ct.CoworkerID,
		Email: nullable(ct.Email), DateOfBirth: nullable(ct.DateOfBirth), Address: nullable(ct.Address),
		PostCode: nullable(ct.PostCode), CityName: nullable(ct.CityName), State: nullable(ct.State),
		CountryID: ct.CountryID, PhoneNumber: nullable(ct.PhoneNumber), Notes: nullable(ct.Notes),
		ContractContactType: ct.ContractContactType,
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("update contact %d: %w", id, err)
	}
	body, err := c.do(ctx, &request{method: http.MethodPut, path: contactsPath, body: payload,
		contentType: "application/json", auth: true, write: true})
	if err != nil {
		return fmt.Errorf("update contact %d: %w", id, err)
	}
	if err := checkWriteAnswer(body); err != nil {
		return fmt.Errorf("update contact %d: %w", id, err)
	}
	return nil
}

// Delete deletes the record id; Nexudus cannot bring it back. A record
// that does not exist is an error for which IsNotFound reports true; an
// unknown outcome wraps ErrAmbiguous (read the record to see whether it is
// gone); a spent daily budget is a *BudgetError.
func (c *Client) Delete(ctx context.Context, id int64) error {
	body, err := c.do(ctx, &request{method: http.MethodDelete, path: contactsPath + "/" + strconv.FormatInt(id, 10), auth: true, write: true})
	if err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	if err := checkWriteAnswer(body); err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	return nil
}

// checkWriteAnswer reads the answer of an update or delete: an empty body
// or one without WasSuccessful is a success (the answer's shape is not
// documented for deletes); WasSuccessful false is a refusal.
func checkWriteAnswer(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var ans writeAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil // a 2xx whose body is not the documented JSON
	}
	if ans.WasSuccessful != nil && !*ans.WasSuccessful {
		return answerError(http.StatusOK, ans)
	}
	return nil
}

// getBatch is how many ids one several-at-once read asks for.
const getBatch = 50

// Get reads the full records with the given ids, in one request per batch
// (?id=[1,2,3]) when the server answers it, else one at a time. Ids that do
// not exist are left out of the result.
func (c *Client) Get(ctx context.Context, ids []int64) ([]Record, error) {
	var out []Record
	for start := 0; start < len(ids); start += getBatch {
		batch := ids[start:min(start+getBatch, len(ids))]
		recs, err := c.getMany(ctx, batch)
		if err != nil {
			if ctx.Err() != nil || IsUnauthorized(err) {
				return out, fmt.Errorf("read contacts: %w", err)
			}
			c.cfg.Logf("reading %d records at once failed (%v); reading them one at a time", len(batch), err)
			if recs, err = c.getEach(ctx, batch); err != nil {
				return out, err
			}
		}
		out = append(out, recs...)
	}
	return out, nil
}

// getMany is the several-at-once read. An answer that is not an array of
// the asked records is an error, so that Get falls back.
func (c *Client) getMany(ctx context.Context, ids []int64) ([]Record, error) {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	q := url.Values{"id": {"[" + strings.Join(parts, ",") + "]"}}
	body, err := c.do(ctx, &request{method: http.MethodGet, path: contactsPath, query: q, auth: true, idempotent: true})
	if err != nil {
		return nil, err
	}
	var recs []Record
	if err := json.Unmarshal(body, &recs); err != nil {
		return nil, fmt.Errorf("unexpected answer: %w", err)
	}
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for _, r := range recs {
		if !want[r.ID] {
			return nil, fmt.Errorf("unexpected answer: record %d was not asked for", r.ID)
		}
	}
	return recs, nil
}

// getEach reads records one at a time, skipping those that do not exist.
func (c *Client) getEach(ctx context.Context, ids []int64) ([]Record, error) {
	var out []Record
	for _, id := range ids {
		r, err := c.GetOne(ctx, id)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// request is one call, sent again as is after a throttle or a safe retry.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	header       http.Header
	auth         bool // send the bearer token; refresh once after a 401
	write        bool // paced by the write limiter; an unknown outcome is ErrAmbiguous
	idempotent   bool // safe to send again after it may have arrived
}

// errNotSent marks a transport failure before the request was written.
var errNotSent = errors.New("not sent")

// do sends r until it has an answer to return: it paces, waits out
// throttling, retries what is safe to retry and refreshes the session once
// after a 401. It returns the body of a 2xx answer.
func (c *Client) do(ctx context.Context, r *request) ([]byte, error) {
	throttled, retries := 0, 0
	refreshed, reserved := false, false
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
		if err := c.pacer.wait(ctx, r.write); err != nil {
			return nil, err
		}
		if r.write && !reserved {
			// Counted once per call, just before the first send.
			if err := c.budget.reserve(); err != nil {
				return nil, err
			}
			reserved = true
		}
		status, header, body, err := c.send(ctx, r, token)
		if err != nil {
			if ctx.Err() != nil {
				if r.write && !errors.Is(err, errNotSent) {
					return nil, fmt.Errorf("%w: %w", ErrAmbiguous, ctx.Err())
				}
				return nil, ctx.Err()
			}
			sent := !errors.Is(err, errNotSent)
			switch {
			case sent && r.write:
				return nil, fmt.Errorf("%w: %v", ErrAmbiguous, err)
			case sent && !r.idempotent:
				return nil, err
			case retries >= c.cfg.MaxRetries:
				return nil, fmt.Errorf("gave up after %d retries: %w", retries, err)
			}
			retries++
			if err := c.backoff(ctx, retries, err); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case status >= 200 && status < 300:
			return body, nil
		case status == http.StatusConflict || status == http.StatusTooManyRequests:
			if throttled >= c.cfg.MaxThrottleWaits {
				return nil, &APIError{Status: status, Message: fmt.Sprintf("still throttled after %d waits; try again later or lower --rate", throttled)}
			}
			throttled++
			wait := c.retryAfter(header)
			c.cfg.Logf("throttled (%d), waiting %s", status, wait.Round(10*time.Millisecond))
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		case status == http.StatusUnauthorized && r.auth && !refreshed && c.canRefresh():
			refreshed = true
			if err := c.refresh(ctx, token); err != nil {
				return nil, err
			}
			continue
		case status >= 500 && r.write:
			return nil, fmt.Errorf("%w: %w", ErrAmbiguous, newAPIError(status, body))
		case retryable(status) && r.idempotent && retries < c.cfg.MaxRetries:
			retries++
			if err := c.backoff(ctx, retries, newAPIError(status, body)); err != nil {
				return nil, err
			}
			continue
		}
		return nil, newAPIError(status, body)
	}
}

// retryable reports whether a read answered with status may be sent again.
func retryable(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// send makes one attempt. A transport error wraps errNotSent when the
// request was never written.
func (c *Client) send(ctx context.Context, r *request, token string) (int, http.Header, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var wroteMu sync.Mutex
	wrote := false
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteHeaders: func() { wroteMu.Lock(); wrote = true; wroteMu.Unlock() },
	})
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + r.path
	u.RawQuery = r.query.Encode()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u.String(), body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %v", errNotSent, err)
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
		err = describe(err, actx, ctx)
		if !w && !isTLSRecordError(err) {
			return 0, nil, nil, fmt.Errorf("%w: %v", errNotSent, err)
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	c.noteDate(resp.Header.Get("Date"))
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the answer: %v", describe(err, actx, ctx))
	}
	return resp.StatusCode, resp.Header, data, nil
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

// retryAfter is how long a throttled request waits: Retry-After in seconds
// or as an HTTP date (1 s when absent), plus up to 20% jitter, capped.
func (c *Client) retryAfter(h http.Header) time.Duration {
	wait := time.Second
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
			wait = time.Duration(n * float64(time.Second))
		} else if t, err := http.ParseTime(v); err == nil {
			wait = t.Sub(c.cfg.Now())
		}
	}
	if wait < 0 {
		wait = 0
	}
	wait += time.Duration(rand.Float64() * 0.2 * float64(wait))
	return min(wait, c.cfg.MaxRetryAfter)
}

// backoff waits before retry n: exponential from BackoffBase with full
// jitter in its upper half, capped at BackoffMax.
func (c *Client) backoff(ctx context.Context, n int, cause error) error {
	d := c.cfg.BackoffBase << min(n-1, 20)
	if d <= 0 || d > c.cfg.BackoffMax {
		d = c.cfg.BackoffMax
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	c.cfg.Logf("%v; retrying in %s (%d of %d)", cause, d.Round(10*time.Millisecond), n, c.cfg.MaxRetries)
	return sleep(ctx, d)
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
