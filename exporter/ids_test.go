package exporter

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"contactbulk/nexudus"
)

func TestIDDiff(t *testing.T) {
	t.Parallel()
	set := func(ids ...int64) string {
		var b strings.Builder
		b.WriteString(idsHeader + "\n")
		for _, id := range ids {
			b.WriteString(strconv.FormatInt(id, 10) + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name      string
		prev      *string
		next      []int64
		wantGone  []int64
		wantErr   error
		wantCount int
	}{
		{name: "first run", next: []int64{3, 5}, wantCount: 2},
		{name: "nothing gone", prev: ptr(set(3, 5)), next: []int64{3, 5, 9}, wantCount: 3},
		{name: "gone in the middle, the start and the end", prev: ptr(set(1, 3, 4, 5, 8, 9)), next: []int64{3, 5, 6}, wantGone: []int64{1, 4, 8, 9}, wantCount: 3},
		{name: "everything gone", prev: ptr(set(1, 2)), wantGone: []int64{1, 2}},
		{name: "not an Id set", prev: ptr("Id\n1\n"), next: []int64{1}, wantErr: ErrBadIDSet},
		{name: "out of order", prev: ptr(set(5, 3)), next: []int64{9}, wantErr: ErrBadIDSet},
		{name: "empty file", prev: ptr(""), next: []int64{1}, wantErr: ErrBadIDSet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var next bytes.Buffer
			var gone []int64
			var prev *strings.Reader
			d := NewIDDiff(nil, &next, func(id int64) error { gone = append(gone, id); return nil })
			if tc.prev != nil {
				prev = strings.NewReader(*tc.prev)
				d = NewIDDiff(prev, &next, func(id int64) error { gone = append(gone, id); return nil })
			}
			var err error
			for _, id := range tc.next {
				if err = d.Add(id); err != nil {
					break
				}
			}
			var n, lost int
			if err == nil {
				n, lost, err = d.Close()
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gone, tc.wantGone) || lost != len(tc.wantGone) || n != tc.wantCount {
				t.Errorf("gone %v (%d), ids %d; want %v, %d", gone, lost, n, tc.wantGone, tc.wantCount)
			}
			if next.String() != set(tc.next...) {
				t.Errorf("new set %q", next.String())
			}
		})
	}
	d := NewIDDiff(nil, &bytes.Buffer{}, nil)
	d.Add(5)
	if err := d.Add(5); err == nil {
		t.Error("an Id given twice was taken")
	}
}

// TestRuns writes runs in both directions and reads them back merged and
// by membership, in blocks smaller and larger than runBlock.
func TestRuns(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	var all []int64
	var runs []*idRun
	for i, n := range []int{0, 5, runBlock + 7, 3 * runBlock} {
		desc := i%2 == 1
		r, err := newRun(desc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.remove)
		ids := map[int64]bool{}
		for len(ids) < n {
			ids[rng.Int64N(1_000_000)] = true
		}
		var list []int64
		for id := range ids {
			list = append(list, id)
		}
		slices.Sort(list)
		if desc {
			slices.Reverse(list)
		}
		for _, id := range list {
			if err := r.add(id); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.finish(); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
		all = append(all, list...)
		// Membership, asked in the run's own order and in the other.
		for _, asc := range []bool{true, false} {
			c := r.cursor(asc)
			probe := slices.Clone(list)
			slices.Sort(probe)
			if !asc {
				slices.Reverse(probe)
			}
			for _, id := range probe {
				before := id - 1 // an Id just before, in the order asked
				if !asc {
					before = id + 1
				}
				for _, q := range []int64{before, id} {
					if q == before && ids[q] {
						continue
					}
					in, err := c.has(q, asc)
					if err != nil || in != (q == id) {
						t.Fatalf("run %d asc %v: has(%d) = %v, %v", i, asc, q, in, err)
					}
				}
			}
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var merged []int64
	if err := mergeRuns(runs, func(id int64) error { merged = append(merged, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(merged, all) {
		t.Errorf("merged %d Ids, want %d", len(merged), len(all))
	}
}

func TestChangedSince(t *testing.T) {
	t.Parallel()
	since := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name               string
		updated, created   string
		wantChanged, known bool
	}{
		{"Z after", "2025-06-01T12:00:00Z", "", true, true},
		{"Z before", "2025-06-01T11:59:59Z", "", false, true},
		{"no zone, read as UTC", "2025-06-01T12:30:00", "", true, true},
		{"offset behind UTC", "2025-06-01T08:00:00-05:00", "", true, true},
		{"offset ahead of UTC", "2025-06-01T13:00:00+02:00", "", false, true},
		{"seven-digit fraction", "2025-06-01T11:59:59.9999999Z", "", false, true},
		{"fraction, no zone", "2025-06-01T12:00:00.1234567", "", true, true},
		{"null UpdatedOn, created after", "", "2025-06-02T00:00:00Z", true, true},
		{"null UpdatedOn, created before", "", "2025-05-01T00:00:00Z", false, true},
		{"unreadable: kept", "yesterday", "2025-05-01T00:00:00Z", true, false},
		{"no dates at all: kept", "", "", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := nexudus.Record{UpdatedOn: tc.updated, CreatedOn: tc.created}
			changed, known := changedSince(&r, since)
			if changed != tc.wantChanged || known != tc.known {
				t.Errorf("changedSince = %v, %v; want %v, %v", changed, known, tc.wantChanged, tc.known)
			}
		})
	}
}

func TestStateClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	st := State{LastStart: now.Add(26 * time.Hour)}
	err := st.CheckClock(now)
	if err == nil || !strings.Contains(err.Error(), "26h0m0s from now") || !strings.Contains(err.Error(), "remove the state file") {
		t.Errorf("future state: %v", err)
	}
	if err := (State{LastStart: now.Add(time.Minute)}).CheckClock(now); err != nil {
		t.Errorf("a minute ahead: %v", err)
	}
	// The state never moves back: a start before the recorded one keeps it.
	next := State{LastStart: now.Add(2 * time.Minute)}.Next(now, now.Add(time.Minute), 3, "", 7, "")
	if !next.LastStart.Equal(now.Add(2*time.Minute)) || next.IDs != 7 {
		t.Errorf("next state %+v", next)
	}
	if next := (State{LastStart: now.Add(-time.Hour)}).Next(now, now, 0, "", 0, ""); !next.LastStart.Equal(now) {
		t.Errorf("next state %+v", next)
	}
}
