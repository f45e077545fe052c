package exporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"contactbulk/mapping"
	"contactbulk/sandbox"
)

func TestRunGolden(t *testing.T) {
	cols, err := ParseColumns("id,FullName,email,ContractContactType,PhoneNumber,Notes")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  Options
	}{
		{"all-columns.csv", Options{}},
		{"numeric-enums.csv", Options{NumericEnums: true, Columns: cols}},
		{"raw.csv", Options{Raw: true, Columns: cols}},
		{"bom.csv", Options{BOM: true, Columns: cols}},
		{"full.csv", Options{Full: true}},
		{"contract-1002.csv", Options{Columns: cols, Filters: url.Values{"ContractContact_CoworkerContract": {"1002"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, api := start(t, sandbox.Config{})
			srv.Generate(6, 1002)
			srv.SeedAwkward(1001)
			fixUniqueIDs(srv)
			var out bytes.Buffer
			sum, err := Run(context.Background(), api, &out, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Consistent || sum.Records != len(readCSV(t, out.Bytes()))-1 {
				t.Errorf("summary %+v does not match the file", sum)
			}
			golden(t, tc.name, out.Bytes())
		})
	}
}

func TestRunPaging(t *testing.T) {
	tests := []struct {
		name             string
		records, maxSize int
		pageSize, window int
		legacy, desc     bool
		wantPages        int
	}{
		{name: "one page", records: 10, wantPages: 1},
		{name: "empty", records: 0, wantPages: 1},
		{name: "server caps the size", records: 50, maxSize: 7, wantPages: 8},
		{name: "exact pages", records: 40, pageSize: 10, wantPages: 4},
		{name: "window of one", records: 23, pageSize: 5, window: 1, wantPages: 5},
		{name: "legacy direction", records: 23, pageSize: 5, legacy: true, wantPages: 5},
		{name: "descending", records: 23, pageSize: 5, desc: true, wantPages: 5},
		{name: "legacy descending", records: 23, pageSize: 5, legacy: true, desc: true, wantPages: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := sandbox.DirEndpoint
			if tc.legacy {
				dir = sandbox.DirLegacy
			}
			srv, api := start(t, sandbox.Config{MaxPageSize: tc.maxSize, Behaviour: sandbox.Behaviour{Direction: dir}})
			srv.Generate(tc.records, 0)
			var out bytes.Buffer
			sum, err := Run(context.Background(), api, &out, Options{PageSize: tc.pageSize, Window: tc.window, Descending: tc.desc})
			if err != nil {
				t.Fatal(err)
			}
			got := idsOf(t, readCSV(t, out.Bytes()))
			var want []int64
			for _, r := range srv.Records() {
				want = append(want, r.ID)
			}
			if tc.desc {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Ids %v, want %v", got, want)
			}
			if sum.Pages != tc.wantPages || sum.Passes != 1 || !sum.Consistent || sum.TotalItems != tc.records {
				t.Errorf("summary %+v, want %d pages in one consistent pass", sum, tc.wantPages)
			}
		})
	}
}

func TestRunFullBatches(t *testing.T) {
	srv, api := start(t, sandbox.Config{})
	srv.Generate(45, 1001)
	hook := &hookAPI{API: api}
	var out bytes.Buffer
	sum, err := Run(context.Background(), hook, &out, Options{Full: true, PageSize: 20, BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	// Pages of 20, 20 and 5 records: 3 + 3 + 1 reads of at most 8 ids.
	if hook.gets != 7 || sum.FullReads != 7 {
		t.Errorf("%d several-at-once reads (summary %d), want 7", hook.gets, sum.FullReads)
	}
	rows := readCSV(t, out.Bytes())
	addr := slices.Index(rows[0], "Address")
	notes := slices.Index(rows[0], "Notes")
	for i, r := range srv.Records() {
		if got := rows[i+1][addr]; got != deref(r.Address) {
			t.Errorf("row %d Address %q, want %q", i+1, got, deref(r.Address))
		}
		if got := rows[i+1][notes]; got != deref(r.Notes) {
			t.Errorf("row %d Notes %q, want %q", i+1, got, deref(r.Notes))
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return mapping.Quote(*p)
}

// TestRunChurn changes the data between page requests: the file must hold
// no duplicate Id and every record that existed throughout, or the run must
// say it could not be made consistent.
func TestRunChurn(t *testing.T) {
	tests := []struct {
		name string
		// change runs before listing request n (1 and 2 are the direction probe).
		change           func(srv *sandbox.Server, ids []int64, n int)
		wantInconsistent bool
		wantPasses       int
	}{
		{
			name: "deletes before the offset",
			change: func(srv *sandbox.Server, ids []int64, n int) {
				if n >= 4 && n <= 7 {
					srv.Delete(ids[n*3]) // records already passed: the next page would skip
				}
			},
			wantPasses: 2,
		},
		{
			name: "inserts in the middle",
			change: func(srv *sandbox.Server, ids []int64, n int) {
				if n >= 4 && n <= 7 {
					srv.Insert(sandbox.Record{ID: ids[2] + int64(n)*100000, CoworkerContractID: 1001, FullName: "Inserted"})
					srv.Insert(sandbox.Record{ID: ids[0] - int64(n), CoworkerContractID: 1001, FullName: "Early"})
				}
			},
			wantPasses: 2,
		},
		{
			name: "adds and deletes balanced",
			change: func(srv *sandbox.Server, ids []int64, n int) {
				if n >= 4 && n <= 9 {
					srv.Delete(ids[n])
					srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "New"})
				}
			},
			wantPasses: 2,
		},
		{
			name: "never stops changing",
			change: func(srv *sandbox.Server, ids []int64, n int) {
				if n >= 4 {
					srv.Delete(ids[n%len(ids)])
					srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Churn"})
				}
			},
			wantInconsistent: true,
			wantPasses:       3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, api := start(t, sandbox.Config{})
			srv.Generate(60, 0)
			var ids []int64
			for _, r := range srv.Records() {
				ids = append(ids, r.ID)
			}
			deleted := map[int64]bool{}
			hook := &hookAPI{API: api, before: func(n int) {
				before := srv.Records()
				tc.change(srv, ids, n)
				after := map[int64]bool{}
				for _, r := range srv.Records() {
					after[r.ID] = true
				}
				for _, r := range before {
					if !after[r.ID] {
						deleted[r.ID] = true
					}
				}
			}}
			var out bytes.Buffer
			sum, err := Run(context.Background(), hook, &out, Options{PageSize: 7, Window: 2})
			if tc.wantInconsistent != errors.Is(err, ErrInconsistent) {
				t.Fatalf("err = %v, want inconsistent %v", err, tc.wantInconsistent)
			}
			if err != nil && !tc.wantInconsistent {
				t.Fatal(err)
			}
			got := idsOf(t, readCSV(t, out.Bytes()))
			seen := map[int64]bool{}
			for _, id := range got {
				if seen[id] {
					t.Errorf("Id %d written twice", id)
				}
				seen[id] = true
			}
			if !tc.wantInconsistent {
				for _, id := range ids {
					if !deleted[id] && !seen[id] {
						t.Errorf("Id %d existed throughout but is not in the file", id)
					}
				}
			}
			if sum.Passes != tc.wantPasses || sum.Records != len(got) {
				t.Errorf("summary %+v, want %d passes and %d records", sum, tc.wantPasses, len(got))
			}
		})
	}
}

func TestRunReportsAPIError(t *testing.T) {
	srv, api := start(t, sandbox.Config{})
	srv.Generate(30, 0)
	srv.Inject(sandbox.Injection{Method: "GET", Status: 500, Times: 100})
	var out bytes.Buffer
	_, err := Run(context.Background(), api, &out, Options{PageSize: 10})
	if err == nil || !strings.Contains(err.Error(), "list contacts") {
		t.Fatalf("err = %v, want a listing error", err)
	}
}

func TestRunInterrupted(t *testing.T) {
	srv, api := start(t, sandbox.Config{})
	srv.Generate(30, 0)
	ctx, cancel := context.WithCancel(context.Background())
	hook := &hookAPI{API: api, before: func(n int) {
		if n == 4 {
			cancel()
		}
	}}
	var out bytes.Buffer
	_, err := Run(ctx, hook, &out, Options{PageSize: 5})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRunProgress(t *testing.T) {
	srv, api := start(t, sandbox.Config{})
	srv.Generate(25, 0)
	var seen []Progress
	var out bytes.Buffer
	_, err := Run(context.Background(), api, &out, Options{PageSize: 10, Progress: func(p Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []Progress{{10, 25, 1, 1, 10}, {20, 25, 2, 1, 20}, {25, 25, 3, 1, 25}}
	if !slices.Equal(seen, want) {
		t.Errorf("progress %v, want %v", seen, want)
	}
}

// fixUniqueIDs gives every record a UniqueId made from its Id, so that golden
// files do not depend on random ones.
func fixUniqueIDs(srv *sandbox.Server) {
	for _, r := range srv.Records() {
		r.UniqueID = fmt.Sprintf("00000000-0000-4000-8000-%012d", r.ID)
		srv.Insert(r)
	}
}

// TestRunOrderedChurn renames records while an export ordered by FullName
// pages: a record moving back past the offset is missed (and another served
// twice), one moving forward is served twice (and another missed). The
// verification pass lists by Id and appends what was missed at the end.
func TestRunOrderedChurn(t *testing.T) {
	tests := []struct {
		name     string
		from, to string // rename the record called from to to
	}{
		{"moves back", "N55", "A55"},
		{"moves forward", "N03", "Z03"},
		{"stays behind the offset", "N50", "N50b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, api := start(t, sandbox.Config{})
			for i := range 60 {
				srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: fmt.Sprintf("N%02d", i)})
			}
			hook := &hookAPI{API: api, before: func(n int) {
				if n != 5 { // after the probe (2 requests), the top and page 1
					return
				}
				for _, r := range srv.Records() {
					if r.FullName == tc.from {
						r.FullName = tc.to
						srv.Insert(r)
					}
				}
			}}
			var out bytes.Buffer
			sum, err := Run(context.Background(), hook, &out, Options{OrderBy: "FullName", PageSize: 10, Window: 1})
			if err != nil {
				t.Fatal(err)
			}
			rows := readCSV(t, out.Bytes())
			name := slices.Index(rows[0], "FullName")
			var names []string
			for _, r := range rows[1:] {
				names = append(names, r[name])
			}
			seen := map[string]bool{}
			for _, n := range names {
				if seen[n] {
					t.Errorf("%s written twice", n)
				}
				seen[n] = true
			}
			if len(names) != 60 {
				t.Errorf("%d rows, want 60: %v", len(names), names)
			}
			wantPasses, wantRepaired := 2, 1
			if tc.name == "stays behind the offset" {
				wantPasses, wantRepaired = 1, 0
			}
			if sum.Passes != wantPasses || sum.Repaired != wantRepaired || !sum.Consistent {
				t.Errorf("summary %+v, want %d passes and %d repaired", sum, wantPasses, wantRepaired)
			}
			// Apart from what was appended, the file is in the order asked.
			if sorted := names[:len(names)-sum.Repaired]; !slices.IsSorted(sorted) {
				t.Errorf("rows not ordered by FullName: %v", sorted)
			}
		})
	}
}

// TestRunChurnBehaviours deletes and adds records while the export pages
// against servers with every dir convention and a capped page whose
// paging fields come from the size served or asked: the file holds no Id
// twice and every record that existed throughout, in the order the server
// gives.
func TestRunChurnBehaviours(t *testing.T) {
	for _, dir := range []sandbox.Direction{sandbox.DirEndpoint, sandbox.DirLegacy, sandbox.DirIgnoredAsc, sandbox.DirIgnoredDesc} {
		for _, fields := range []sandbox.PagingFields{sandbox.PagingServed, sandbox.PagingAsked, sandbox.PagingZero} {
			t.Run(dir.String()+"/"+fields.String(), func(t *testing.T) {
				t.Parallel()
				srv, api := start(t, sandbox.Config{MaxPageSize: 7, Behaviour: sandbox.Behaviour{Direction: dir, PagingFields: fields}})
				srv.Generate(60, 0)
				var ids []int64
				for _, r := range srv.Records() {
					ids = append(ids, r.ID)
				}
				deleted := map[int64]bool{}
				hook := &hookAPI{API: api, before: func(n int) {
					if n >= 5 && n <= 9 { // between pages of the first pass
						id := ids[n*2]
						if dir == sandbox.DirIgnoredDesc {
							id = ids[len(ids)-1-n*2] // behind the offset when paging down
						}
						srv.Delete(id)
						deleted[id] = true
						srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "New"})
					}
				}}
				var out bytes.Buffer
				sum, err := Run(context.Background(), hook, &out, Options{PageSize: 1000, Window: 2})
				if err != nil && !errors.Is(err, ErrInconsistent) {
					t.Fatal(err)
				}
				got := idsOf(t, readCSV(t, out.Bytes()))
				seen := map[int64]bool{}
				for _, id := range got {
					if seen[id] {
						t.Errorf("Id %d written twice", id)
					}
					seen[id] = true
				}
				if err == nil {
					for _, id := range ids {
						if !deleted[id] && !seen[id] {
							t.Errorf("Id %d existed throughout but is missing", id)
						}
					}
					if sum.Passes < 2 {
						t.Errorf("records were deleted behind the offset, yet one pass sufficed: %+v", sum)
					}
				}
				wantDesc := dir == sandbox.DirIgnoredDesc
				firstPass := got[:len(got)-sum.Repaired]
				if sorted := slices.IsSorted(firstPass); wantDesc == sorted && len(firstPass) > 1 {
					t.Errorf("first pass not in the server's order (descending %v): %v", wantDesc, firstPass)
				}
			})
		}
	}
}

// TestRunSamePageWhileCounting: a server that answers every page with
// page 1 gets records added while the export pages, so that the count at
// the end needs a second page: it is refused rather than counted for ever.
func TestRunSamePageWhileCounting(t *testing.T) {
	t.Parallel()
	srv, api := start(t, sandbox.Config{Behaviour: sandbox.Behaviour{SamePage: true}})
	srv.Generate(5, 0)
	hook := &hookAPI{API: api, before: func(n int) {
		if n == 5 { // after the probe (2), the top and page 1: before the count
			for range 6 {
				srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Late"})
			}
		}
	}}
	var out bytes.Buffer
	_, err := Run(context.Background(), hook, &out, Options{})
	var se *ServerError
	if !errors.As(err, &se) || !strings.Contains(se.What, "ignores the page parameter") {
		t.Fatalf("err = %v, want a ServerError about the page parameter", err)
	}
}
