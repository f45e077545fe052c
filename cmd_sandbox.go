package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"contactbulk/sandbox"
)

// sandboxFlags are the flags of the sandbox command.
type sandboxFlags struct {
	addr, token, data              string
	allowRemote, awkward, noLimits bool
	legacyDirection                bool
	records, maxPageSize           int
	latency, stallFor, tokenTTL    time.Duration
	errorRate, dropRate, stallRate float64
	seed                           int64
	user, passwordEnv, totpEnv     string
}

func (a *app) sandboxCommand() *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "sandbox [flags]",
		Short: "Serve a local stand-in for the Nexudus contract contacts API",
		Long: `sandbox serves, on this machine, the Nexudus endpoints contactbulk uses:
listing with paging, sorting and every documented filter, create with the
documented validation, one record and several by id, update, delete, and
/api/token. It enforces the documented rate limits (409 + Retry-After) unless
--no-limits, and can add latency, server errors, dropped connections and
stalls to rehearse what a real import meets.

It prints the URL and the bearer token to use (--token, or a random one) and
serves until Ctrl-C. Records live in memory unless --data FILE, which is
loaded at start and saved (mode 0600) as records change and on exit.

Password sign-in through /api/token works when --user is given; the
password is read from the environment variable named by --password-env,
never from a flag.

It listens on loopback only: it serves personal data to anyone holding the
printed token. --allow-remote lifts that, at your own risk.`,
		Example: `  # a sandbox with 1,000 records and some awkward ones
  contactbulk sandbox --records 1000 --awkward

  # keep records across runs, fixed token, no rate limits
  contactbulk sandbox --data sandbox.json --token dev-token --no-limits

  # rehearse a bad day: slow answers, 5% errors, 2% dropped creates
  contactbulk sandbox --latency 300ms --error-rate 0.05 --drop-rate 0.02

  # allow contactbulk login against it
  SANDBOX_PASSWORD=secret contactbulk sandbox --user me@example.com --password-env SANDBOX_PASSWORD`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("sandbox takes no arguments, got %q (see '%s --help')", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSandbox(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on, `HOST:PORT` (port 0 picks a free one)")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --addr that is not loopback")
	fl.StringVar(&f.token, "token", "", "bearer `TOKEN` to accept (default: a random one, printed)")
	fl.StringVar(&f.data, "data", "", "keep records in `FILE` across runs (default: in memory)")
	fl.IntVar(&f.records, "records", 0, "generate `N` records on start")
	fl.BoolVar(&f.awkward, "awkward", false, "add records with quotes, commas, newlines, non-ASCII and formula-like cells")
	fl.IntVar(&f.maxPageSize, "max-page-size", 1000, "largest page served, whatever size is asked")
	fl.BoolVar(&f.noLimits, "no-limits", false, "do not enforce the documented rate limits")
	fl.BoolVar(&f.legacyDirection, "legacy-direction", false, "read dir as 0 ascending, 1 descending (instead of 1 / -1)")
	fl.DurationVar(&f.latency, "latency", 0, "add this `DURATION` to every answer")
	fl.Float64Var(&f.errorRate, "error-rate", 0, "fraction of requests answered 500, storing nothing")
	fl.Float64Var(&f.dropRate, "drop-rate", 0, "fraction of creates stored, then the connection dropped without answer")
	fl.Float64Var(&f.stallRate, "stall-rate", 0, "fraction of requests that stall for --stall-for before answering")
	fl.DurationVar(&f.stallFor, "stall-for", time.Minute, "how long a stalled request stalls")
	fl.Int64Var(&f.seed, "seed", 0, "seed of the fault dice (same seed, same faults)")
	fl.StringVar(&f.user, "user", "", "`EMAIL` of the account /api/token and Basic auth accept")
	fl.StringVar(&f.passwordEnv, "password-env", "CONTACTBULK_SANDBOX_PASSWORD", "environment `VAR` holding the --user password")
	fl.StringVar(&f.totpEnv, "totp-secret-env", "", "environment `VAR` holding a base32 TOTP secret: the user then signs in with two factors")
	fl.DurationVar(&f.tokenTTL, "token-ttl", 604799*time.Second, "lifetime of tokens issued by /api/token")
	return cmd
}

// sandboxConfig checks the flags and turns them into a sandbox.Config.
func (a *app) sandboxConfig(f sandboxFlags) (sandbox.Config, error) {
	cfg := sandbox.Config{
		Token:       f.token,
		DataFile:    f.data,
		MaxPageSize: f.maxPageSize,
		TokenTTL:    f.tokenTTL,
		Faults: sandbox.Faults{
			Latency: f.latency, ServerErrors: f.errorRate, DropAfterCreate: f.dropRate,
			Stalls: f.stallRate, StallFor: f.stallFor, Seed: f.seed,
		},
	}
	if f.noLimits {
		cfg.Limits = sandbox.Limits{Off: true}
	}
	if f.legacyDirection {
		cfg.Behaviour.Direction = sandbox.DirLegacy
	}
	if err := checkLoopback(f.addr, f.allowRemote); err != nil {
		return cfg, err
	}
	if strings.ContainsAny(f.token, " \t\r\n") {
		return cfg, usageErrorf("--token must not contain spaces")
	}
	if f.records < 0 {
		return cfg, usageErrorf("--records %d: give a number of records, 0 or more", f.records)
	}
	if f.maxPageSize < 1 {
		return cfg, usageErrorf("--max-page-size %d: give a page size of 1 or more", f.maxPageSize)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"--error-rate", f.errorRate}, {"--drop-rate", f.dropRate}, {"--stall-rate", f.stallRate}} {
		if r.v < 0 || r.v > 1 {
			return cfg, usageErrorf("%s %v: give a fraction between 0 and 1, e.g. 0.05", r.name, r.v)
		}
	}
	if f.latency < 0 || f.stallFor < 0 || f.tokenTTL <= 0 {
		return cfg, usageErrorf("--latency, --stall-for and --token-ttl must be positive durations, e.g. 300ms")
	}
	if f.user != "" {
		if !strings.Contains(f.user, "@") {
			return cfg, usageErrorf("--user %q: give the account's email address", f.user)
		}
		password := a.getenv(f.passwordEnv)
		if f.passwordEnv == "" || password == "" {
			return cfg, usageErrorf("--user needs a password: set it in the environment variable %s (or name another with --password-env)", f.passwordEnv)
		}
		cfg.User = sandbox.User{Email: f.user, Password: password}
		if f.totpEnv != "" {
			secret := a.getenv(f.totpEnv)
			if secret == "" {
				return cfg, usageErrorf("--totp-secret-env %s: that environment variable is empty; set it to a base32 secret", f.totpEnv)
			}
			if _, err := sandbox.TOTP(secret, time.Now()); err != nil {
				return cfg, usageErrorf("the TOTP secret in %s is not base32 (letters A-Z and digits 2-7)", f.totpEnv)
			}
			cfg.User.TOTPSecret = secret
		}
	} else if f.totpEnv != "" {
		return cfg, usageErrorf("--totp-secret-env needs --user")
	}
	return cfg, nil
}

// checkLoopback refuses an address that is not on loopback unless allowed.
func checkLoopback(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return usageErrorf("--addr %q: give HOST:PORT, e.g. 127.0.0.1:8080", addr)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageErrorf("--addr %q is not a loopback address: the sandbox serves personal data to anyone with the printed token; use 127.0.0.1, or add --allow-remote if you mean it", addr)
}

func (a *app) runSandbox(ctx context.Context, f sandboxFlags) error {
	cfg, err := a.sandboxConfig(f)
	if err != nil {
		return err
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if f.records > 0 {
		srv.Generate(f.records, 0)
	}
	if f.awkward {
		srv.SeedAwkward(sandbox.DefaultContracts()[0].ID)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		_ = srv.Close()
		return usageErrorf("listen on %s: %v (is another program using the port? try --addr 127.0.0.1:0)", f.addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	a.printSandbox(url, srv, cfg, f)

	select {
	case <-ctx.Done():
	case err = <-served:
	}
	shutdownCtx, cancel := context.WithTimeout(abandonContext(ctx), 5*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutdownCtx); serr != nil {
		_ = hs.Close() // stalled requests: stop waiting for them
	}
	cerr := srv.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if cerr != nil {
		return cerr
	}
	if f.data != "" {
		fmt.Fprintf(a.stderr, "sandbox: stopped; %d records saved in %s\n", srv.Count(), f.data)
	} else {
		fmt.Fprintln(a.stderr, "sandbox: stopped")
	}
	return nil
}

// printSandbox tells the user how to reach the sandbox.
func (a *app) printSandbox(url string, srv *sandbox.Server, cfg sandbox.Config, f sandboxFlags) {
	w := a.stdout
	fmt.Fprintf(w, "Nexudus sandbox listening on %s (%d records", url, srv.Count())
	if f.data != "" {
		fmt.Fprintf(w, ", kept in %s", f.data)
	}
	fmt.Fprintln(w, ")")
	fmt.Fprintf(w, "Token: %s\n\n", srv.Token())
	fmt.Fprintln(w, "Use it with contactbulk:")
	fmt.Fprintf(w, "  export NEXUDUS_URL=%s NEXUDUS_TOKEN=%s\n\n", url, srv.Token())
	fmt.Fprintln(w, "Or with curl:")
	fmt.Fprintf(w, "  curl -H \"Authorization: Bearer %s\" \"%s/api/billing/contractcontacts?page=1&size=15&orderBy=FullName&dir=1\"\n", srv.Token(), url)
	if cfg.User.Email != "" {
		fmt.Fprintf(w, "\nPassword sign-in: %s (password from $%s", cfg.User.Email, f.passwordEnv)
		if cfg.User.TOTPSecret != "" {
			fmt.Fprintf(w, ", TOTP secret from $%s", f.totpEnv)
		}
		fmt.Fprintf(w, ")\n  NEXUDUS_URL=%s contactbulk login\n", url)
	}
	switch {
	case f.noLimits:
		fmt.Fprintln(w, "\nRate limits: off")
	default:
		fmt.Fprintln(w, "\nRate limits: as documented (at most 1 request per 100 ms, 120/min, 60 writes/min, 2,500 writes/day); --no-limits turns them off")
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
