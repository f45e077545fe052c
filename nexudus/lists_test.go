package nexudus_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

// listClient is a fast client of a sandboxtest server.
func listClient(t *testing.T, s *sandboxtest.Server) *nexudus.Client {
	t.Helper()
	c, err := nexudus.New(nexudus.Config{
		BaseURL: s.URL, HTTPClient: s.Client(), Token: s.Token, Rate: nexudus.Rate{N: 1000, Per: time.Second},
		WriteRate: nexudus.Rate{N: 1000, Per: time.Second}, MinInterval: -1, DailyWrites: -1,
		Timeout: 5 * time.Second, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		MaxRetryAfter: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// collect returns a ReadAll callback that appends each record's Id to ids.
func collect[T any](ids *[]int64, id func(*T) int64) func(*T) {
	return func(r *T) { *ids = append(*ids, id(r)) }
}

// TestReadAllReadsWholeLists: each list is read whole, in as many
// requests as its pages, whatever the server does with page sizes, paging
// fields and sort direction; a server that serves a page again is an
// error, never a half list.
func TestReadAllReadsWholeLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       sandbox.Config
		wantReads [3]int // contracts (14), coworkers (12), countries (28)
		wantErr   bool
	}{
		{"documented, one page each", sandbox.Config{}, [3]int{1, 1, 1}, false},
		{"pages of 5", sandbox.Config{MaxPageSize: 5}, [3]int{3, 3, 6}, false},
		{"pages of 4, exactly full", sandbox.Config{MaxPageSize: 4}, [3]int{4, 3, 7}, false},
		{"capped silently, fields from the size asked", sandbox.Config{MaxPageSize: 5, Behaviour: sandbox.Behaviour{PagingFields: sandbox.PagingAsked}}, [3]int{3, 3, 6}, false},
		{"no page count", sandbox.Config{MaxPageSize: 5, Behaviour: sandbox.Behaviour{PagingFields: sandbox.PagingZero}}, [3]int{3, 3, 6}, false},
		{"dir ignored, descending", sandbox.Config{MaxPageSize: 5, Behaviour: sandbox.Behaviour{Direction: sandbox.DirIgnoredDesc}}, [3]int{3, 3, 6}, false},
		{"legacy dir", sandbox.Config{Behaviour: sandbox.Behaviour{Direction: sandbox.DirLegacy}}, [3]int{1, 1, 1}, false},
		{"dates in local time", sandbox.Config{Behaviour: sandbox.Behaviour{Dates: sandbox.DatesNoZone}}, [3]int{1, 1, 1}, false},
		{"the same page again", sandbox.Config{MaxPageSize: 5, Behaviour: sandbox.Behaviour{SamePage: true}}, [3]int{2, 2, 2}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := sandboxtest.New(t, tc.cfg)
			c := listClient(t, s)
			check := func(i int, what string, ids []int64, reads int, err error, want []int64) {
				t.Helper()
				var pe *nexudus.PagingError
				switch {
				case tc.wantErr:
					if !errors.As(err, &pe) || pe.List != what {
						t.Errorf("%s: error %v, want a *PagingError for %s", what, err, what)
					}
				case err != nil:
					t.Errorf("%s: %v", what, err)
				default:
					slices.Sort(ids)
					if !slices.Equal(ids, want) {
						t.Errorf("%s: read %v, want %v", what, ids, want)
					}
				}
				if reads != tc.wantReads[i] {
					t.Errorf("%s: %d reads, want %d", what, reads, tc.wantReads[i])
				}
			}
			var contracts, coworkers, countries []int64
			for _, c := range sandbox.DefaultContracts() {
				contracts = append(contracts, c.ID)
			}
			for _, c := range sandbox.DefaultCoworkers() {
				coworkers = append(coworkers, c.ID)
			}
			for _, c := range sandbox.DefaultCountries() {
				countries = append(countries, c.ID)
			}
			ctx := context.Background()
			var ids []int64
			reads, err := nexudus.ReadAll(ctx, "contracts", c.ListContracts, collect(&ids, func(r *nexudus.Contract) int64 { return r.ID }))
			check(0, "contracts", ids, reads, err, contracts)
			ids = nil
			reads, err = nexudus.ReadAll(ctx, "coworkers", c.ListCoworkers, collect(&ids, func(r *nexudus.Coworker) int64 { return r.ID }))
			check(1, "coworkers", ids, reads, err, coworkers)
			ids = nil
			reads, err = nexudus.ReadAll(ctx, "countries", c.ListCountries, collect(&ids, func(r *nexudus.Country) int64 { return r.ID }))
			check(2, "countries", ids, reads, err, countries)
			if got := s.Requests("GET", "/api/billing/coworkercontracts"); got != tc.wantReads[0] {
				t.Errorf("the sandbox saw %d contract reads, want %d", got, tc.wantReads[0])
			}
		})
	}
}

// TestReadAllRefusesACountThatDoesNotMatch: a page that loses a record
// (as offset paging does when a record is deleted meanwhile) makes the
// list a half one: an error, not a shorter list.
func TestReadAllRefusesACountThatDoesNotMatch(t *testing.T) {
	t.Parallel()
	s := sandboxtest.New(t, sandbox.Config{MaxPageSize: 5})
	c := listClient(t, s)
	losing := func(ctx context.Context, opt nexudus.ListOptions) (*nexudus.ListPage[nexudus.Contract], error) {
		p, err := c.ListContracts(ctx, opt)
		if err == nil && opt.Page == 2 && len(p.Records) > 0 {
			p.Records = p.Records[1:]
		}
		return p, err
	}
	var ids []int64
	_, err := nexudus.ReadAll(context.Background(), "contracts", losing, collect(&ids, func(r *nexudus.Contract) int64 { return r.ID }))
	var pe *nexudus.PagingError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want a *PagingError", err)
	}
	t.Log(err)
}

// TestListsReadTheRecords: the typed records carry what the sandbox holds
// for the hard cases of lookups.
func TestListsReadTheRecords(t *testing.T) {
	t.Parallel()
	s := sandboxtest.New(t, sandbox.Config{})
	c := listClient(t, s)
	ctx := context.Background()
	contracts, err := c.ListContracts(ctx, nexudus.ListOptions{Page: 1, Size: 100, OrderBy: "Id"})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]nexudus.Contract{}
	for _, k := range contracts.Records {
		byID[k.ID] = k
	}
	if k := byID[1011]; k.CoworkerID != 2001 || deref(k.CoworkerEmail) != "ada@analytical.example" || !k.Active || k.Cancelled || deref(k.TariffName) != "Mail Handling" {
		t.Errorf("contract 1011: %+v", k)
	}
	if k := byID[1012]; !k.Cancelled || k.Active || deref(k.CoworkerFullName) != "Margaret Hamilton" {
		t.Errorf("contract 1012: %+v", k)
	}
	if contracts.TotalItems != 14 {
		t.Errorf("TotalItems %d, want 14", contracts.TotalItems)
	}
	coworkers, err := c.ListCoworkers(ctx, nexudus.ListOptions{Page: 1, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if w := coworkers.Records[9]; w.ID != 2010 || deref(w.Email) != "Hedy.Lamarr@FrequencyHopping.example" {
		t.Errorf("coworker 2010: %+v", w)
	}
	countries, err := c.ListCountries(ctx, nexudus.ListOptions{Page: 1, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if k := countries.Records[len(countries.Records)-1]; k.ID != 72 || k.TwoDigitsCode != "AX" || k.Name != "Åland Islands" {
		t.Errorf("last country: %+v", k)
	}
}

// TestListsNameTheMissingRole: a 403 on a list names the role it needs,
// and stops a run.
func TestListsNameTheMissingRole(t *testing.T) {
	t.Parallel()
	s := sandboxtest.New(t, sandbox.Config{Behaviour: sandbox.Behaviour{Roles: []string{"ContractContact-List", "Coworker-List"}}})
	c := listClient(t, s)
	ctx := context.Background()
	for _, tc := range []struct {
		role string
		call func() error
	}{
		{"CoworkerContract-List", func() error { _, err := c.ListContracts(ctx, nexudus.ListOptions{}); return err }},
		{"Country-List", func() error { _, err := c.ListCountries(ctx, nexudus.ListOptions{}); return err }},
	} {
		err := tc.call()
		var fe *nexudus.ForbiddenError
		if !errors.As(err, &fe) || fe.Role != tc.role || !nexudus.StopsRun(err) {
			t.Errorf("error %v, want a 403 naming %s that stops a run", err, tc.role)
		}
	}
	if _, err := c.ListCoworkers(ctx, nexudus.ListOptions{}); err != nil {
		t.Errorf("coworkers with Coworker-List: %v", err)
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
