package importer

import (
	"context"
	"testing"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

func ptr[T any](v T) *T { return &v }

func TestSameListed(t *testing.T) {
	c := mapping.Contact{
		CoworkerContractID:  1001,
		FullName:            "Ann Lee",
		Email:               "ann@example.com",
		DateOfBirth:         "1990-03-04T00:00:00",
		CountryID:           ptr(int64(826)),
		PhoneNumber:         "+44 20 7946 0000",
		ContractContactType: mapping.TypeNominatedRecipient,
	}
	exact := nexudus.Record{
		CoworkerContractID:  1001,
		FullName:            "Ann Lee",
		Email:               ptr("ann@example.com"),
		DateOfBirth:         ptr("1990-03-04T00:00:00Z"),
		CountryID:           ptr(int64(826)),
		PhoneNumber:         ptr("+44 20 7946 0000"),
		ContractContactType: mapping.TypeNominatedRecipient,
	}
	tests := []struct {
		name   string
		change func(r *nexudus.Record)
		want   bool
	}{
		{"exact", func(r *nexudus.Record) {}, true},
		{"email in other case", func(r *nexudus.Record) { r.Email = ptr("Ann@Example.com") }, true},
		{"name contains it", func(r *nexudus.Record) { r.FullName = "Ann Leeds" }, false},
		{"name in other case", func(r *nexudus.Record) { r.FullName = "ann lee" }, false},
		{"other contract", func(r *nexudus.Record) { r.CoworkerContractID = 1002 }, false},
		{"other email", func(r *nexudus.Record) { r.Email = ptr("ann.lee@example.com") }, false},
		{"no email", func(r *nexudus.Record) { r.Email = nil }, false},
		{"other type", func(r *nexudus.Record) { r.ContractContactType = mapping.TypeDirector }, false},
		{"other birth date", func(r *nexudus.Record) { r.DateOfBirth = ptr("1990-04-03T00:00:00") }, false},
		{"other country", func(r *nexudus.Record) { r.CountryID = ptr(int64(250)) }, false},
		{"no country", func(r *nexudus.Record) { r.CountryID = nil }, false},
		{"linked to a coworker", func(r *nexudus.Record) { r.CoworkerID = ptr(int64(2001)) }, false},
		{"other phone", func(r *nexudus.Record) { r.PhoneNumber = ptr("+44 20 7946 0001") }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := exact
			tc.change(&r)
			if got := sameListed(r, c); got != tc.want {
				t.Errorf("sameListed = %v, want %v", got, tc.want)
			}
		})
	}

	// A contact linked to a coworker may come back with the coworker's
	// name and email, resolved by the API.
	linked := c
	linked.CoworkerID = ptr(int64(2001))
	resolved := exact
	resolved.CoworkerID = ptr(int64(2001))
	resolved.CoworkerFullName, resolved.CoworkerEmail = ptr("Ann Lee-Smith"), ptr("ann.smith@example.com")
	resolved.FullName, resolved.Email = "Ann Lee-Smith", ptr("ann.smith@example.com")
	linkedTests := []struct {
		name   string
		change func(r *nexudus.Record)
		want   bool
	}{
		{"linked, as sent", func(r *nexudus.Record) { r.FullName, r.Email = "Ann Lee", ptr("ann@example.com") }, true},
		{"linked, resolved from the coworker", func(r *nexudus.Record) {}, true},
		{"linked, name of someone else", func(r *nexudus.Record) { r.FullName = "Bob Lee" }, false},
		{"linked to another coworker", func(r *nexudus.Record) { r.CoworkerID = ptr(int64(2002)) }, false},
		{"linked, other type", func(r *nexudus.Record) { r.ContractContactType = mapping.TypeDirector }, false},
	}
	for _, tc := range linkedTests {
		t.Run(tc.name, func(t *testing.T) {
			r := resolved
			tc.change(&r)
			if got := sameListed(r, linked); got != tc.want {
				t.Errorf("sameListed = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFindExistingComparesExactly seeds contacts the server's loose
// (substring, case-insensitive) filters match, and checks that only the
// exact one is taken for the contact.
func TestFindExistingComparesExactly(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	want := mapping.Contact{CoworkerContractID: 1001, FullName: "Ann Lee", Email: "ann@example.com",
		ContractContactType: mapping.TypeDirector, Address: "1 High St", PostCode: "AB1 2CD"}
	rec := func(name, email, address string, contract int64, typ int) sandbox.Record {
		return sandbox.Record{CoworkerContractID: contract, FullName: name, Email: ptr(email),
			Address: ptr(address), PostCode: ptr("AB1 2CD"), ContractContactType: typ}
	}
	decoys := []sandbox.Record{
		rec("Ann Leeds", "ann@example.com", "1 High St", 1001, 1),
		rec("Joann Lee", "ann@example.com", "1 High St", 1001, 1),
		rec("ANN LEE", "ann@example.com", "1 High St", 1001, 1),
		rec("Ann Lee", "ann@example.com", "1 High St", 1002, 1),
		rec("Ann Lee", "ann.lee@example.com", "1 High St", 1001, 1),
		rec("Ann Lee", "ann@example.com", "1 High St", 1001, 3),
		rec("Ann Lee", "ann@example.com", "2 High St", 1001, 1), // differs only where listings are silent
	}
	for _, d := range decoys {
		env.srv.Insert(d)
	}
	ctx := context.Background()
	ids, err := findExisting(ctx, env.client, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 0 {
		t.Fatalf("decoys taken for the contact: %v", ids)
	}
	id := env.srv.Insert(rec("Ann Lee", "ann@example.com", "1 High St", 1001, 1))
	ids, err = findExisting(ctx, env.client, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("found %v, want [%d]", ids, id)
	}
}

func TestPickUnclaimed(t *testing.T) {
	j := openTestJournal(t)
	if err := j.done("other-0", 2, Created, 10, ""); err != nil {
		t.Fatal(err)
	}
	if err := j.done("mine-0", 3, Created, 12, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ids    []int64
		wantID int64
		wantN  int
	}{
		{"none", nil, 0, 0},
		{"only another row's", []int64{10}, 0, 0},
		{"another row's and a free one", []int64{10, 11}, 11, 1},
		{"its own", []int64{10, 12}, 12, 1},
		{"several free: the newest", []int64{11, 13, 14}, 14, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, n := pickUnclaimed(j, "mine-0", tc.ids)
			if id != tc.wantID || n != tc.wantN {
				t.Errorf("got %d (%d free), want %d (%d free)", id, n, tc.wantID, tc.wantN)
			}
		})
	}
}

// TestFindExistingLinkedContact finds a contact linked to a coworker by
// the coworker, not by a name the API may have resolved.
func TestFindExistingLinkedContact(t *testing.T) {
	env := newEnv(t, sandbox.Config{})
	cw := sandbox.DefaultCoworkers()[0]
	other := sandbox.DefaultCoworkers()[1]
	want := mapping.Contact{CoworkerContractID: 1004, FullName: "Sheet Name", CoworkerID: &cw.ID,
		ContractContactType: mapping.TypeNominatedRecipient}
	env.srv.Insert(sandbox.Record{CoworkerContractID: 1004, FullName: other.FullName, CoworkerID: &other.ID,
		CoworkerFullName: &other.FullName, ContractContactType: 3})
	id := env.srv.Insert(sandbox.Record{CoworkerContractID: 1004, FullName: cw.FullName, Email: &cw.Email,
		CoworkerID: &cw.ID, CoworkerFullName: &cw.FullName, CoworkerEmail: &cw.Email, ContractContactType: 3})
	ids, err := findExisting(context.Background(), env.client, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != id {
		t.Fatalf("found %v, want [%d]", ids, id)
	}
}
