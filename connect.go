package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"contactbulk/nexudus"
	"contactbulk/safefile"
	"contactbulk/sandbox"
)

// clientFlags are the flags of commands that talk to Nexudus.
type clientFlags struct {
	url         string
	rate        string // --rate: for import the write rate (default 60/min), for export/doctor the request rate (default 120/min)
	dailyWrites int    // --daily-writes (only registered when writes)
	sandbox     bool   // --sandbox: run against an embedded in-process sandbox
	timeout     time.Duration
	writes      bool
}

// register adds the connection flags to cmd; writes adds the write pacing
// flags of a command that writes records.
func (f *clientFlags) register(cmd *cobra.Command, writes bool) {
	f.writes = writes
	fs := cmd.Flags()
	fs.StringVar(&f.url, "url", "", "Nexudus base URL (default $NEXUDUS_URL, else "+nexudus.DefaultBaseURL+")")
	if writes {
		fs.StringVar(&f.rate, "rate", nexudus.DefaultWriteRate().String(), "most writes (creates, updates, deletes) per period, like 60/min, 2/s or 5000/h")
		fs.IntVar(&f.dailyWrites, "daily-writes", nexudus.DefaultDailyWrites, "most writes (creates, updates, deletes) in any 24 hours, shared by every run against the same URL")
	} else {
		fs.StringVar(&f.rate, "rate", nexudus.DefaultRate().String(), "most requests per period, like 120/min, 2/s or 5000/h")
	}
	fs.BoolVar(&f.sandbox, "sandbox", false, "run against an embedded local sandbox instead of Nexudus (its data persists in the cache dir)")
	fs.DurationVar(&f.timeout, "timeout", nexudus.DefaultTimeout, "give up on one request after this long")
}

// checkConcurrency refuses a number of workers (--concurrency) outside 1 to
// nexudus.MaxConcurrency as a usage error saying why.
func checkConcurrency(n int) error {
	if n < 1 || n > nexudus.MaxConcurrency {
		return usageErrorf("--concurrency %d: must be between 1 and %d (requests are paced to the server's limits, so more workers do not go faster)", n, nexudus.MaxConcurrency)
	}
	return nil
}

// connection is a client configuration before the client is built: doctor
// inspects it, connect builds from it.
type connection struct {
	cfg    nexudus.Config
	source string // where the credentials came from, for doctor
	close  func()
}

// connect builds the client from flags, environment (a.getenv) and the saved login. With --sandbox it
// starts an in-process sandbox on a loopback listener whose DataFile lives in a.cacheDir
// (sandbox.json, 0600), so import --sandbox then export --sandbox see the same records; close stops it and saves.
// Configuration problems are usageErrorf errors (exit 2) that say how to fix them.
func (a *app) connect(ctx context.Context, f *clientFlags) (client *nexudus.Client, close func(), err error) {
	conn, err := a.prepare(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	if conn.cfg.Token == "" && conn.cfg.Session == nil {
		conn.close()
		return nil, nil, usageErrorf("not signed in to %s: run `contactbulk login` or set NEXUDUS_TOKEN", conn.cfg.BaseURL)
	}
	client, err = nexudus.New(conn.cfg)
	if err != nil {
		conn.close()
		return nil, nil, usageErrorf("%v", err)
	}
	return client, conn.close, nil
}

// prepare works out the client configuration: URL, pacing, budget file,
// credentials, or an embedded sandbox. Credentials may be missing.
func (a *app) prepare(ctx context.Context, f *clientFlags) (*connection, error) {
	r, err := nexudus.ParseRate(f.rate)
	if err != nil {
		return nil, usageErrorf("--rate: %v", err)
	}
	if f.timeout <= 0 {
		return nil, usageErrorf("--timeout %s: must be positive, like 30s", f.timeout)
	}
	if f.writes && f.dailyWrites <= 0 {
		return nil, usageErrorf("--daily-writes %d: must be a positive number of writes", f.dailyWrites)
	}
	logf := a.logger()
	// PerHour: at 120/min a long run would pass Nexudus's 5,000 an hour.
	cfg := nexudus.Config{Timeout: f.timeout, Logf: logf, PerHour: nexudus.DocumentedPerHour, HTTPClient: a.httpClient}
	if f.writes {
		cfg.WriteRate = r
		cfg.DailyWrites = f.dailyWrites
	} else {
		cfg.Rate = r
		cfg.DailyWrites = -1 // reads and doctor never write
	}
	conn := &connection{close: func() {}}
	if f.sandbox {
		if f.url != "" {
			return nil, usageErrorf("--sandbox and --url: choose one")
		}
		url, token, stop, err := a.startSandbox(ctx)
		if err != nil {
			return nil, err
		}
		cfg.BaseURL, cfg.Token = url, token
		conn.source = "embedded sandbox"
		conn.close = stop
		if f.writes {
			cfg.BudgetFile = filepath.Join(a.cacheDir, "sandbox-writes.json")
			paceWrites(&cfg, f.rate, logf)
		}
		conn.cfg = cfg
		return conn, nil
	}

	if cfg.BaseURL, err = a.baseURL(f.url); err != nil {
		return nil, err
	}
	if f.writes {
		if dir := a.stateDir(); dir != "" {
			cfg.BudgetFile = nexudus.BudgetPath(dir, cfg.BaseURL)
		}
		paceWrites(&cfg, f.rate, logf)
	}
	user, err := a.credentials(&cfg, &conn.source)
	if err != nil {
		return nil, err
	}
	if dir := a.stateDir(); dir != "" && user != "" {
		cfg.PaceFile = nexudus.PacePath(dir, cfg.BaseURL, user)
	}
	conn.cfg = cfg
	return conn, nil
}

// baseURL resolves the Nexudus URL: flag, else NEXUDUS_URL, else the
// default; an unusable one is a usage error saying how to fix it.
func (a *app) baseURL(flag string) (string, error) {
	raw := strings.TrimSpace(flag)
	if raw == "" {
		raw = strings.TrimSpace(a.getenv("NEXUDUS_URL"))
	}
	if raw == "" {
		raw = nexudus.DefaultBaseURL
	}
	u, err := nexudus.ValidateBaseURL(raw)
	if err != nil {
		return "", usageErrorf("%v (set --url or NEXUDUS_URL)", err)
	}
	return u.String(), nil
}

// stateDir is where the write budget persists: the cache dir, else the
// config dir.
func (a *app) stateDir() string {
	if a.cacheDir != "" {
		return a.cacheDir
	}
	return a.configDir
}

// credentials fills cfg's credentials, in order: NEXUDUS_TOKEN,
// NEXUDUS_TOKEN_FILE, the login saved for cfg.BaseURL, and returns who
// they are for the pacing windows (the email, or a digest of the token).
// None is not an error here; connect refuses it, doctor reports it. A
// token that cannot be sent is a usage error naming where it came from.
func (a *app) credentials(cfg *nexudus.Config, source *string) (user string, err error) {
	if t := strings.TrimSpace(a.getenv("NEXUDUS_TOKEN")); t != "" {
		if err := nexudus.CheckToken(t); err != nil {
			return "", usageErrorf("NEXUDUS_TOKEN: %v", err)
		}
		cfg.Token, *source = t, "NEXUDUS_TOKEN"
		return tokenUser(t), nil
	}
	if path := strings.TrimSpace(a.getenv("NEXUDUS_TOKEN_FILE")); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", usageErrorf("NEXUDUS_TOKEN_FILE: cannot read %s (%v): point it at a file holding only the token", path, safefile.PathCause(err))
		}
		t := strings.TrimSpace(string(b))
		if t == "" || nexudus.CheckToken(t) != nil {
			return "", usageErrorf("NEXUDUS_TOKEN_FILE: %s must hold the token alone on one line", path)
		}
		cfg.Token, *source = t, "NEXUDUS_TOKEN_FILE"
		return tokenUser(t), nil
	}
	store := nexudus.SessionStore{Dir: a.configDir}
	sess, err := store.Load(cfg.BaseURL)
	if err != nil {
		return "", usageErrorf("%v", err)
	}
	if sess == nil {
		return "", nil
	}
	base := cfg.BaseURL
	cfg.Session = sess
	cfg.SaveSession = func(s nexudus.Session) error { return store.Save(base, s) }
	*source = "saved login (" + sess.User() + ")"
	return sess.User(), nil
}

// tokenUser names the holder of a fixed token for the pacing windows,
// without the token: a digest of it.
func tokenUser(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "token " + hex.EncodeToString(sum[:8])
}

// logger returns a Logf that writes one line per note to a.stderr. It
// first makes a.stderr a locked writer, so that the client's notes and
// whatever else the command writes there (progress) never write at once.
func (a *app) logger() func(format string, args ...any) {
	w := a.lockedStderr()
	return func(format string, args ...any) {
		fmt.Fprintf(w, "contactbulk: "+format+"\n", args...)
	}
}

// lockedStderr wraps a.stderr, once, in a writer safe for concurrent use
// and returns it. An *os.File is left as it is: its writes are already
// safe, and commands look at it to tell whether it is a terminal. Call it
// before any goroutine writes to a.stderr.
func (a *app) lockedStderr() io.Writer {
	switch a.stderr.(type) {
	case *os.File, *lockedWriter:
	default:
		a.stderr = &lockedWriter{w: a.stderr}
	}
	return a.stderr
}

// lockedWriter serialises writes to w; each Write is written whole.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// startSandbox runs an embedded sandbox on a loopback port, its records
// kept in a.cacheDir/sandbox.json; stop shuts it down and saves.
func (a *app) startSandbox(ctx context.Context) (url, token string, stop func(), err error) {
	if a.cacheDir == "" {
		return "", "", nil, usageErrorf("--sandbox: no cache directory to keep its data in (set XDG_CACHE_HOME or HOME)")
	}
	if err := os.MkdirAll(a.cacheDir, 0o700); err != nil {
		return "", "", nil, usageErrorf("--sandbox: cannot create %s: %v", a.cacheDir, safefile.PathCause(err))
	}
	srv, err := sandbox.New(sandbox.Config{DataFile: filepath.Join(a.cacheDir, "sandbox.json"), Logf: a.logger()})
	if errors.Is(err, sandbox.ErrDataInUse) {
		return "", "", nil, usageErrorf("--sandbox: %v", err) // removing the file would lose the other run's records
	}
	if err != nil {
		return "", "", nil, usageErrorf("--sandbox: %v (remove the file to start afresh)", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return "", "", nil, usageErrorf("--sandbox: cannot listen on loopback: %v", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.Serve(ln)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if hs.Shutdown(sctx) != nil {
				hs.Close()
			}
			<-done
			if err := srv.Close(); err != nil {
				fmt.Fprintf(a.stderr, "contactbulk: sandbox: saving its data: %v\n", err)
			}
		})
	}
	return "http://" + ln.Addr().String(), srv.Token(), stop, nil
}

// paceWrites fits the request pacing to a --rate (rate, as typed) that
// asks for writes faster than the requests may go: against a server on
// this machine (a sandbox) it lifts the request pacing (liftRequestPacing);
// against any other, Nexudus's documented limits on requests stay, and a
// note says so, since they hold the writes to less than asked.
func paceWrites(cfg *nexudus.Config, rate string, logf func(string, ...any)) {
	if !writesOutpaceRequests(*cfg) {
		return
	}
	if u, err := url.Parse(cfg.BaseURL); err == nil && nexudus.IsLoopback(u.Hostname()) {
		liftRequestPacing(cfg)
		return
	}
	logf("--rate %s asks for more writes than the %s requests Nexudus allows (and one every %s): the requests keep that pace, which holds the writes to it; only a sandbox on this machine lifts it",
		rate, requestRate(*cfg), nexudus.DefaultMinInterval)
}

// requestRate is cfg's request rate, the default when unset.
func requestRate(cfg nexudus.Config) nexudus.Rate {
	if cfg.Rate.IsZero() {
		return nexudus.DefaultRate()
	}
	return cfg.Rate
}

// writesOutpaceRequests reports whether cfg's write rate is faster than
// its request rate.
func writesOutpaceRequests(cfg nexudus.Config) bool {
	requests, w := requestRate(cfg), cfg.WriteRate
	return !w.IsZero() && float64(w.N)/w.Per.Seconds() > float64(requests.N)/requests.Per.Seconds()
}

// liftRequestPacing makes room in cfg's request pacing for its write rate
// when --rate asks for writes faster than the requests may be (sensible
// only against a server without Nexudus's limits, such as a sandbox with
// limits off, so paceWrites calls it only for one on this machine): two
// requests per write (a row may need a listing as well as its create), at
// most nexudus.MaxRateCount, with no minimum spacing and no hourly window.
// Otherwise --rate 1000/s would still import two rows a second.
func liftRequestPacing(cfg *nexudus.Config) {
	if !writesOutpaceRequests(*cfg) {
		return
	}
	w := cfg.WriteRate
	cfg.Rate = nexudus.Rate{N: min(2*w.N, nexudus.MaxRateCount), Per: w.Per}
	cfg.MinInterval = -1
	cfg.PerHour = 0
}
