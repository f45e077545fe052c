// Package nexudus is a client for the Nexudus ContractContact endpoints:
// paced to the documented limits (sliding windows, shared by every run
// against the same space), retrying what is safe to retry, reporting a
// write of unknown outcome instead of repeating it, reading the answers
// tolerantly, and stopping with a typed error when nothing can go on
// (credentials, a missing role, an unreachable or lastingly throttling
// server, the daily write budget).
//
// The files: client.go (configuration), contacts.go (the endpoint calls),
// request.go and decide.go (the request loop and its policy), auth.go and
// session.go (sign-in and saved logins), pace.go and budget.go (the
// limits), decode.go (tolerant reading), errors.go (what callers test).
package nexudus

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The defaults a zero Config takes, for the command layer to show and
// reuse rather than restate.
const (
	DefaultBaseURL        = "https://spaces.nexudus.com" // the API, and where tokens are issued
	DefaultTimeout        = 30 * time.Second             // one request attempt
	DefaultMinInterval    = 100 * time.Millisecond       // between any two requests
	DefaultDailyWrites    = 2500                         // writes in any 24 hours (the lower documented figure)
	DocumentedPerHour     = 5000                         // requests in any hour; the client applies it only when Config.PerHour says
	DefaultMaxThrottled   = 5 * time.Minute              // continuous throttling one call rides out
	DefaultMaxUnreachable = time.Minute                  // how long one call retries a server it cannot reach
	MaxRateCount          = 1_000_000                    // the largest N a Rate may have
	// MaxConcurrency is the most calls worth having in flight at once:
	// the pacing lets them go one at a time, so more only hold
	// connections and memory.
	MaxConcurrency = 64
)

// DefaultRate is the documented limit on all requests: 120 a minute.
func DefaultRate() Rate { return Rate{N: 120, Per: time.Minute} }

// DefaultWriteRate is the documented limit on writes: 60 a minute.
func DefaultWriteRate() Rate { return Rate{N: 60, Per: time.Minute} }

// contactsPath is the ContractContact collection.
const contactsPath = "/api/billing/contractcontacts"

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	BaseURL string // DefaultBaseURL when ""; plain http only on loopback; no user info
	// TokenURL is where sign-in and refresh are posted: when "", the
	// base URL's own /api/token for a loopback base URL (a sandbox), else
	// DefaultBaseURL's, because Nexudus issues tokens there and not on a
	// space's own domain.
	TokenURL string

	// Credentials: a fixed bearer token (NEXUDUS_TOKEN), or a saved
	// Session that the client refreshes when it expires or is refused,
	// handing the rotated tokens to SaveSession. Token wins when both are set.
	Token       string
	Session     *Session
	SaveSession func(Session) error

	HTTPClient *http.Client  // its transport and settings; the client adds its own redirect policy
	Timeout    time.Duration // per request attempt; DefaultTimeout when 0

	Rate        Rate          // all requests, a sliding window; DefaultRate when zero
	MinInterval time.Duration // between any two requests; DefaultMinInterval when 0, none when negative
	WriteRate   Rate          // writes, a sliding window; DefaultWriteRate when zero
	PerHour     int           // all requests in any hour; no hourly window when 0 (contactbulk sets DocumentedPerHour)
	PaceMargin  time.Duration // for jitter on the way to the server: added to each window, and up to a 25th of it to MinInterval; 20 ms when 0, none when negative
	PaceFile    string        // where the send times persist for other processes (see PacePath); in memory when ""

	DailyWrites int    // writes per rolling 24 h; DefaultDailyWrites when 0, no budget when negative
	BudgetFile  string // where the write count persists (see BudgetPath); in memory when ""

	MaxRetries       int           // retries of a read or an unsent request; 5 when 0
	BackoffBase      time.Duration // first retry wait, doubled each time; 500 ms when 0
	BackoffMax       time.Duration // longest retry wait; 30 s when 0
	MaxRetryAfter    time.Duration // cap on one throttle wait; 60 s when 0
	MaxThrottleWaits int           // throttle waits for one call before a *ThrottledError; no bound when 0 (MaxThrottled governs)
	MaxThrottled     time.Duration // continuous throttling of one call before a *ThrottledError; DefaultMaxThrottled when 0
	MaxUnreachable   time.Duration // failed attempts to reach the server, for one call, before ErrUnreachable; DefaultMaxUnreachable when 0

	Logf  func(format string, args ...any)           // notes on throttling, retries, tolerant reading; nil discards
	Now   func() time.Time                           // time.Now when nil
	Sleep func(context.Context, time.Duration) error // every wait (pacing, throttling, backoff); a timer when nil, ctx's error when ctx ends
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
	cfg      Config
	limits   limits
	base     *url.URL
	tokenURL *url.URL
	http     *http.Client
	pacer    *pacer
	gate     *gate // spaces the writes on the wire by the pacer's gap
	budget   *budget

	authMu  sync.Mutex
	session *Session

	dateMu     sync.Mutex
	serverDate time.Time
	localDate  time.Time

	notedMu sync.Mutex
	noted   map[string]bool // fields already noted as read tolerantly

	getMu sync.Mutex
	get   batchState // what the several-at-once read has shown
}

// ValidateBaseURL checks that raw is an absolute http(s) URL without user
// info and refuses plain http to anything but loopback, where a token
// would travel in clear. Its errors never show user info.
func ValidateBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("URL %q: want an absolute http(s) URL such as %s", displayRaw(raw), DefaultBaseURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %s: leave credentials out of the URL (use contactbulk login or NEXUDUS_TOKEN)", displayURL(u))
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("URL %s: plain http would send the token in clear; use https (http is allowed only for localhost)", displayURL(u))
	}
	return u, nil
}

// displayURL is u without user info, query or fragment, for messages.
func displayURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}

// displayRaw is raw, which is not a usable URL, for messages: its
// scheme, then what follows the last @ anywhere in it (user info ends with
// an @, and a password may hold / ? # or even :// that a parser would
// stop at), without query or fragment. No part of any user info is shown.
func displayRaw(raw string) string {
	raw = strings.TrimSpace(raw)
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + rest
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, + - or . (RFC 3986).
func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckToken returns an error when tok cannot be sent in an HTTP header:
// a space, a line break, another control character or a non-ASCII
// character. The error says where, never what the token holds.
func CheckToken(tok string) error {
	for i := range len(tok) {
		if b := tok[i]; b <= ' ' || b >= 0x7f {
			return fmt.Errorf("the token has a space, line break or other character a request header cannot carry (character %d of %d): check that it was copied whole and alone", i+1, len(tok))
		}
	}
	return nil
}

// New returns a client for cfg. It returns an error, before anything is
// sent, when the base or token URL is unusable, a rate is not positive or
// too large, the token or saved session cannot be sent, the state folder
// of BudgetFile or PaceFile cannot be written, or a state file holds times
// in the future (a *StateError saying which file to delete).
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := ValidateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = base.String()
	tokenURL, err := tokenHost(cfg.TokenURL, base)
	if err != nil {
		return nil, err
	}
	if cfg.Rate.IsZero() {
		cfg.Rate = DefaultRate()
	}
	if cfg.WriteRate.IsZero() {
		cfg.WriteRate = DefaultWriteRate()
	}
	for _, r := range []Rate{cfg.Rate, cfg.WriteRate} {
		if r.N <= 0 || r.Per <= 0 {
			return nil, fmt.Errorf("rate %d per %s: must be positive", r.N, r.Per)
		}
		if r.N > MaxRateCount {
			return nil, fmt.Errorf("rate %d per %s: at most %d per period", r.N, r.Per, MaxRateCount)
		}
	}
	if err := CheckToken(cfg.Token); err != nil {
		return nil, err
	}
	if s := cfg.Session; s != nil && cfg.Token == "" {
		if CheckToken(s.AccessToken) != nil || CheckToken(s.RefreshToken) != nil {
			return nil, fmt.Errorf("the saved login holds a token that cannot be sent: sign in again")
		}
	}
	if cfg.MinInterval == 0 {
		cfg.MinInterval = DefaultMinInterval
	}
	if cfg.PaceMargin == 0 {
		cfg.PaceMargin = defaultPaceMargin
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DailyWrites == 0 {
		cfg.DailyWrites = DefaultDailyWrites
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
	if cfg.MaxThrottled <= 0 {
		cfg.MaxThrottled = DefaultMaxThrottled
	}
	if cfg.MaxUnreachable <= 0 {
		cfg.MaxUnreachable = DefaultMaxUnreachable
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.DailyWrites < 0 {
		cfg.BudgetFile = "" // no budget to keep
	}
	for _, f := range []struct{ path, what string }{{cfg.BudgetFile, "write budget"}, {cfg.PaceFile, "pacing windows"}} {
		if f.path == "" {
			continue
		}
		if err := checkStateFile(f.path, f.what, cfg.Now()); err != nil {
			return nil, err
		}
	}
	// A copy, so that the caller's client keeps its own redirect policy;
	// the transport (and its connections) is shared.
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = checkRedirect
	pacer := newPacer(cfg)
	c := &Client{
		cfg:      cfg,
		base:     base,
		tokenURL: tokenURL,
		http:     hc,
		pacer:    pacer,
		gate:     &gate{gap: pacer.gap, now: cfg.Now, sleep: cfg.Sleep},
		budget:   &budget{limit: cfg.DailyWrites, path: cfg.BudgetFile, now: cfg.Now},
		noted:    make(map[string]bool),
		limits: limits{
			maxRetries: cfg.MaxRetries, maxWaits: cfg.MaxThrottleWaits, maxThrottled: cfg.MaxThrottled,
			maxUnreachable: cfg.MaxUnreachable, maxRetryAfter: cfg.MaxRetryAfter,
			backoffBase: cfg.BackoffBase, backoffMax: cfg.BackoffMax,
		},
	}
	if cfg.Session != nil {
		s := *cfg.Session
		c.session = &s
	}
	return c, nil
}

// tokenHost is the URL (scheme, host, path prefix) that /api/token is
// posted under: raw when given, else the base URL itself when it is on
// this machine, else DefaultBaseURL.
func tokenHost(raw string, base *url.URL) (*url.URL, error) {
	switch {
	case raw != "":
		u, err := ValidateBaseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("token %w", err)
		}
		return u, nil
	case IsLoopback(base.Hostname()):
		return base, nil
	}
	u, err := url.Parse(DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return u, nil
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
