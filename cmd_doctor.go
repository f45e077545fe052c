package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"contactbulk/nexudus"
)

// clockTolerance is how far the local clock may be from the server's
// before doctor warns.
const clockTolerance = 3 * time.Minute

func (a *app) doctorCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the URL, credentials, role, clock and paging convention",
		Long: `doctor checks what import and export need: that the URL is usable (https,
or http on this machine) and reachable, which credentials are used and when
they expire, that they may list contract contacts (a one-record listing),
that the local clock agrees with the server's, and which sort-direction
convention the server answers with. It prints each check with ok or FAIL
and, for each failure, how to fix it. Exit status 0 when all is well, 2
otherwise.`,
		Example: `  contactbulk doctor
  contactbulk doctor --url https://spaces.nexudus.com
  contactbulk doctor --sandbox`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.doctor(cmd.Context(), &f)
		},
	}
	f.register(cmd, false)
	return cmd
}

// report prints doctor's checks and counts failures.
type report struct {
	a      *app
	failed int
}

func (r *report) ok(check, format string, args ...any) {
	fmt.Fprintf(r.a.stdout, "ok    %-12s %s\n", check, fmt.Sprintf(format, args...))
}

func (r *report) warn(check, detail, fix string) {
	fmt.Fprintf(r.a.stdout, "warn  %-12s %s\n      %-12s fix: %s\n", check, detail, "", fix)
}

func (r *report) fail(check, detail, fix string) {
	r.failed++
	fmt.Fprintf(r.a.stdout, "FAIL  %-12s %s\n      %-12s fix: %s\n", check, detail, "", fix)
}

// result is doctor's exit: nil when nothing failed.
func (r *report) result() error {
	if r.failed == 0 {
		return nil
	}
	return usageErrorf("doctor: %d check(s) failed; see the fixes above", r.failed)
}

func (a *app) doctor(ctx context.Context, f *clientFlags) error {
	r := &report{a: a}
	if !f.sandbox {
		base, err := a.baseURL(f.url)
		if err != nil {
			r.fail("url", strings.TrimSuffix(err.Error(), " (set --url or NEXUDUS_URL)"), "pass --url https://... or set NEXUDUS_URL (plain http only for localhost)")
			return r.result()
		}
		f.url = base
	}
	conn, err := a.prepare(ctx, f)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.code == exitCannotRun && ee.err != nil {
			r.fail("setup", ee.err.Error(), "correct the flag or environment variable named")
			return r.result()
		}
		return err
	}
	defer conn.close()
	cfg := conn.cfg
	if u, _ := url.Parse(cfg.BaseURL); u != nil && u.Scheme == "https" {
		r.ok("url", "%s (https)", cfg.BaseURL)
	} else {
		r.ok("url", "%s (http on this machine only)", cfg.BaseURL)
	}

	switch {
	case cfg.Token != "":
		r.ok("credentials", "%s (a fixed token; its expiry is not known here)", conn.source)
	case cfg.Session != nil:
		r.ok("credentials", "%s", conn.source)
	default:
		r.fail("credentials", "none found for "+cfg.BaseURL, "run `contactbulk login` or set NEXUDUS_TOKEN (or NEXUDUS_TOKEN_FILE)")
		return r.result()
	}

	cfg.MaxRetries = 1 // a diagnosis reports trouble rather than riding it out
	client, err := nexudus.New(cfg)
	if err != nil {
		r.fail("setup", err.Error(), "correct the flags")
		return r.result()
	}
	page, err := client.List(ctx, nexudus.ListOptions{Size: 1})
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	var ae *nexudus.APIError
	switch {
	case err == nil:
		r.ok("reachable", "the server answers")
		r.ok("list role", "may list contract contacts (%d visible)", page.TotalItems)
	case nexudus.IsUnauthorized(err):
		r.ok("reachable", "the server answers")
		r.fail("list role", "credentials refused or without the ContractContact-List role",
			"run `contactbulk login` again or set a valid NEXUDUS_TOKEN; an administrator can grant ContractContact-List")
		return r.result()
	case errors.As(err, &ae):
		r.ok("reachable", "the server answers")
		r.fail("list role", "a one-record listing failed: "+ae.Error(), "check that --url is the Nexudus API base URL")
		return r.result()
	default:
		r.fail("reachable", err.Error(), "check --url or NEXUDUS_URL, the network and any proxy")
		return r.result()
	}

	if s := client.Session(); s != nil {
		r.ok("expiry", "%s", expiryText(s.Expiry, time.Now()))
	}

	if skew, ok := client.ClockSkew(); ok {
		if detail, ok := clockVerdict(skew); ok {
			r.ok("clock", "%s", detail)
		} else {
			r.warn("clock", detail, "synchronise the clock (e.g. timedatectl set-ntp true); token expiry and date filters depend on it")
		}
	} else {
		r.warn("clock", "the server sent no Date header", "nothing to do, but clock skew cannot be checked")
	}

	asc := 1
	page, err = client.List(ctx, nexudus.ListOptions{OrderBy: "Id", Size: 2, Dir: &asc})
	switch {
	case err != nil:
		r.fail("paging", "a sorted listing failed: "+err.Error(), "run doctor again; if it persists the server refuses orderBy=Id")
	case len(page.Records) < 2:
		r.ok("paging", "fewer than 2 records, so the direction convention cannot be seen (server reports CurrentSortDirection=%d)", page.CurrentSortDirection)
	case page.Records[0].ID < page.Records[1].ID:
		r.ok("paging", "dir 1 = ascending (endpoint page convention)")
	default:
		r.ok("paging", "dir 0/1 legacy convention (1 = descending); export adapts to it")
	}
	return r.result()
}

// clockVerdict describes a skew (server minus local) and whether it is
// within clockTolerance.
func clockVerdict(skew time.Duration) (string, bool) {
	if abs(skew) > clockTolerance {
		return fmt.Sprintf("the local clock is %s %s the server's", roundDuration(abs(skew)), aheadOrBehind(skew)), false
	}
	return fmt.Sprintf("within %s of the server's", roundDuration(max(abs(skew), time.Second))), true
}

// expiryText says when a login expires, relative to now.
func expiryText(expiry, now time.Time) string {
	if expiry.IsZero() {
		return "the login carries no expiry"
	}
	return fmt.Sprintf("access token valid until %s (in %s; renewed automatically)", expiry.Local().Format("2006-01-02 15:04 MST"), roundDuration(expiry.Sub(now)))
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func aheadOrBehind(serverMinusLocal time.Duration) string {
	if serverMinusLocal > 0 {
		return "behind"
	}
	return "ahead of"
}

// roundDuration rounds d for people: seconds under a minute, else minutes.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}
