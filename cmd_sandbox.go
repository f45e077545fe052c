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

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// sandboxFlags are the flags of the sandbox command.
type sandboxFlags struct {
	addr, token, data              string
	allowRemote, awkward, noLimits bool
	records, maxPageSize           int
	latency, stallFor, tokenTTL    time.Duration
	errorRate, dropRate, stallRate float64
	seed                           int64
	user, passwordEnv, totpEnv     string

	// Server behaviours (sandbox.Behaviour).
	names, batchRead, dir, pagingFields, dates, zone, createIDs string
	packPhones, lowerEmails, coworkerNames, samePage            bool
	typeNames, nullUpdatedOn                                    bool
	storeDelay, quotaSpent                                      time.Duration
	roles, redirectTo                                           string
	rolesSet                                                    bool
	unavailableRate                                             float64
	otherApp                                                    int
}

func (a *app) sandboxCommand() *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "sandbox [flags]",
		Short: "Serve a local stand-in for the Nexudus contract contacts API",
		Long: `sandbox serves, on this machine, the Nexudus endpoints contactbulk uses:
listing with paging, sorting and every documented filter, create with the
documented validation, one record and several by id, update, delete, the
contracts, coworkers and countries lists, and /api/token. It enforces the
documented rate limits (409 + Retry-After) unless --no-limits, and can add
latency, server errors, dropped connections and stalls to rehearse what a
real import meets.

Its behaviour flags make it act in each odd way the Nexudus docs, the
official SDK or open-source clients say a real space may: names, phones
and emails stored otherwise than sent (--names, --pack-phones,
--lower-emails, --coworker-names), creates stored late (--store-delay),
several-at-once reads that are partial or refused (--batch-read), dir read
another way or ignored (--dir), paging fields that mislead (--paging-fields,
--same-page), dates in other forms (--dates, --zone), the contact type by
name (--type-names), UpdatedOn null on new records (--null-updated-on), create
answers with the Id as text or bare (--create-ids), missing roles (--roles),
a write quota spent elsewhere (--quota-spent), 503s (--unavailable-rate),
redirects (--redirect-to) and another app spending the same limits
(--other-app). Each is off unless given.

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
  SANDBOX_PASSWORD=secret contactbulk sandbox --user me@example.com --password-env SANDBOX_PASSWORD

  # rehearse an import against a space that tidies what it stores and stores late
  contactbulk sandbox --names title-case --pack-phones --lower-emails --store-delay 40s

  # rehearse an export against a space that ignores dir, caps pages silently
  # and writes local times with a Z
  contactbulk sandbox --records 5000 --dir ignored-desc --max-page-size 100 --paging-fields asked --dates local-z --zone Europe/Madrid

  # credentials that may only list and read, and a quota spent elsewhere
  contactbulk sandbox --roles ContractContact-List,ContractContact-Read --quota-spent 2h`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.rolesSet = cmd.Flags().Changed("roles")
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

	fl.StringVar(&f.names, "names", "as-sent", "`STYLE` of the FullName stored: as-sent, title-case (\"ann  lee\" becomes \"Ann Lee\") or collapsed (spaces trimmed, runs made one)")
	fl.BoolVar(&f.packPhones, "pack-phones", false, "store PhoneNumber without spaces")
	fl.BoolVar(&f.lowerEmails, "lower-emails", false, "store Email in lower case")
	fl.BoolVar(&f.coworkerNames, "coworker-names", false, "store a contact with a CoworkerId under the coworker's name and email, whatever was sent")
	fl.StringVar(&f.batchRead, "batch-read", "full", "`HOW` the several-at-once read ?id=[..] is answered: full, summary (listing-shaped records), partial (some left out), not-found (404) or bad-request (400)")
	fl.DurationVar(&f.storeDelay, "store-delay", 0, "store and answer each create only after this `DURATION`, even when its client has given up")
	fl.StringVar(&f.dir, "dir", "endpoint", "`CONVENTION` by which listings read dir: endpoint (1 ascending, -1 descending), legacy (0 ascending, 1 descending), ignored-asc or ignored-desc")
	fl.StringVar(&f.pagingFields, "paging-fields", "served", "`HOW` a page capped by --max-page-size fills its paging fields: served, asked (computed from the size asked) or zero (TotalPages 0, no next page)")
	fl.BoolVar(&f.samePage, "same-page", false, "answer every listing request with page 1, whatever page it asks")
	fl.StringVar(&f.dates, "dates", "utc", "`STYLE` of the dates served: utc, local-z (local time with a Z), no-zone (local time), offset (local time, +01:00) or fraction (UTC, 7 digits)")
	fl.StringVar(&f.zone, "zone", "", "the space's time `ZONE` for --dates local-z, no-zone and offset, e.g. Europe/Madrid (default: 5 hours behind UTC)")
	fl.BoolVar(&f.typeNames, "type-names", false, "serve ContractContactType as its name (Director) instead of its number")
	fl.BoolVar(&f.nullUpdatedOn, "null-updated-on", false, "leave UpdatedOn null on a new record until it is first updated")
	fl.StringVar(&f.createIDs, "create-ids", "number", "`STYLE` of the Id in a create's answer: number ({\"Id\":1}), string ({\"Id\":\"1\"}) or bare (Value is the number)")
	fl.StringVar(&f.roles, "roles", "", "comma-separated `ROLES` the credentials hold, e.g. ContractContact-List,ContractContact-Read, or none (default: a full administrator); a request needing another is answered 403")
	fl.DurationVar(&f.quotaSpent, "quota-spent", 0, "answer every write 409 for this `DURATION`: the space's write quota spent by another integration")
	fl.Float64Var(&f.unavailableRate, "unavailable-rate", 0, "`FRACTION` of requests answered 503 with Retry-After, storing nothing")
	fl.StringVar(&f.redirectTo, "redirect-to", "", "answer every request 302 to `URL` followed by its path and query (a client must never follow with credentials)")
	fl.IntVar(&f.otherApp, "other-app", 0, "`N` requests a minute that another integration makes with the same credentials, counted against the rate limits")
	return cmd
}

// sandboxConfig checks the flags sandbox.New does not, and turns them
// into a sandbox.Config; New checks the ranges (see settingError).
func (a *app) sandboxConfig(f sandboxFlags) (sandbox.Config, error) {
	stderr := a.lockedStderr() // the sandbox reports failed saves while it serves
	cfg := sandbox.Config{
		Logf:        func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) },
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
	b, err := behaviourOf(f)
	if err != nil {
		return cfg, err
	}
	cfg.Behaviour = b
	if err := checkLoopback(f.addr, f.allowRemote); err != nil {
		return cfg, err
	}
	// The token contactbulk could not send would be printed, then refused.
	if err := nexudus.CheckToken(f.token); err != nil {
		return cfg, usageErrorf("--token: %v", err)
	}
	if f.records < 0 {
		return cfg, usageErrorf("--records %d: give a number of records, 0 or more", f.records)
	}
	// 0 means the default to sandbox.New; a flag set to 0 means nothing.
	if f.maxPageSize == 0 {
		return cfg, usageErrorf("--max-page-size 0: give a page size of 1 or more")
	}
	if f.tokenTTL == 0 {
		return cfg, usageErrorf("--token-ttl 0: give a lifetime, e.g. 168h")
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
			cfg.User.TOTPSecret = secret
		}
	} else if f.totpEnv != "" {
		return cfg, usageErrorf("--totp-secret-env needs --user")
	}
	return cfg, nil
}

// behaviourOf checks the behaviour flags and turns them into a
// sandbox.Behaviour.
func behaviourOf(f sandboxFlags) (sandbox.Behaviour, error) {
	b := sandbox.Behaviour{
		PackPhones: f.packPhones, LowerEmails: f.lowerEmails, CoworkerNames: f.coworkerNames, StoreDelay: f.storeDelay,
		SamePage: f.samePage, TypeNames: f.typeNames, NullUpdatedOn: f.nullUpdatedOn, QuotaSpent: f.quotaSpent,
		Unavailable: f.unavailableRate, OtherApp: f.otherApp,
	}
	var err error
	for _, e := range []struct {
		flag, value string
		parse       func(string) error
	}{
		{"--names", f.names, func(v string) (err error) { b.Names, err = sandbox.ParseNameStyle(v); return err }},
		{"--batch-read", f.batchRead, func(v string) (err error) { b.Batch, err = sandbox.ParseBatchRead(v); return err }},
		{"--dir", f.dir, func(v string) (err error) { b.Direction, err = sandbox.ParseDirection(v); return err }},
		{"--paging-fields", f.pagingFields, func(v string) (err error) { b.PagingFields, err = sandbox.ParsePagingFields(v); return err }},
		{"--dates", f.dates, func(v string) (err error) { b.Dates, err = sandbox.ParseDateStyle(v); return err }},
		{"--create-ids", f.createIDs, func(v string) (err error) { b.CreateIDs, err = sandbox.ParseIDStyle(v); return err }},
	} {
		if err = e.parse(e.value); err != nil {
			return b, usageErrorf("%s %v", e.flag, err)
		}
	}
	if f.zone != "" {
		if b.Dates != sandbox.DatesLocalZ && b.Dates != sandbox.DatesNoZone && b.Dates != sandbox.DatesOffset {
			return b, usageErrorf("--zone only changes --dates local-z, no-zone or offset; add one of them, or drop --zone")
		}
		if b.Zone, err = time.LoadLocation(f.zone); err != nil || strings.EqualFold(f.zone, "local") {
			return b, usageErrorf("--zone %q: not a time zone; give a name such as Europe/Madrid, America/New_York or UTC", f.zone)
		}
	}
	if f.rolesSet {
		if b.Roles, err = parseRoles(f.roles); err != nil {
			return b, err
		}
	}
	b.RedirectTo = f.redirectTo
	return b, nil
}

// settingError turns sandbox.New's refusal of a setting into a usage
// error naming the flag to change.
func settingError(err error, f sandboxFlags) error {
	var se *sandbox.SettingError
	if !errors.As(err, &se) {
		return usageErrorf("%v", err)
	}
	flag := map[string]string{
		"Faults.ServerErrors": "--error-rate", "Faults.DropAfterCreate": "--drop-rate", "Faults.Stalls": "--stall-rate",
		"Faults.Latency": "--latency", "Faults.StallFor": "--stall-for", "MaxPageSize": "--max-page-size", "TokenTTL": "--token-ttl",
		"Behaviour.StoreDelay": "--store-delay", "Behaviour.QuotaSpent": "--quota-spent", "Behaviour.Unavailable": "--unavailable-rate",
		"Behaviour.OtherApp": "--other-app", "Behaviour.RedirectTo": "--redirect-to",
	}[se.Setting]
	switch {
	case se.Setting == "User.TOTPSecret":
		return usageErrorf("the TOTP secret in %s: give %s", f.totpEnv, se.Want)
	case flag == "":
		return usageErrorf("%v", err)
	}
	return usageErrorf("%s %s: give %s", flag, se.Value, se.Want)
}

// parseRoles reads --roles: names separated by commas, or none.
func parseRoles(v string) ([]string, error) {
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		return []string{}, nil
	}
	roles := []string{}
	for r := range strings.SplitSeq(v, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if strings.ContainsAny(r, " \t") {
			return nil, usageErrorf("--roles: %q is not a role name; separate roles with commas, e.g. ContractContact-List,ContractContact-Read", r)
		}
		roles = append(roles, r)
	}
	if len(roles) == 0 {
		return nil, usageErrorf("--roles %q names no role; give roles separated by commas, or none for credentials without any", v)
	}
	return roles, nil
}

// behaviourLines says, one line each, how the sandbox departs from the
// endpoint pages as written.
func behaviourLines(b sandbox.Behaviour) []string {
	var out []string
	add := func(on bool, format string, args ...any) {
		if on {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	add(b.Names != sandbox.NamesAsSent, "names stored %s", b.Names)
	add(b.PackPhones, "phone numbers stored without spaces")
	add(b.LowerEmails, "emails stored in lower case")
	add(b.CoworkerNames, "contacts with a CoworkerId stored under the coworker's name and email")
	add(b.Batch != sandbox.BatchFull, "several-at-once reads answered %s", b.Batch)
	add(b.StoreDelay > 0, "creates stored and answered after %v", b.StoreDelay)
	add(b.Direction != sandbox.DirEndpoint, "dir read as %s", b.Direction)
	add(b.PagingFields != sandbox.PagingServed, "paging fields %s", b.PagingFields)
	add(b.SamePage, "every listing request answered with page 1")
	if b.Dates != sandbox.DatesUTC {
		zone := ""
		if b.Zone != nil {
			zone = " (" + b.Zone.String() + ")"
		}
		out = append(out, fmt.Sprintf("dates written %s%s", b.Dates, zone))
	}
	add(b.TypeNames, "ContractContactType served by name")
	add(b.NullUpdatedOn, "UpdatedOn null on new records")
	add(b.CreateIDs != sandbox.IDNumber, "create answers carry the Id as %s", b.CreateIDs)
	if b.Roles != nil {
		roles := strings.Join(b.Roles, ", ")
		if roles == "" {
			roles = "none"
		}
		out = append(out, "roles held: "+roles)
	}
	add(b.QuotaSpent > 0, "writes answered 409 for %v (write quota spent elsewhere)", b.QuotaSpent)
	add(b.Unavailable > 0, "%v%% of requests answered 503", b.Unavailable*100)
	add(b.RedirectTo != "", "every request redirected to %s", b.RedirectTo)
	add(b.OtherApp > 0, "another app makes %d requests a minute with the same credentials", b.OtherApp)
	return out
}

// checkLoopback refuses an address that is not on loopback unless allowed.
func checkLoopback(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return usageErrorf("--addr %q: give HOST:PORT, e.g. 127.0.0.1:8080", addr)
	}
	if allowRemote || nexudus.IsLoopback(host) {
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
		return settingError(err, f)
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
	shutdownCtx, cancel := context.WithTimeout(a.abandonContext(), 5*time.Second)
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
	if lines := behaviourLines(cfg.Behaviour); len(lines) > 0 {
		fmt.Fprintln(w, "Behaviours:")
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
