package importer

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"contactbulk/nexudus"
)

// listPageSize is the page size the space is read with: the largest seen
// in the wild. The server may serve fewer; paging goes by what it serves.
const listPageSize = 1000

// maxListPages bounds one listing, so that a server that always has one
// more page cannot keep a run going for ever (10 million records).
const maxListPages = 10_000

// space is what the space holds for the contracts of a sheet: every record
// by Id and by identity. It is read before anything is written (the plan),
// and again to settle unknown outcomes and to verify the finish.
type space struct {
	byID  map[int64]*nexudus.Record
	byKey map[string][]int64 // identity key -> Ids, ascending
	full  map[int64]bool     // records read whole (listings leave fields out)
	maxID int64              // the highest Id read: records above it are newer than the read
	reads int                // requests made
}

func newSpace() *space {
	return &space{byID: make(map[int64]*nexudus.Record), byKey: make(map[string][]int64), full: make(map[int64]bool)}
}

// add indexes r, replacing an earlier copy of the same record.
func (s *space) add(r nexudus.Record, full bool) {
	if old, ok := s.byID[r.ID]; ok {
		s.unindex(old)
	}
	rec := r
	s.byID[r.ID] = &rec
	byName, byCoworker := recordKeys(&rec)
	for _, k := range []string{byName, byCoworker} {
		if k == "" {
			continue
		}
		ids := s.byKey[k]
		i, found := slices.BinarySearch(ids, r.ID)
		if !found {
			s.byKey[k] = slices.Insert(ids, i, r.ID)
		}
	}
	if full {
		s.full[r.ID] = true
	} else {
		delete(s.full, r.ID)
	}
	s.maxID = max(s.maxID, r.ID)
}

func (s *space) unindex(r *nexudus.Record) {
	byName, byCoworker := recordKeys(r)
	for _, k := range []string{byName, byCoworker} {
		if k == "" {
			continue
		}
		s.byKey[k] = slices.DeleteFunc(s.byKey[k], func(id int64) bool { return id == r.ID })
		if len(s.byKey[k]) == 0 {
			delete(s.byKey, k)
		}
	}
}

// candidates returns the Ids of the records with identity key, ascending.
func (s *space) candidates(key string) []int64 { return s.byKey[key] }

// reader reads the space through an API.
type reader struct {
	api API
}

// read lists every record of the contracts, choosing per-contract listings
// or one listing of the whole space by whichever needs fewer requests, and
// then reads by Id the records in ids that those listings did not hold. It
// returns an error when the space cannot be read whole: a row checked
// against half a listing could be created twice.
func (rd reader) read(ctx context.Context, contracts []int64, ids []int64) (*space, error) {
	s := newSpace()
	wanted := make(map[int64]bool, len(contracts))
	for _, c := range contracts {
		wanted[c] = true
	}
	if len(contracts) > 0 {
		perContract := len(contracts)
		probe, err := rd.api.List(ctx, nexudus.ListOptions{Page: 1, Size: 1, OrderBy: "Id"})
		s.reads++
		if err != nil {
			return nil, fmt.Errorf("read the space: %w", err)
		}
		whole := (probe.TotalItems + listPageSize - 1) / listPageSize
		if probe.TotalItems == 0 && len(probe.Records) > 0 {
			whole = perContract + 1 // a count of 0 cannot be believed
		}
		if whole < perContract {
			err = rd.listAll(ctx, nil, s, func(r *nexudus.Record) bool { return wanted[r.CoworkerContractID] })
		} else {
			for _, c := range contracts {
				f := url.Values{"ContractContact_CoworkerContract": {strconv.FormatInt(c, 10)}}
				// The filter is an exact integer one; the check stays, so
				// that a server ignoring it costs time, not correctness.
				err = rd.listAll(ctx, f, s, func(r *nexudus.Record) bool { return r.CoworkerContractID == c })
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	var missing []int64
	for _, id := range ids {
		if _, ok := s.byID[id]; !ok && id != 0 {
			missing = append(missing, id)
		}
	}
	if err := rd.readFull(ctx, s, missing); err != nil {
		return nil, err
	}
	return s, nil
}

// readFull reads the records ids whole and indexes them; ids that do not
// exist are left out of s.
func (rd reader) readFull(ctx context.Context, s *space, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	recs, err := rd.api.Get(ctx, ids)
	s.reads += (len(ids) + 49) / 50
	if err != nil {
		return fmt.Errorf("read records %s: %w", idList(ids[:min(len(ids), 5)]), err)
	}
	for _, r := range recs {
		if slices.Contains(ids, r.ID) {
			s.add(r, true)
		}
	}
	return nil
}

// listAll pages through the listing with filters, adding the records keep
// accepts. It pages by what the server serves and stops at a page that
// brings nothing new (empty, or a page already seen). A pass is kept only
// when it is whole: the server's count did not change from page to page
// (a record deleted or added meanwhile shifts the pages, and a record
// skipped that way would be created again) and every record it counts
// was served. Otherwise the listing is read again, a few times at most.
func (rd reader) listAll(ctx context.Context, filters url.Values, s *space, keep func(*nexudus.Record) bool) error {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		recs, seen, total, stable, err := rd.pages(ctx, filters, s, keep)
		if err != nil {
			return err
		}
		if stable && (total <= 0 || seen >= total) {
			for _, r := range recs {
				s.add(r, false)
			}
			return nil
		}
		if attempt == attempts {
			what := "the space"
			if filters != nil {
				what = "contract " + filters.Get("ContractContact_CoworkerContract")
			}
			if !stable {
				return fmt.Errorf("read %s: the records kept changing while they were read (%d times); nothing was written, run again", what, attempts)
			}
			return fmt.Errorf("read %s: the server counts %d records but served %d (it does not page as documented); nothing was written, run again", what, total, seen)
		}
	}
}

// pages makes one pass over a listing and returns the records keep
// accepts, how many distinct records it served, the server's count, and
// whether that count stayed the same on every page.
func (rd reader) pages(ctx context.Context, filters url.Values, s *space, keep func(*nexudus.Record) bool) (recs []nexudus.Record, seen, total int, stable bool, err error) {
	ids := make(map[int64]bool)
	stable = true
	for page := 1; ; page++ {
		if page > maxListPages {
			return nil, 0, 0, false, fmt.Errorf("read the space: still paging after %d pages; the server does not say where its listing ends", maxListPages)
		}
		p, err := rd.api.List(ctx, nexudus.ListOptions{Page: page, Size: listPageSize, OrderBy: "Id", Filters: filters})
		s.reads++
		if err != nil {
			return nil, 0, 0, false, fmt.Errorf("read the space: %w", err)
		}
		if page > 1 && p.TotalItems != total {
			stable = false
		}
		total = p.TotalItems
		fresh := 0
		for i := range p.Records {
			r := &p.Records[i]
			if ids[r.ID] {
				continue
			}
			ids[r.ID] = true
			fresh++
			if keep(r) {
				recs = append(recs, *r)
			}
		}
		if fresh == 0 || total > 0 && len(ids) >= total {
			return recs, len(ids), total, stable, nil
		}
	}
}

// contractsOf returns the distinct contracts of records and rows, sorted.
func contractsOf(ids ...[]int64) []int64 {
	var out []int64
	for _, list := range ids {
		out = append(out, list...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
