package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
)

// TestDirection lists on servers with each reading of dir: the order
// served, and the CurrentSortDirection echoed.
func TestDirection(t *testing.T) {
	t.Parallel()
	asc, desc := []int64{1, 2, 3}, []int64{3, 2, 1}
	type want struct {
		ids  []int64
		echo int
	}
	tests := []struct {
		dir  Direction
		want map[string]want // by the dir sent; "" sends none
	}{
		{DirEndpoint, map[string]want{"": {asc, 1}, "1": {asc, 1}, "-1": {desc, -1}, "0": {asc, 1}}},
		{DirLegacy, map[string]want{"": {asc, 0}, "0": {asc, 0}, "1": {desc, 1}, "-1": {asc, 0}}},
		{DirIgnoredAsc, map[string]want{"": {asc, 1}, "1": {asc, 1}, "-1": {asc, -1}, "0": {asc, 0}}},
		{DirIgnoredDesc, map[string]want{"": {desc, 1}, "1": {desc, 1}, "-1": {desc, -1}, "0": {desc, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.dir.String(), func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{Behaviour: Behaviour{Direction: tc.dir}})
			seedThree(h)
			for _, order := range []string{"FullName", "Id", ""} {
				for dir, w := range tc.want {
					q := url.Values{}
					if order != "" {
						q.Set("orderBy", order)
					}
					if dir != "" {
						q.Set("dir", dir)
					}
					p := h.list(q)
					if got := ids(p.Records); !slices.Equal(got, w.ids) || p.CurrentSortDirection != w.echo {
						t.Errorf("orderBy=%s dir=%q: ids %v echo %d, want %v echo %d", order, dir, got, p.CurrentSortDirection, w.ids, w.echo)
					}
				}
			}
			if status, _ := h.do("GET", collectionPath+"?dir=up", ""); status != 400 {
				t.Errorf("dir=up: status %d, want 400", status)
			}
		})
	}
}

// TestPagingFields lists 23 records, 10 a page at most, on servers that
// fill the paging fields in each way.
func TestPagingFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fields     PagingFields
		page, size string
		from, to   int // the records served, as indexes into all
		want       string
	}{
		{PagingServed, "1", "25", 0, 10, "size 10/10 page 1 items 1-10 pages 3 next true prev false"},
		{PagingAsked, "1", "25", 0, 10, "size 25/25 page 1 items 1-23 pages 1 next false prev false"},
		{PagingAsked, "2", "25", 10, 20, "size 25/25 page 2 items 26-23 pages 1 next false prev true"},
		{PagingAsked, "2", "5", 5, 10, "size 5/5 page 2 items 6-10 pages 5 next true prev true"}, // not capped: as served
		{PagingZero, "1", "25", 0, 10, "size 10/10 page 1 items 1-10 pages 0 next false prev false"},
		{PagingZero, "3", "10", 20, 23, "size 10/10 page 3 items 21-23 pages 0 next false prev true"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s page %s size %s", tc.fields, tc.page, tc.size), func(t *testing.T) {
			t.Parallel()
			h := start(t, Config{MaxPageSize: 10, Behaviour: Behaviour{PagingFields: tc.fields}})
			h.srv.Generate(23, 1001)
			all := h.srv.Records()
			p := h.list(url.Values{"page": {tc.page}, "size": {tc.size}})
			if got := ids(p.Records); !slices.Equal(got, ids(all[tc.from:tc.to])) {
				t.Errorf("ids %v, want records %d to %d", got, tc.from, tc.to)
			}
			got := fmt.Sprintf("size %d/%d page %d items %d-%d pages %d next %v prev %v",
				p.CurrentPageSize, p.PageSize, p.CurrentPage, p.FirstItem, p.LastItem, p.TotalPages, p.HasNextPage, p.HasPreviousPage)
			if got != tc.want || p.TotalItems != 23 {
				t.Errorf("got  %s (total %d)\nwant %s", got, p.TotalItems, tc.want)
			}
		})
	}
}

// TestSamePage lists on a server that answers every page with page 1.
func TestSamePage(t *testing.T) {
	t.Parallel()
	h := start(t, Config{Behaviour: Behaviour{SamePage: true}})
	h.srv.Generate(23, 1001)
	first := ids(h.srv.Records()[:10])
	for _, n := range []string{"1", "2", "3", "9"} {
		for _, path := range []string{collectionPath, collectionPath + "/"} {
			status, b := h.do("GET", path+"?size=10&page="+n, "")
			var p page[Record]
			if err := json.Unmarshal(b, &p); status != 200 || err != nil {
				t.Fatalf("%s: status %d %v: %s", path, status, err, b)
			}
			if got := ids(p.Records); !slices.Equal(got, first) || p.CurrentPage != 1 || p.FirstItem != 1 || !p.HasNextPage || p.HasPreviousPage {
				t.Errorf("%s page %s: ids %v page %d first %d next %v prev %v, want page 1 again", path, n, got, p.CurrentPage, p.FirstItem, p.HasNextPage, p.HasPreviousPage)
			}
		}
	}
}
