package nexudus

import (
	"context"
	"fmt"
	"net/http"
)

// The related lists a sheet's names are looked up in (NOTES.md, "Related
// lists"), and the roles that list them.
const (
	contractsPath = "/api/billing/coworkercontracts"
	coworkersPath = "/api/spaces/coworkers"
	countriesPath = "/api/sys/countries"

	roleContractList = "CoworkerContract-List"
	roleCoworkerList = "Coworker-List"
	roleCountryList  = "Country-List"
)

// Contract is a CoworkerContract as the contracts list returns it: the
// fields NOTES.md names, of the many Nexudus has, with its holder's
// (a coworker's) name, email, company and billing name. A customer may
// hold several contracts. Read tolerantly, like Record.
type Contract struct {
	ID                  int64   `json:"Id"`
	CoworkerID          int64   `json:"CoworkerId"`
	CoworkerFullName    *string `json:"CoworkerFullName"`
	CoworkerEmail       *string `json:"CoworkerEmail"`
	CoworkerCompanyName *string `json:"CoworkerCompanyName"`
	CoworkerBillingName *string `json:"CoworkerBillingName"`
	CoworkerActive      *bool   `json:"CoworkerActive"`
	TariffID            *int64  `json:"TariffId"`
	TariffName          *string `json:"TariffName"`
	StartDate           *string `json:"StartDate"`
	Active              bool    `json:"Active"`
	MainContract        bool    `json:"MainContract"`
	Cancelled           bool    `json:"Cancelled"`
	CancellationDate    *string `json:"CancellationDate"`
	Quantity            int64   `json:"Quantity"`
	Notes               *string `json:"Notes"`
}

// Coworker is a customer as the coworkers list returns it: the fields
// NOTES.md names, of the many Nexudus has. Read tolerantly, like Record.
type Coworker struct {
	ID          int64   `json:"Id"`
	FullName    string  `json:"FullName"`
	Email       *string `json:"Email"`
	CompanyName *string `json:"CompanyName"`
	BillingName *string `json:"BillingName"`
	Active      bool    `json:"Active"`
}

// Country is a country of Nexudus's own table: its Id is Nexudus's, not
// an ISO number; TwoDigitsCode is its ISO 3166-1 alpha-2 code.
type Country struct {
	ID            int64  `json:"Id"`
	Name          string `json:"Name"`
	TwoDigitsCode string `json:"TwoDigitsCode"`
	Culture       string `json:"Culture"`
}

func (c Contract) id() int64 { return c.ID }
func (c Coworker) id() int64 { return c.ID }
func (c Country) id() int64  { return c.ID }

// ListContracts fetches one page of the contracts list (role
// CoworkerContract-List). Its errors are those of List.
func (c *Client) ListContracts(ctx context.Context, opt ListOptions) (*ListPage[Contract], error) {
	return listPage[Contract](ctx, c, contractsPath, roleContractList, "contracts", opt)
}

// ListCoworkers fetches one page of the coworkers (customers) list (role
// Coworker-List). Its errors are those of List.
func (c *Client) ListCoworkers(ctx context.Context, opt ListOptions) (*ListPage[Coworker], error) {
	return listPage[Coworker](ctx, c, coworkersPath, roleCoworkerList, "coworkers", opt)
}

// ListCountries fetches one page of the space's countries (role
// Country-List). Its errors are those of List.
func (c *Client) ListCountries(ctx context.Context, opt ListOptions) (*ListPage[Country], error) {
	return listPage[Country](ctx, c, countriesPath, roleCountryList, "countries", opt)
}

// listPage fetches one page of the list at path, read tolerantly.
func listPage[T any](ctx context.Context, c *Client, path, role, what string, opt ListOptions) (*ListPage[T], error) {
	body, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: opt.query(), auth: true, role: role})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	var p ListPage[T]
	if err := c.decode(body, &p); err != nil {
		return nil, fmt.Errorf("list %s: unexpected answer: %w", what, err)
	}
	return &p, nil
}

// ListPageSize is the page size ReadAll asks for: the largest seen in the
// wild (no maximum is documented). The server may serve fewer.
const ListPageSize = 1000

// maxPages bounds one reading of a list, so that a server that always has
// one more page cannot keep a run going for ever (10 million records).
const maxPages = 10_000

// Lister fetches one page of a related list: Client.ListContracts,
// ListCoworkers or ListCountries.
type Lister[T listed] func(ctx context.Context, opt ListOptions) (*ListPage[T], error)

// listed is a record of a list ReadAll can page: it has an Id.
type listed interface{ id() int64 }

// PagingError says a list could not be read whole: the server served a
// page it had served already, or a number of records other than its own
// count. Nothing read from it can be trusted to be the whole list.
type PagingError struct {
	List    string // "contracts", "coworkers", "countries"
	Problem string
}

func (e *PagingError) Error() string {
	return "read the " + e.List + " list: " + e.Problem
}

// ReadAll reads a whole list, every page, asking for ListPageSize records
// a page ordered by Id and paging by what the server answers: an empty
// page, or one shorter than the first, ends it, as does reaching the
// count it gives (TotalItems). It calls each once for every record, in
// the order served, and keeps nothing but the Ids seen. It returns how
// many requests it made and, when the list cannot be read whole, a
// *PagingError: a page that brings only records already served (a server
// that serves one page again), or a count that does not match what was
// served (records added or removed while paging, or paging not as
// documented). A half list is never returned as a whole one. Other errors
// are those of the lister (StopsRun names those that stop a run, such as
// a missing role).
func ReadAll[T listed](ctx context.Context, what string, list Lister[T], each func(*T)) (reads int, err error) {
	seen := make(map[int64]struct{})
	size, total := 0, 0
	for page := 1; ; page++ {
		if page > maxPages {
			return reads, &PagingError{what, fmt.Sprintf("still paging after %d pages; the server does not say where the list ends", maxPages)}
		}
		p, err := list(ctx, ListOptions{Page: page, Size: ListPageSize, OrderBy: "Id"})
		reads++
		if err != nil {
			return reads, err
		}
		n := len(p.Records)
		if n == 0 {
			break
		}
		fresh := 0
		for i := range p.Records {
			id := p.Records[i].id()
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
			fresh++
			each(&p.Records[i])
		}
		if fresh == 0 {
			return reads, &PagingError{what, fmt.Sprintf("page %d holds only records of earlier pages (the server serves a page again instead of the one asked)", page)}
		}
		total = p.TotalItems
		if page == 1 {
			size = n
		}
		if n < size || total > 0 && len(seen) >= total {
			break
		}
	}
	if total > 0 && len(seen) != total {
		return reads, &PagingError{what, fmt.Sprintf("the server counts %d records but served %d (records changed while paging, or it does not page as documented)", total, len(seen))}
	}
	return reads, nil
}
