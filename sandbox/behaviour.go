package sandbox

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Behaviour holds the server behaviours the documentation, the official
// SDK or open-source Nexudus clients say a real space may show. Each is an
// independent switch; the zero value is the behaviour of the endpoint
// pages as written.
type Behaviour struct {
	// How records are stored (issue 8).
	Names         NameStyle     // NamesAsSent (zero), NamesTitleCase ("ann  lee" stored "Ann Lee": trimmed, inner runs of spaces made one, each word capitalised and the rest lower-cased), NamesCollapsed (trimmed, inner runs of spaces made one)
	PackPhones    bool          // PhoneNumber stored without spaces ("+44 20 7946 0000" -> "+442079460000")
	LowerEmails   bool          // Email stored lower-cased
	CoworkerNames bool          // a contact with a CoworkerId is stored with the coworker's FullName and Email, whatever it was sent
	Batch         BatchRead     // the several-at-once read ?id=[..]: BatchFull (zero), BatchSummary (listing-shaped records: Address, PostCode, CityName, State, Notes null), BatchPartial (the second, fourth... of the records found left out, the same each time), BatchNotFound (404), BatchBadRequest (400)
	StoreDelay    time.Duration // a create is held this long before the record is stored and answered; it is stored even when the client has given up

	// Listings and answers (issue 9).
	Direction     Direction      // DirEndpoint (zero: 1 ascending, -1 descending), DirLegacy (0 ascending, 1 descending), DirIgnoredAsc (dir ignored, always ascending), DirIgnoredDesc (dir ignored, always descending)
	PagingFields  PagingFields   // with Config.MaxPageSize capping the page: PagingServed (zero: paging fields from what was served), PagingAsked (computed from the asked size), PagingZero (TotalPages 0, HasNextPage false)
	SamePage      bool           // every listing request is answered with page 1 whatever `page` says
	Dates         DateStyle      // DatesUTC (zero: 2025-01-15T10:30:00Z), DatesLocalZ (local time written with a Z), DatesNoZone (local time, no zone), DatesOffset (local time, +01:00 style), DatesFraction (UTC, 7-digit fraction); also how range filters are read
	Zone          *time.Location // the space's time zone for DatesLocalZ, DatesNoZone and DatesOffset; nil means a fixed zone 5 hours behind UTC
	TypeNames     bool           // ContractContactType served as its name ("Director") in listings and reads
	NullUpdatedOn bool           // a new record has UpdatedOn null until it is first updated
	CreateIDs     IDStyle        // the Id in a create's answer: IDNumber (zero: {"Value":{"Id":87654321}}), IDString ({"Value":{"Id":"87654321"}}), IDBare ({"Value":87654321})

	// Access and limits (issue 9).
	Roles       []string      // roles the credentials hold (ContractContact-List, -Read, -Create, -Edit, -Delete, CoworkerContract-List, -Read, Coworker-List, -Read, Country-List, -Read); nil means a full unrestricted administrator; a request needing a missing role is answered 403 naming the role
	QuotaSpent  time.Duration // the space's write quota was spent elsewhere: every write is answered 409 (Retry-After: 1) for this long after New
	Unavailable float64       // fraction of requests, /api/token included, answered 503 (an HTML page, Retry-After: 1) before anything else, nothing stored
	RedirectTo  string        // every request answered 302 to RedirectTo + the request's path and query, before authentication
	OtherApp    int           // requests per minute another integration makes with the same credentials (evenly, from New on), counted against this client's rate limits; nothing with Limits.Off; at most MaxOtherApp
}

// NameStyle is how a server stores the FullName it is sent.
type NameStyle int

// The name styles.
const (
	NamesAsSent    NameStyle = iota // exactly as sent
	NamesTitleCase                  // trimmed, inner spaces collapsed, each word capitalised
	NamesCollapsed                  // trimmed, inner spaces collapsed
)

func (NameStyle) names() []string { return []string{"as-sent", "title-case", "collapsed"} }

// String returns the style's flag name, e.g. "title-case".
func (n NameStyle) String() string { return enumName(n.names(), int(n)) }

// ParseNameStyle reads a style by its flag name (any case); it returns an
// error listing the names when s is none of them.
func ParseNameStyle(s string) (NameStyle, error) { return parseEnum[NameStyle](s) }

// BatchRead is how a server answers the several-at-once read ?id=[..].
type BatchRead int

// The batch read answers.
const (
	BatchFull       BatchRead = iota // every asked record that exists, full
	BatchSummary                     // listing-shaped records: Address, PostCode, CityName, State and Notes null
	BatchPartial                     // the second, fourth... of the records found left out
	BatchNotFound                    // 404
	BatchBadRequest                  // 400
)

func (BatchRead) names() []string {
	return []string{"full", "summary", "partial", "not-found", "bad-request"}
}

// String returns the answer's flag name, e.g. "summary".
func (b BatchRead) String() string { return enumName(b.names(), int(b)) }

// ParseBatchRead reads a batch answer by its flag name (any case); it
// returns an error listing the names when s is none of them.
func ParseBatchRead(s string) (BatchRead, error) { return parseEnum[BatchRead](s) }

// Direction is how a server reads the listing's dir parameter.
type Direction int

// The dir conventions.
const (
	DirEndpoint    Direction = iota // 1 ascending, -1 descending (the endpoint page)
	DirLegacy                       // 0 ascending, 1 descending (other Nexudus pages)
	DirIgnoredAsc                   // dir ignored: always ascending
	DirIgnoredDesc                  // dir ignored: always descending
)

func (Direction) names() []string {
	return []string{"endpoint", "legacy", "ignored-asc", "ignored-desc"}
}

// String returns the convention's flag name, e.g. "legacy".
func (d Direction) String() string { return enumName(d.names(), int(d)) }

// ParseDirection reads a dir convention by its flag name (any case); it
// returns an error listing the names when s is none of them.
func ParseDirection(s string) (Direction, error) { return parseEnum[Direction](s) }

// PagingFields is how a server fills a listing's paging fields when it
// serves a smaller page than asked.
type PagingFields int

// The ways of filling paging fields.
const (
	PagingServed PagingFields = iota // from the size served
	PagingAsked                      // from the size asked, as a server that caps silently would
	PagingZero                       // TotalPages 0 and HasNextPage false
)

func (PagingFields) names() []string { return []string{"served", "asked", "zero"} }

// String returns the way's flag name, e.g. "asked".
func (p PagingFields) String() string { return enumName(p.names(), int(p)) }

// ParsePagingFields reads a way of filling paging fields by its flag name
// (any case); it returns an error listing the names when s is none of them.
func ParsePagingFields(s string) (PagingFields, error) { return parseEnum[PagingFields](s) }

// DateStyle is how a server writes dates.
type DateStyle int

// The date styles.
const (
	DatesUTC      DateStyle = iota // 2025-01-15T10:30:00Z
	DatesLocalZ                    // the space's local time, written with a Z
	DatesNoZone                    // the space's local time, no zone
	DatesOffset                    // the space's local time with its offset, 2025-01-15T05:30:00-05:00
	DatesFraction                  // UTC with a 7-digit fraction, 2025-01-15T10:30:00.1234567Z
)

func (DateStyle) names() []string { return []string{"utc", "local-z", "no-zone", "offset", "fraction"} }

// String returns the style's flag name, e.g. "local-z".
func (d DateStyle) String() string { return enumName(d.names(), int(d)) }

// ParseDateStyle reads a date style by its flag name (any case); it returns
// an error listing the names when s is none of them.
func ParseDateStyle(s string) (DateStyle, error) { return parseEnum[DateStyle](s) }

// local reports whether the style writes the space's local time, which
// is then also how the server reads range filters.
func (d DateStyle) local() bool { return d == DatesLocalZ || d == DatesNoZone || d == DatesOffset }

// IDStyle is how a create's answer carries the new Id.
type IDStyle int

// The Id styles.
const (
	IDNumber IDStyle = iota // {"Value":{"Id":87654321}}
	IDString                // {"Value":{"Id":"87654321"}}
	IDBare                  // {"Value":87654321}
)

func (IDStyle) names() []string { return []string{"number", "string", "bare"} }

// String returns the style's flag name, e.g. "bare".
func (i IDStyle) String() string { return enumName(i.names(), int(i)) }

// ParseIDStyle reads an Id style by its flag name (any case); it returns
// an error listing the names when s is none of them.
func ParseIDStyle(s string) (IDStyle, error) { return parseEnum[IDStyle](s) }

// enum is what the behaviour enums have in common.
type enum interface {
	~int
	names() []string
}

func enumName(names []string, i int) string {
	if i < 0 || i >= len(names) {
		return fmt.Sprintf("unknown(%d)", i)
	}
	return names[i]
}

// parseEnum finds s among E's names, ignoring case and surrounding
// spaces; its error quotes s and lists the names, for the caller to say
// which setting it was.
func parseEnum[E enum](s string) (E, error) {
	var zero E
	names := zero.names()
	for i, n := range names {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return E(i), nil
		}
	}
	return zero, fmt.Errorf("%q: choose %s or %s", s, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// valid reports whether e is one of E's values.
func valid[E enum](e E) bool { return e >= 0 && int(e) < len(e.names()) }

// MaxOtherApp is the most requests a minute Behaviour.OtherApp may make:
// a thousand a second, far beyond any documented limit, and far from the
// rate (6×10^10 a minute) at which its requests could no longer be
// spaced.
const MaxOtherApp = 60_000

// check returns a *SettingError naming the first behaviour that cannot
// be served.
func (b Behaviour) check() error {
	for _, e := range []struct {
		setting string
		ok      bool
		value   any
	}{
		{"Names", valid(b.Names), b.Names}, {"Batch", valid(b.Batch), b.Batch}, {"Direction", valid(b.Direction), b.Direction},
		{"PagingFields", valid(b.PagingFields), b.PagingFields}, {"Dates", valid(b.Dates), b.Dates}, {"CreateIDs", valid(b.CreateIDs), b.CreateIDs},
	} {
		if !e.ok {
			return &SettingError{Setting: "Behaviour." + e.setting, Value: fmt.Sprint(e.value), Want: "one of its named values"}
		}
	}
	switch {
	case b.StoreDelay < 0:
		return &SettingError{Setting: "Behaviour.StoreDelay", Value: b.StoreDelay.String(), Want: wantDuration}
	case b.QuotaSpent < 0:
		return &SettingError{Setting: "Behaviour.QuotaSpent", Value: b.QuotaSpent.String(), Want: wantDuration}
	case b.Unavailable < 0 || b.Unavailable > 1:
		return &SettingError{Setting: "Behaviour.Unavailable", Value: fmt.Sprint(b.Unavailable), Want: wantFraction}
	case b.OtherApp < 0 || b.OtherApp > MaxOtherApp:
		return &SettingError{Setting: "Behaviour.OtherApp", Value: fmt.Sprint(b.OtherApp),
			Want: fmt.Sprintf("a number of requests a minute from 0 to %d, e.g. 60", MaxOtherApp)}
	}
	if b.RedirectTo != "" {
		u, err := url.Parse(b.RedirectTo)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return &SettingError{Setting: "Behaviour.RedirectTo", Value: fmt.Sprintf("%q", b.RedirectTo),
				Want: "an http or https URL without query, e.g. http://127.0.0.1:9999"}
		}
	}
	return nil
}
