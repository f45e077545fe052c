package importer

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// fullReader is what reconciliation uses, when the client offers it, to
// compare the fields listings leave out (Address, PostCode, CityName, State,
// Notes). *nexudus.Client satisfies it.
type fullReader interface {
	Get(ctx context.Context, ids []int64) ([]nexudus.Record, error)
}

// reconcilePageSize is how many records one reconciliation listing asks for;
// a contract rarely holds more than a handful of contacts of one name.
const reconcilePageSize = 100

// maxReconcilePages bounds the listing of one reconciliation, so a server
// that never says it is done cannot keep it going forever.
const maxReconcilePages = 50

// findExisting returns the Ids, ascending, of the records in the space that
// are exactly c. It lists the contract's contacts filtered by contract and
// name, and compares every field sent, because the server's string filters
// match substrings, ignoring case.
func findExisting(ctx context.Context, api API, c mapping.Contact) ([]int64, error) {
	filters := url.Values{}
	filters.Set("ContractContact_CoworkerContract", strconv.FormatInt(c.CoworkerContractID, 10))
	if c.CoworkerID != nil {
		// The server may resolve a linked contact's name from the coworker:
		// find it by the coworker instead (an exact integer filter).
		filters.Set("ContractContact_Coworker", strconv.FormatInt(*c.CoworkerID, 10))
	} else {
		filters.Set("ContractContact_FullName", c.FullName)
	}
	var ids []int64
	seen := make(map[int64]bool)
	for page := 1; page <= maxReconcilePages; page++ {
		p, err := api.List(ctx, nexudus.ListOptions{Page: page, Size: reconcilePageSize, OrderBy: "Id", Filters: filters})
		if err != nil {
			return nil, fmt.Errorf("look for %q on contract %d: %w", c.FullName, c.CoworkerContractID, err)
		}
		for _, r := range p.Records {
			if !seen[r.ID] && sameListed(r, c) {
				seen[r.ID] = true
				ids = append(ids, r.ID)
			}
		}
		if len(p.Records) == 0 || !p.HasNextPage || (p.TotalPages > 0 && page >= p.TotalPages) {
			break
		}
	}
	if len(ids) > 0 && hasUnlisted(c) {
		if fr, ok := api.(fullReader); ok {
			full, err := fr.Get(ctx, ids)
			if err != nil {
				return nil, fmt.Errorf("read contacts %v: %w", ids, err)
			}
			ids = ids[:0]
			for _, r := range full {
				if sameListed(r, c) && sameUnlisted(r, c) {
					ids = append(ids, r.ID)
				}
			}
		}
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	return ids, nil
}

// sameListed reports whether r holds exactly the fields of c that listings
// return. Emails compare ignoring case (servers may fold them); everything
// else compares exactly, except that a contact linked to a coworker may
// carry the coworker's own name and email, which the API resolves.
func sameListed(r nexudus.Record, c mapping.Contact) bool {
	name := r.FullName == c.FullName
	email := strings.EqualFold(str(r.Email), c.Email)
	if c.CoworkerID != nil {
		name = name || r.FullName == "" || r.FullName == str(r.CoworkerFullName)
		email = email || str(r.Email) == "" || strings.EqualFold(str(r.Email), str(r.CoworkerEmail))
	}
	return r.CoworkerContractID == c.CoworkerContractID &&
		name && email &&
		r.ContractContactType == c.ContractContactType &&
		sameDate(str(r.DateOfBirth), c.DateOfBirth) &&
		sameID(r.CoworkerID, c.CoworkerID) &&
		sameID(r.CountryID, c.CountryID) &&
		str(r.PhoneNumber) == c.PhoneNumber
}

// hasUnlisted reports whether c sets a field that listings leave out.
func hasUnlisted(c mapping.Contact) bool {
	return c.Address != "" || c.PostCode != "" || c.CityName != "" || c.State != "" || c.Notes != ""
}

// sameUnlisted compares the fields only full records carry.
func sameUnlisted(r nexudus.Record, c mapping.Contact) bool {
	return str(r.Address) == c.Address && str(r.PostCode) == c.PostCode &&
		str(r.CityName) == c.CityName && str(r.State) == c.State && str(r.Notes) == c.Notes
}

// sameDate compares the date parts of two API dates ("1990-03-04T00:00:00",
// possibly with a trailing Z), or two empty ones.
func sameDate(a, b string) bool {
	if len(a) >= 10 && len(b) >= 10 {
		return a[:10] == b[:10]
	}
	return a == b
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// pickUnclaimed returns the newest of ids that no other row of the journal
// owns, and how many unclaimed ones there were.
func pickUnclaimed(j *journal, key string, ids []int64) (id int64, n int) {
	for _, c := range ids {
		if owner := j.claimedBy(c); owner != "" && owner != key {
			continue
		}
		id = c // ids ascend: the last unclaimed one is the newest
		n++
	}
	return id, n
}
