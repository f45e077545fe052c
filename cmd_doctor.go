package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"contactbulk/exporter"
	"contactbulk/nexudus"
)

// clockTolerance is how far the local clock may be from the server's
// before doctor warns.
const clockTolerance = 3 * time.Minute

// doctorFlags are the flags of the doctor command.
type doctorFlags struct {
	client clientFlags
	json   bool
}

func (a *app) doctorCommand() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the URL, credentials, roles, clock and what export needs of the server",
		Long: `doctor checks what import and export need: that the URL is usable (https,
or http on this machine) and reachable, which credentials are used and when
they expire, that they may list contract contacts (a one-record listing),
that the local clock agrees with the server's, and what export needs of
the server: which dir convention it sorts by and whether it honours dir at
all, how many records it serves per page and whether its paging fields
count those, whether it honours the page parameter, and what its
several-at-once read answers (full records, summaries, some left out, or a
refusal). It prints each check with ok, warn or FAIL and, for each warning
and failure, how to fix it; --json prints the same as one JSON object on
stdout. Exit status 0 when nothing failed, 2 otherwise.`,
		Example: `  contactbulk doctor
  contactbulk doctor --url https://spaces.nexudus.com
  contactbulk doctor --sandbox --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.doctor(cmd.Context(), &f)
		},
	}
	f.client.register(cmd, false)
	cmd.Flags().BoolVar(&f.json, "json", false, "print the checks as one JSON object on stdout")
	return cmd
}

// doctorCheck is one check's outcome (--json: README, "doctor").
type doctorCheck struct {
	Check  string `json:"check"`
	Status string `json:"status"` // ok, warn or fail
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// report prints doctor's checks as they are made (or, for --json, keeps
// them for the end) and counts failures.
type report struct {
	a        *app
	json     bool
	checks   []doctorCheck
	failed   int
	warnings int
}

func (r *report) add(c doctorCheck) {
	r.checks = append(r.checks, c)
	if r.json {
		return
	}
	word := map[string]string{"ok": "ok", "warn": "warn", "fail": "FAIL"}[c.Status]
	fmt.Fprintf(r.a.stdout, "%-5s %-12s %s\n", word, c.Check, c.Detail)
	if c.Fix != "" {
		fmt.Fprintf(r.a.stdout, "      %-12s fix: %s\n", "", c.Fix)
	}
}

func (r *report) ok(check, format string, args ...any) {
	r.add(doctorCheck{Check: check, Status: "ok", Detail: fmt.Sprintf(format, args...)})
}

func (r *report) warn(check, detail, fix string) {
	r.warnings++
	r.add(doctorCheck{Check: check, Status: "warn", Detail: detail, Fix: fix})
}

func (r *report) fail(check, detail, fix string) {
	r.failed++
	r.add(doctorCheck{Check: check, Status: "fail", Detail: detail, Fix: fix})
}

// result prints the JSON report when asked and returns doctor's exit: nil
// when nothing failed.
func (r *report) result() error {
	if r.json {
		b, err := json.MarshalIndent(struct {
			Checks   []doctorCheck `json:"checks"`
			Failed   int           `json:"failed"`
			Warnings int           `json:"warnings"`
		}{r.checks, r.failed, r.warnings}, "", "  ")
		if err != nil {
			return fmt.Errorf("doctor: %w", err)
		}
		fmt.Fprintf(r.a.stdout, "%s\n", b)
	}
	if r.failed == 0 {
		return nil
	}
	where := "above"
	if r.json {
		where = "in the JSON"
	}
	return usageErrorf("doctor: %d check(s) failed; see the fixes %s", r.failed, where)
}

func (a *app) doctor(ctx context.Context, df *doctorFlags) error {
	f := &df.client
	r := &report{a: a, json: df.json}
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
	seen := &batchWatch{}
	cfg.HTTPClient = seen.client(cfg.HTTPClient)
	client, err := nexudus.New(cfg)
	if err != nil {
		r.fail("setup", err.Error(), "correct the flags")
		return r.result()
	}
	page, err := client.List(ctx, nexudus.ListOptions{Size: 1})
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	var (
		ae *nexudus.APIError
		fe *nexudus.ForbiddenError
	)
	switch {
	case err == nil:
		r.ok("reachable", "the server answers")
		r.ok("list role", "may list contract contacts (%d visible)", page.TotalItems)
	case errors.As(err, &fe):
		r.ok("reachable", "the server answers")
		r.fail("list role", "the credentials lack the "+fe.Role+" role", "an administrator of the space can grant "+fe.Role+", or sign in as a user who has it")
		return r.result()
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

	if err := a.doctorExport(ctx, r, client, seen); err != nil {
		return err
	}
	if err := doctorLookups(ctx, r, client); err != nil {
		return err
	}
	return r.result()
}

// totalOf is the count of records a list page reports, or its error.
func totalOf[T any](p *nexudus.ListPage[T], err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return p.TotalItems, nil
}

// doctorLookups checks that the lists an import reads to look Ids up
// from names (contracts, coworkers, countries) can be read: a warning,
// not a failure, as only sheets that name records need them. Only an
// interrupt is returned.
func doctorLookups(ctx context.Context, r *report, client *nexudus.Client) error {
	one := nexudus.ListOptions{Size: 1}
	lists := []struct {
		what, names string
		count       func() (int, error)
	}{
		{"contracts", "contracts by holder, company or billing name (give CoworkerContractId instead)", func() (int, error) {
			return totalOf(client.ListContracts(ctx, one))
		}},
		{"coworkers", "coworkers by email (give CoworkerId instead)", func() (int, error) {
			return totalOf(client.ListCoworkers(ctx, one))
		}},
		{"countries", "countries by name or code (give CountryId instead)", func() (int, error) {
			return totalOf(client.ListCountries(ctx, one))
		}},
	}
	var counts []string
	for _, l := range lists {
		n, err := l.count()
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		var fe *nexudus.ForbiddenError
		switch {
		case errors.As(err, &fe):
			r.warn("lookups", "the credentials lack the "+fe.Role+" role, so sheets cannot name "+l.names,
				"an administrator of the space can grant "+fe.Role+" (only sheets that name records need it)")
		case err != nil:
			r.warn("lookups", "the "+l.what+" list could not be read: "+err.Error(), "run doctor again; only sheets that name records need it")
		default:
			counts = append(counts, fmt.Sprintf("%d %s", n, l.what))
		}
	}
	if len(counts) == len(lists) {
		r.ok("lookups", "may list %s, which sheets that name records need", strings.Join(counts, ", "))
	}
	return nil
}

// doctorExport checks what export needs of the server: the dir
// convention, the page size served and the paging fields, the page
// parameter, and the several-at-once read. Only an interrupt is returned.
func (a *app) doctorExport(ctx context.Context, r *report, client *nexudus.Client, seen *batchWatch) error {
	conv, err := exporter.ProbeDirection(ctx, client)
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	switch {
	case err != nil:
		r.fail("paging", "a sorted listing failed: "+err.Error(), "run doctor again; if it persists the server refuses orderBy=Id")
		return nil
	case conv.Name == "endpoint":
		r.ok("paging", "dir 1 = ascending (endpoint page convention), -1 = descending")
	case conv.Name == "legacy":
		r.ok("paging", "dir 0/1 legacy convention (1 = descending); export adapts to it")
	case conv.Name == "ignored-asc":
		r.warn("paging", "dir is ignored: the server always sorts ascending (it reports CurrentSortDirection "+strconv.Itoa(conv.Reported[-1])+" for dir -1)",
			"export pages ascending and refuses --dir desc; sort the file afterwards for another order")
	case conv.Name == "ignored-desc":
		r.warn("paging", "dir is ignored: the server always sorts descending",
			"export writes files in descending Id order (and refuses --dir asc); sort the file afterwards if the order matters")
	default:
		r.ok("paging", "fewer than 2 records, so the direction convention cannot be seen (server reports CurrentSortDirection=%d)", conv.Reported[1])
	}

	const asked = 1000 // export's page size
	dir := conv.Asc
	if !conv.HasAsc {
		dir = conv.Desc
	}
	pg, err := client.List(ctx, nexudus.ListOptions{Page: 1, Size: asked, OrderBy: "Id", Dir: &dir})
	if ctx.Err() != nil {
		return interrupted(ctx.Err())
	}
	if err != nil {
		r.fail("page size", "a listing of "+strconv.Itoa(asked)+" failed: "+err.Error(), "run doctor again; export asks for pages of 1000 (--page-size to ask fewer)")
		return nil
	}
	served, total := len(pg.Records), pg.TotalItems
	switch {
	case total == 0 && served > 0:
		r.fail("page size", fmt.Sprintf("the server served %d records but counts TotalItems 0", served), "export cannot show such a listing complete and refuses it; report it to Nexudus support")
	case served == 0:
		r.ok("page size", "no records, so the page size served cannot be seen")
	case served >= min(asked, total):
		r.ok("page size", "serves the %d records asked per page (%d in all)", min(asked, total), total)
	default:
		detail := fmt.Sprintf("serves at most %d records a page (asked %d; CurrentPageSize %d)", served, asked, pg.CurrentPageSize)
		switch wantPages := (total + served - 1) / served; {
		case pg.TotalPages == wantPages:
			r.ok("page size", "%s; its paging fields count pages of %d; export pages by what it serves", detail, served)
		case pg.TotalPages == 0:
			r.warn("page size", detail+"; it reports TotalPages 0 and HasNextPage false",
				"nothing to do for export, which pages until a short page; tools that trust TotalPages read one page only")
		default:
			r.warn("page size", fmt.Sprintf("%s; its TotalPages (%d) and HasNextPage count pages of the size asked, not served", detail, pg.TotalPages),
				"nothing to do for export, which pages by the records served; tools that trust TotalPages miss records")
		}
	}

	if total >= 2 {
		one, err1 := client.List(ctx, nexudus.ListOptions{Page: 1, Size: 1, OrderBy: "Id", Dir: &dir})
		two, err2 := client.List(ctx, nexudus.ListOptions{Page: 2, Size: 1, OrderBy: "Id", Dir: &dir})
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		switch {
		case err1 != nil || err2 != nil:
			r.fail("pages", "a one-record listing failed: "+errors.Join(err1, err2).Error(), "run doctor again")
		case len(one.Records) == 1 && len(two.Records) == 1 && one.Records[0].ID == two.Records[0].ID:
			fix := fmt.Sprintf("export can only read such a server on one page: --page-size %d or more", total)
			if served < min(asked, total) {
				fix = fmt.Sprintf("no page size can help, as the server serves at most %d of the %d records a page; ask Nexudus support", served, total)
			}
			r.fail("pages", "the server answers page 2 with the records of page 1: it ignores the page parameter", fix)
		default:
			r.ok("pages", "page 2 follows page 1")
		}
	}

	r.batchCheck(ctx, client, pg, seen)
	return nil
}

// batchCheck tries the several-at-once read on a few listed records and
// says what it answers.
func (r *report) batchCheck(ctx context.Context, client *nexudus.Client, pg *nexudus.Page, seen *batchWatch) {
	var ids []int64
	for _, rec := range pg.Records {
		if len(ids) == 10 {
			break
		}
		ids = append(ids, rec.ID)
	}
	if len(ids) == 0 {
		r.ok("batch read", "no records to read, so the several-at-once read cannot be tried")
		return
	}
	seen.start()
	recs, err := client.Get(ctx, ids)
	w := seen.stop()
	var fe *nexudus.ForbiddenError
	switch {
	case errors.As(err, &fe):
		r.fail("batch read", "the credentials lack the "+fe.Role+" role, which export --full and import need",
			"an administrator of the space can grant "+fe.Role+", or sign in as a user who has it")
		return
	case err != nil:
		r.fail("batch read", "reading records by id failed: "+err.Error(), "run doctor again; export --full needs it")
		return
	}
	oneByOne := fmt.Sprintf("nothing to do: export --full then reads records one at a time (a request each, about %d times slower)", min(50, len(ids)))
	switch w.status {
	case 0:
		r.ok("batch read", "the client did not use the several-at-once read (it reads one at a time here)")
	case 200:
		switch {
		case w.returned < len(ids) && len(recs) == len(ids):
			r.warn("batch read", fmt.Sprintf("the several-at-once read left out %d of %d records that exist", len(ids)-w.returned, len(ids)),
				"nothing to do: export --full reads those one at a time")
		case w.withFields:
			r.ok("batch read", "the several-at-once read answers full records (%d of %d)", w.returned, len(ids))
		case seen.oneWithFields():
			r.warn("batch read", "the several-at-once read answers summary records (no Address, PostCode, CityName, State or Notes)", oneByOne)
		default:
			r.ok("batch read", "the several-at-once read answers %d of %d records, none with an address or notes, so full and summary records cannot be told apart; export --full checks each", w.returned, len(ids))
		}
	default:
		r.warn("batch read", fmt.Sprintf("the several-at-once read is refused (HTTP %d)", w.status), oneByOne)
	}
}

// batchWatch sees the answers of the several-at-once read (?id=[..]) and
// of one-record reads pass by, so that doctor can say what the server
// answered: the client itself hides that, as it guarantees full records.
type batchWatch struct {
	mu      sync.Mutex
	on      bool
	batch   batchSeen
	oneFull bool
	base    http.RoundTripper
}

// batchSeen is what the several-at-once reads answered: the last status,
// how many records came back, and whether any held a field listings
// leave out.
type batchSeen struct {
	status     int
	returned   int
	withFields bool
}

// client returns an *http.Client that watches hc's traffic (hc nil: the
// default transport).
func (b *batchWatch) client(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	b.base = c.Transport
	if b.base == nil {
		b.base = http.DefaultTransport
	}
	c.Transport = b
	return c
}

func (b *batchWatch) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.on, b.batch, b.oneFull = true, batchSeen{}, false
}

func (b *batchWatch) stop() batchSeen {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.on = false
	return b.batch
}

func (b *batchWatch) oneWithFields() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.oneFull
}

// RoundTrip passes the request on and notes the answers doctor asks about.
func (b *batchWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := b.base.RoundTrip(req)
	b.mu.Lock()
	on := b.on
	b.mu.Unlock()
	if err != nil || !on || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "contractcontacts") {
		return res, err
	}
	batch := req.URL.Query().Has("id")
	body, rerr := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return res, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if batch {
		b.batch.status = res.StatusCode
		if res.StatusCode == http.StatusOK {
			var recs []map[string]any
			if json.Unmarshal(body, &recs) == nil {
				b.batch.returned += len(recs)
				for _, rec := range recs {
					b.batch.withFields = b.batch.withFields || unlistedIn(rec)
				}
			}
		}
		return res, nil
	}
	if res.StatusCode == http.StatusOK {
		var rec map[string]any
		if json.Unmarshal(body, &rec) == nil && unlistedIn(rec) {
			b.oneFull = true
		}
	}
	return res, nil
}

// unlistedIn reports whether a record as JSON holds one of the fields
// listings leave out.
func unlistedIn(rec map[string]any) bool {
	for _, k := range []string{"Address", "PostCode", "CityName", "State", "Notes"} {
		if s, ok := rec[k].(string); ok && s != "" {
			return true
		}
	}
	return false
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
