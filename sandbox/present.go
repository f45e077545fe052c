package sandbox

import (
	"strconv"
	"strings"
	"time"
)

// wallLayout is how the sandbox stores dates without a zone (DateOfBirth)
// and writes dates in the space's local time.
const wallLayout = "2006-01-02T15:04:05"

// defaultZone is the space's time zone when Behaviour.Zone is nil: five
// hours behind UTC, far enough from UTC that a date read in the wrong zone
// lands on another day.
func defaultZone() *time.Location { return time.FixedZone("UTC-05:00", -5*60*60) }

// wireRecord is a Record as the answer behaviours serve it: the type may
// be a name, UpdatedOn null, and dates in the space's style. Its fields
// shadow the embedded Record's of the same JSON name.
type wireRecord struct {
	*Record
	ContractContactType any     `json:"ContractContactType"`
	UpdatedOn           *string `json:"UpdatedOn"`
	CreatedOn           string  `json:"CreatedOn"`
	DateOfBirth         *string `json:"DateOfBirth"`
}

// shaped reports whether answers differ from the records as stored.
func (s *Server) shaped() bool {
	b := s.cfg.Behaviour
	return b.TypeNames || b.NullUpdatedOn || b.Dates != DatesUTC
}

// present returns recs as the answer behaviours serve them.
func (s *Server) present(recs []Record) any {
	if !s.shaped() {
		return recs
	}
	return s.wireAll(recs)
}

// wireAll returns recs as served when shaped.
func (s *Server) wireAll(recs []Record) []wireRecord {
	out := make([]wireRecord, len(recs))
	for i := range recs {
		out[i] = s.wire(&recs[i])
	}
	return out
}

// presentOne returns r as the answer behaviours serve it.
func (s *Server) presentOne(r *Record) any {
	if !s.shaped() {
		return r
	}
	return s.wire(r)
}

func (s *Server) wire(r *Record) wireRecord {
	w := wireRecord{Record: r, ContractContactType: r.ContractContactType, CreatedOn: s.instant(r.CreatedOn, r.ID)}
	if s.cfg.Behaviour.TypeNames {
		w.ContractContactType = typeName(r.ContractContactType)
	}
	if r.UpdatedOn != "" {
		u := s.instant(r.UpdatedOn, r.ID)
		w.UpdatedOn = &u
	}
	if r.DateOfBirth != nil {
		d := s.wallClock(*r.DateOfBirth)
		w.DateOfBirth = &d
	}
	return w
}

// typeName is the enum name of a ContractContactType.
func typeName(t int) string {
	names := [...]string{"None", "Director", "CompanyAlias", "NominatedRecipient"}
	if t < 0 || t >= len(names) {
		return strconv.Itoa(t)
	}
	return names[t]
}

// instant writes a stored UTC time (CreatedOn, UpdatedOn) in the Dates
// style. The 7-digit fraction grows with id, so that records created in
// one second still sort as their dates say.
func (s *Server) instant(v string, id int64) string {
	style := s.cfg.Behaviour.Dates
	if style == DatesUTC || v == "" {
		return v
	}
	t, ok := parseTime(v)
	if !ok {
		return v
	}
	switch style {
	case DatesLocalZ:
		return t.In(s.zone).Format(wallLayout) + "Z"
	case DatesNoZone:
		return t.In(s.zone).Format(wallLayout)
	case DatesOffset:
		return t.In(s.zone).Format(wallLayout + "-07:00")
	}
	frac := strconv.FormatInt(10_000_000+id%10_000_000, 10)[1:]
	return t.UTC().Format(wallLayout) + "." + frac + "Z"
}

// wallClock writes a stored date without zone (DateOfBirth, a day in the
// space's calendar) in the Dates style.
func (s *Server) wallClock(v string) string {
	switch s.cfg.Behaviour.Dates {
	case DatesLocalZ:
		return v + "Z"
	case DatesOffset:
		t, err := time.ParseInLocation(wallLayout, v, s.zone)
		if err != nil {
			return v
		}
		return t.Format(wallLayout + "-07:00")
	case DatesFraction:
		return v + ".0000000"
	}
	return v
}

// filterTime reads the bound of a range filter. A space that writes local
// times reads a bound on CreatedOn or UpdatedOn (instant) without an
// offset as its local time, and so a bound with a Z too when it writes its
// own local times with a Z; DateOfBirth is a calendar day everywhere.
func (s *Server) filterTime(v string, instant bool) (time.Time, bool) {
	if style := s.cfg.Behaviour.Dates; instant && style.local() {
		wall := strings.TrimSpace(v)
		if style == DatesLocalZ {
			wall = strings.TrimRight(wall, "Zz")
		}
		for _, layout := range []string{"2006-01-02T15:04", wallLayout, wallLayout + ".999999999", "2006-01-02",
			"2006-01-02 15:04", "2006-01-02 15:04:05"} {
			if t, err := time.ParseInLocation(layout, wall, s.zone); err == nil {
				return t, true
			}
		}
	}
	return parseTime(v)
}
