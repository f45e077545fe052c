package nexudus

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"contactbulk/mapping"
)

// TestDecodeTolerant reads answers whose values have other JSON types than
// the documented ones: never a failed page, a note for each field once.
func TestDecodeTolerant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		record   string // one record of a listing page
		check    func(r Record) bool
		wantNote string // "" for none
	}{
		{"documented", `{"Id":5,"FullName":"A","ContractContactType":1}`,
			func(r Record) bool { return r.ID == 5 && r.ContractContactType == mapping.TypeDirector }, ""},
		{"type by name", `{"Id":5,"ContractContactType":"Director"}`,
			func(r Record) bool { return r.ContractContactType == mapping.TypeDirector }, "ContractContactType by name"},
		{"type by spaced name", `{"Id":5,"ContractContactType":"Nominated Recipient"}`,
			func(r Record) bool { return r.ContractContactType == mapping.TypeNominatedRecipient }, "ContractContactType by name"},
		{"type as text number", `{"Id":5,"ContractContactType":"2"}`,
			func(r Record) bool { return r.ContractContactType == mapping.TypeCompanyAlias }, "ContractContactType as text"},
		{"unknown type name", `{"Id":5,"ContractContactType":"Guarantor"}`,
			func(r Record) bool { return r.ContractContactType == -1 }, `"Guarantor", not a documented type`},
		{"Id as text", `{"Id":"87654321","CoworkerContractId":"1001","CoworkerId":"2001"}`,
			func(r Record) bool { return r.ID == 87654321 && r.CoworkerContractID == 1001 && *r.CoworkerID == 2001 }, "Id as text"},
		{"Id as a whole float", `{"Id":87654321.0}`, func(r Record) bool { return r.ID == 87654321 }, "Id as"},
		{"extra fields", `{"Id":5,"Brand":"x","Nested":{"a":[1,2]},"ContractContactType":1}`,
			func(r Record) bool { return r.ID == 5 }, ""},
		{"text as a number", `{"Id":5,"PhoneNumber":442079460000,"ContractContactType":"1"}`,
			func(r Record) bool { return *r.PhoneNumber == "442079460000" }, "PhoneNumber as a number"},
		{"true/false as text", `{"Id":5,"CoworkerActive":"true","IsNew":1}`,
			func(r Record) bool { return *r.CoworkerActive && r.IsNew }, "CoworkerActive as text"},
		{"unreadable value left out", `{"Id":5,"FullName":{"first":"A"},"CountryId":[1]}`,
			func(r Record) bool { return r.ID == 5 && r.FullName == "" && r.CountryID == nil }, "FullName as an object; left empty"},
		{"dates in other forms are kept as written", `{"Id":5,"UpdatedOn":null,"CreatedOn":"2025-01-10T08:00:00.1234567+02:00","ContractContactType":1}`,
			func(r Record) bool { return r.UpdatedOn == "" && r.CreatedOn == "2025-01-10T08:00:00.1234567+02:00" }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var notes []string
			c := &Client{noted: map[string]bool{}, cfg: Config{Logf: func(f string, args ...any) {
				notes = append(notes, fmt.Sprintf(f, args...))
			}}}
			body := `{"Records":[` + tc.record + `,{"Id":6,"FullName":"B"}],"CurrentPage":1,"TotalItems":2,"Unknown":true}`
			var p Page
			if err := c.decode([]byte(body), &p); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(p.Records) != 2 || !tc.check(p.Records[0]) || p.Records[1].ID != 6 || p.TotalItems != 2 {
				t.Fatalf("page = %+v", p)
			}
			got := strings.Join(notes, "\n")
			if tc.wantNote == "" && got != "" {
				t.Errorf("notes = %q, want none", got)
			}
			if tc.wantNote != "" && !strings.Contains(got, tc.wantNote) {
				t.Errorf("notes = %q, want one saying %q", got, tc.wantNote)
			}
		})
	}
	t.Run("each field is noted once", func(t *testing.T) {
		n := 0
		c := &Client{noted: map[string]bool{}, cfg: Config{Logf: func(string, ...any) { n++ }}}
		for range 3 {
			var r Record
			if err := c.decode([]byte(`{"Id":"7","ContractContactType":"Director"}`), &r); err != nil || r.ID != 7 {
				t.Fatalf("decode = %+v, %v", r, err)
			}
		}
		if n != 2 {
			t.Errorf("%d notes, want 2 (Id and ContractContactType, once each)", n)
		}
	})
	t.Run("paging fields as text", func(t *testing.T) {
		c := &Client{noted: map[string]bool{}, cfg: Config{Logf: func(string, ...any) {}}}
		var p Page
		if err := c.decode([]byte(`{"Records":[],"CurrentPage":"2","TotalPages":"7","HasNextPage":"true"}`), &p); err != nil || p.CurrentPage != 2 || p.TotalPages != 7 || !p.HasNextPage {
			t.Fatalf("decode = %+v, %v", p, err)
		}
	})
	t.Run("the wrong outer shape is an error", func(t *testing.T) {
		c := &Client{noted: map[string]bool{}, cfg: Config{Logf: func(string, ...any) {}}}
		var recs []Record
		if err := c.decode([]byte(`{"Records":[]}`), &recs); err == nil {
			t.Fatal("an object read as a list of records")
		}
	})
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-01-15T10:30:00Z", utc("2025-01-15T10:30:00Z"), true},
		{"2025-01-15T10:30:00", utc("2025-01-15T10:30:00Z"), true},
		{"2025-01-15T10:30:00.1234567Z", utc("2025-01-15T10:30:00.1234567Z"), true},
		{"2025-01-15T10:30:00.1234567", utc("2025-01-15T10:30:00.1234567Z"), true},
		{"2025-01-15T10:30:00+02:00", utc("2025-01-15T08:30:00Z"), true},
		{"2025-01-15T10:30:00.1234567-05:00", utc("2025-01-15T15:30:00.1234567Z"), true},
		{"2025-01-15T10:30:00+0200", utc("2025-01-15T08:30:00Z"), true},
		{"2025-01-15 10:30:00", utc("2025-01-15T10:30:00Z"), true},
		{"2025-01-15T10:30", utc("2025-01-15T10:30:00Z"), true},
		{"2025-01-15", utc("2025-01-15T00:00:00Z"), true},
		{" 2025-01-15T10:30:00Z ", utc("2025-01-15T10:30:00Z"), true},
		{"", time.Time{}, false},
		{"15/01/2025", time.Time{}, false},
		{"2025-13-01T00:00:00Z", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseTime(tc.in)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("ParseTime(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseTime: whatever it is given, ParseTime does not panic, and a
// time written in any of the forms Nexudus uses reads back as the same
// instant (a form without a zone as the same wall clock in UTC).
func FuzzParseTime(f *testing.F) {
	f.Add(int64(1736937000), int32(123456700), int16(120), "x")
	f.Add(int64(0), int32(0), int16(0), "2025-01-15T10:30:00")
	f.Fuzz(func(t *testing.T, sec int64, nsec int32, offsetMin int16, junk string) {
		ParseTime(junk)
		sec = sec % (200 * 365 * 24 * 3600) // within years 1770-2170
		if sec < 0 {
			sec = -sec
		}
		nsec = max(nsec%1e9, -nsec%1e9)
		zone := time.FixedZone("", int(offsetMin%(14*60))*60)
		tm := time.Unix(sec, int64(nsec)).In(zone)
		for _, layout := range []string{"2006-01-02T15:04:05.9999999Z07:00", "2006-01-02T15:04:05Z07:00", time.RFC3339Nano} {
			s := tm.Format(layout)
			got, ok := ParseTime(s)
			want, _ := time.Parse(layout, s)
			if !ok || !got.Equal(want) {
				t.Fatalf("ParseTime(%q) = %s, %v; want %s", s, got, ok, want)
			}
		}
		s := tm.Format("2006-01-02T15:04:05.9999999")
		got, ok := ParseTime(s)
		if want := time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()/100*100, time.UTC); !ok || !got.Equal(want) {
			t.Fatalf("ParseTime(%q) = %s, %v; want %s (no zone: UTC)", s, got, ok, want)
		}
	})
}
