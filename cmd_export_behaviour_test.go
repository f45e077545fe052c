package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"contactbulk/sandbox"
)

// TestExportBehaviours runs export against every listing and answer
// behaviour the sandbox models: each ends with the data complete and
// exactly once (in the order the server can give), or with a refusal
// that says what the server does and the fix, exit 2, the previous file
// kept and nothing half written.
func TestExportBehaviours(t *testing.T) {
	tests := []struct {
		name     string
		cfg      sandbox.Config
		records  int
		args     []string
		wantDesc bool   // the file comes in descending Id order
		refusal  string // exit 2 with this in the message
		fix      string // and this after "fix:"
		note     string // a note on stderr
	}{
		{name: "endpoint convention", records: 23, args: []string{"--page-size", "5"}},
		{name: "endpoint convention, descending", records: 23, args: []string{"--page-size", "5", "--dir", "desc"}, wantDesc: true},
		{name: "legacy convention", records: 23, cfg: behave(sandbox.Behaviour{Direction: sandbox.DirLegacy}), args: []string{"--page-size", "5"}},
		{name: "legacy convention, descending", records: 23, cfg: behave(sandbox.Behaviour{Direction: sandbox.DirLegacy}), args: []string{"--page-size", "5", "--dir", "desc"}, wantDesc: true},
		{name: "dir ignored, ascending", records: 23, cfg: behave(sandbox.Behaviour{Direction: sandbox.DirIgnoredAsc}), args: []string{"--page-size", "5"}},
		{
			name: "dir ignored, ascending, descending asked", records: 23, cfg: behave(sandbox.Behaviour{Direction: sandbox.DirIgnoredAsc}),
			args: []string{"--page-size", "5", "--dir", "desc"}, refusal: "the server ignores dir and always sorts ascending", fix: "leave out --dir",
		},
		{
			name: "dir ignored, descending", records: 23, cfg: behave(sandbox.Behaviour{Direction: sandbox.DirIgnoredDesc}),
			args: []string{"--page-size", "5"}, wantDesc: true, note: "the file is in descending order",
		},
		{
			name: "dir ignored, descending, ascending asked", records: 23, cfg: behave(sandbox.Behaviour{Direction: sandbox.DirIgnoredDesc}),
			args: []string{"--dir", "asc"}, refusal: "always sorts descending, so it cannot list ascending", fix: "leave out --dir",
		},
		{name: "capped page, fields from the size served", records: 50, cfg: capped(7, sandbox.Behaviour{}), note: "serves at most 7 records a page"},
		{
			name: "capped page, fields from the size asked", records: 50, cfg: capped(7, sandbox.Behaviour{PagingFields: sandbox.PagingAsked}),
			note: "its CurrentPageSize says 1000 and TotalPages 1: export pages by the 7 records it serves",
		},
		{name: "capped page, TotalPages 0", records: 50, cfg: capped(7, sandbox.Behaviour{PagingFields: sandbox.PagingZero})},
		{name: "TotalPages 0", records: 23, cfg: behave(sandbox.Behaviour{PagingFields: sandbox.PagingZero}), args: []string{"--page-size", "5"}},
		{
			name: "capped, fields from the size asked, dir ignored descending", records: 50,
			cfg: capped(7, sandbox.Behaviour{PagingFields: sandbox.PagingAsked, Direction: sandbox.DirIgnoredDesc}), wantDesc: true,
		},
		{name: "same page always, all on it", records: 20, cfg: behave(sandbox.Behaviour{SamePage: true})},
		{
			name: "same page always, asked pages too small", records: 30, cfg: behave(sandbox.Behaviour{SamePage: true}),
			args: []string{"--page-size", "10"}, refusal: "it ignores the page parameter", fix: "--page-size 30 or more",
		},
		{name: "same page always, the fix", records: 30, cfg: behave(sandbox.Behaviour{SamePage: true}), args: []string{"--page-size", "30"}},
		{
			name: "same page always, capped", records: 30, cfg: capped(7, sandbox.Behaviour{SamePage: true}),
			refusal: "answered page 2 with the same 7 records as page 1", fix: "no page size can help",
		},
		{name: "batch read full", records: 12, cfg: behave(sandbox.Behaviour{Batch: sandbox.BatchFull}), args: []string{"--full", "--page-size", "5"}},
		{name: "batch read answers summaries", records: 12, cfg: behave(sandbox.Behaviour{Batch: sandbox.BatchSummary}), args: []string{"--full", "--page-size", "5"}},
		{name: "batch read leaves records out", records: 12, cfg: behave(sandbox.Behaviour{Batch: sandbox.BatchPartial}), args: []string{"--full", "--page-size", "5"}},
		{name: "batch read 404", records: 12, cfg: behave(sandbox.Behaviour{Batch: sandbox.BatchNotFound}), args: []string{"--full", "--page-size", "5"}},
		{name: "batch read 400", records: 12, cfg: behave(sandbox.Behaviour{Batch: sandbox.BatchBadRequest}), args: []string{"--full", "--page-size", "5"}},
		{
			name: "batch summaries, dir ignored, capped", records: 20,
			cfg: capped(6, sandbox.Behaviour{Batch: sandbox.BatchSummary, Direction: sandbox.DirIgnoredAsc, PagingFields: sandbox.PagingAsked}), args: []string{"--full"},
		},
		{name: "type as a name", records: 12, cfg: behave(sandbox.Behaviour{TypeNames: true}), args: []string{"--page-size", "5"}},
		{name: "dates local with Z", records: 12, cfg: behave(sandbox.Behaviour{Dates: sandbox.DatesLocalZ})},
		{name: "dates without zone", records: 12, cfg: behave(sandbox.Behaviour{Dates: sandbox.DatesNoZone})},
		{name: "dates with offsets", records: 12, cfg: behave(sandbox.Behaviour{Dates: sandbox.DatesOffset})},
		{name: "dates with fractions", records: 12, cfg: behave(sandbox.Behaviour{Dates: sandbox.DatesFraction})},
		{name: "UpdatedOn null", records: 12, cfg: behave(sandbox.Behaviour{NullUpdatedOn: true})},
		{name: "503 with Retry-After", records: 12, cfg: behave(sandbox.Behaviour{Unavailable: 0.2}), args: []string{"--page-size", "5"}},
		{name: "another app at the documented limits", records: 23, args: []string{"--page-size", "3"},
			cfg: sandbox.Config{Limits: sandbox.DocumentedLimits(), Behaviour: sandbox.Behaviour{OtherApp: 60}}},
		{name: "write quota spent elsewhere (an export writes nothing)", records: 12, cfg: behave(sandbox.Behaviour{QuotaSpent: time.Hour})},
		{name: "redirected elsewhere", records: 5, cfg: behave(sandbox.Behaviour{RedirectTo: "http://192.0.2.1:9"}), refusal: "refused a redirect"},
		{
			name: "list role missing", records: 5, cfg: behave(sandbox.Behaviour{Roles: []string{"ContractContact-Read"}}),
			refusal: "ContractContact-List",
		},
		{
			name: "read role missing with --full", records: 5, cfg: behave(sandbox.Behaviour{Roles: []string{"ContractContact-List"}}),
			args: []string{"--full"}, refusal: "ContractContact-Read",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newExportHarness(t, tc.cfg)
			h.srv.Generate(tc.records, 1001)
			dir := t.TempDir()
			out := filepath.Join(dir, "contacts.csv")
			os.WriteFile(out, []byte("yesterday\n"), 0o600)
			args := append([]string{"--out", out, "--raw"}, tc.args...)
			_, stderr, code := h.run(context.Background(), args...)
			if tc.refusal != "" {
				if code != 2 || !strings.Contains(stderr, tc.refusal) || !strings.Contains(stderr, tc.fix) || !strings.Contains(stderr, "contacts.csv was left as it was") {
					t.Errorf("exit %d, stderr %q; want exit 2, %q and the fix %q", code, stderr, tc.refusal, tc.fix)
				}
				if data, _ := os.ReadFile(out); string(data) != "yesterday\n" {
					t.Errorf("the previous file now holds %q", data)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Errorf("the folder holds %d files", len(entries))
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if tc.note != "" && !strings.Contains(stderr, tc.note) {
				t.Errorf("stderr lacks the note %q:\n%s", tc.note, stderr)
			}
			data, _ := os.ReadFile(out)
			rows := exportRows(t, string(data))
			recs := h.srv.Records()
			var want []int64
			for _, r := range recs {
				want = append(want, r.ID)
			}
			if tc.wantDesc {
				slices.Reverse(want)
				slices.Reverse(recs)
			}
			if got := exportIDs(t, string(data)); !slices.Equal(got, want) {
				t.Fatalf("Ids %v, want each of %v once, in order", got, want)
			}
			full := slices.Contains(tc.args, "--full")
			for i, r := range recs {
				row := rows[i]
				checks := map[string]string{"FullName": r.FullName, "ContractContactType": typeName(r.ContractContactType), "Email": deref(r.Email)}
				if full {
					for field, v := range map[string]*string{"Address": r.Address, "PostCode": r.PostCode, "CityName": r.CityName, "State": r.State, "Notes": r.Notes} {
						checks[field] = deref(v)
					}
				}
				for field, w := range checks {
					if row[field] != w {
						t.Errorf("record %d %s = %q, want %q", r.ID, field, row[field], w)
					}
				}
			}
		})
	}
}

func behave(b sandbox.Behaviour) sandbox.Config { return sandbox.Config{Behaviour: b} }

func capped(size int, b sandbox.Behaviour) sandbox.Config {
	return sandbox.Config{MaxPageSize: size, Behaviour: b}
}

// typeName is the name export writes for a ContractContactType number.
func typeName(n int) string {
	return [...]string{"None", "Director", "CompanyAlias", "NominatedRecipient"}[n]
}

// TestExportSinceLastBehaviours runs --since-last twice against servers
// that write dates in every form, and one whose new records have no
// UpdatedOn: the second run holds exactly what changed since the first.
func TestExportSinceLastBehaviours(t *testing.T) {
	for _, b := range []sandbox.Behaviour{
		{Dates: sandbox.DatesUTC},
		{Dates: sandbox.DatesLocalZ},
		{Dates: sandbox.DatesNoZone},
		{Dates: sandbox.DatesOffset},
		{Dates: sandbox.DatesFraction},
		{NullUpdatedOn: true},
		{NullUpdatedOn: true, Dates: sandbox.DatesOffset},
	} {
		name := b.Dates.String()
		if b.NullUpdatedOn {
			name += ", UpdatedOn null"
		}
		t.Run(name, func(t *testing.T) {
			h := newExportHarness(t, sandbox.Config{Behaviour: b})
			old := h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Old", CreatedOn: "2024-01-01T00:00:00Z", UpdatedOn: "2024-01-02T00:00:00Z"})
			dir := t.TempDir()
			state := filepath.Join(dir, "state")
			if _, stderr, code := h.run(context.Background(), "--since-last", state, "--out", filepath.Join(dir, "1.csv")); code != 0 {
				t.Fatalf("first run: exit %d: %s", code, stderr)
			}
			fresh := h.srv.Insert(sandbox.Record{CoworkerContractID: 1001, FullName: "Fresh"}) // created now, maybe with no UpdatedOn
			out := filepath.Join(dir, "2.csv")
			if _, stderr, code := h.run(context.Background(), "--since-last", state, "--out", out); code != 0 {
				t.Fatalf("second run: exit %d: %s", code, stderr)
			}
			data, _ := os.ReadFile(out)
			if ids := exportIDs(t, string(data)); !slices.Equal(ids, []int64{fresh}) {
				t.Errorf("second run exported %v, want only %d (not %d)", ids, fresh, old)
			}
			rows := exportRows(t, string(data))
			if b.NullUpdatedOn && rows[0]["UpdatedOn"] != "" {
				t.Errorf("UpdatedOn %q, want it empty as served", rows[0]["UpdatedOn"])
			}
		})
	}
}
