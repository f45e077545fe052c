package sandbox

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The lists a sheet's names are looked up in (NOTES.md, "Related lists").
const (
	contractsPath = "/api/billing/coworkercontracts"
	coworkersPath = "/api/spaces/coworkers"
	countriesPath = "/api/sys/countries"
)

// common holds the fields every Nexudus record carries.
type common struct {
	UniqueID     string  `json:"UniqueId"`
	CreatedOn    string  `json:"CreatedOn"`
	UpdatedOn    string  `json:"UpdatedOn"`
	UpdatedBy    *string `json:"UpdatedBy"`
	IsNew        bool    `json:"IsNew"`
	SystemID     *string `json:"SystemId"`
	ToStringText *string `json:"ToStringText"`
}

// contractRecord is a CoworkerContract as the API returns it: the fields
// NOTES.md lists, of the many Nexudus has.
type contractRecord struct {
	ID                  int64   `json:"Id"`
	CoworkerID          int64   `json:"CoworkerId"`
	CoworkerFullName    *string `json:"CoworkerFullName"`
	CoworkerEmail       *string `json:"CoworkerEmail"`
	CoworkerCompanyName *string `json:"CoworkerCompanyName"`
	CoworkerBillingName *string `json:"CoworkerBillingName"`
	CoworkerActive      *bool   `json:"CoworkerActive"`
	TariffID            *int64  `json:"TariffId"`
	TariffName          *string `json:"TariffName"`
	StartDate           *string `json:"StartDate"`
	Active              bool    `json:"Active"`
	MainContract        bool    `json:"MainContract"`
	Cancelled           bool    `json:"Cancelled"`
	CancellationDate    *string `json:"CancellationDate"`
	Quantity            int64   `json:"Quantity"`
	Notes               *string `json:"Notes"`
	common
}

// coworkerRecord is a Coworker (customer) as the API returns it: the
// fields NOTES.md lists, of the many Nexudus has.
type coworkerRecord struct {
	ID          int64   `json:"Id"`
	FullName    string  `json:"FullName"`
	Email       *string `json:"Email"`
	CompanyName *string `json:"CompanyName"`
	BillingName *string `json:"BillingName"`
	Active      bool    `json:"Active"`
	common
}

// countryRecord is a Country as /api/sys/countries/{id} documents it.
type countryRecord struct {
	Name          string `json:"Name"`
	TwoDigitsCode string `json:"TwoDigitsCode"`
	Culture       string `json:"Culture"`
	ID            int64  `json:"Id"`
	common
}

// entity describes a list of records of type T: how it is read, sorted,
// filtered and served.
type entity[T any] struct {
	name               string // for messages, e.g. "CoworkerContract"
	listRole, readRole string
	props              map[string]property[T]
	filters            []filter
	id                 func(*T) int64
	records            func() []T // every record, ordered by Id
	present            func(*T)   // writes its dates in the Dates style
}

// commonOf fills the fields every record carries, the same each time for
// the same record: created an hour apart per Id, from created on.
func (s *Server) commonOf(kind string, id int64, created time.Time, text string) common {
	sum := sha256.Sum256([]byte(kind + ":" + strconv.FormatInt(id, 10)))
	when := created.Add(time.Duration(id%1000) * time.Hour).UTC().Format(timeLayout)
	by := s.updatedBy()
	return common{UniqueID: formatUUID([16]byte(sum[:16])), CreatedOn: when, UpdatedOn: when, UpdatedBy: &by, ToStringText: &text}
}

// presentCommon writes c's dates in the Dates style.
func (s *Server) presentCommon(c *common, id int64) {
	c.CreatedOn, c.UpdatedOn = s.instant(c.CreatedOn, id), s.instant(c.UpdatedOn, id)
}

// contractEntity is the list of contracts, with their holders.
func (s *Server) contractEntity() entity[contractRecord] {
	type r = contractRecord
	return entity[contractRecord]{
		name: "CoworkerContract", listRole: "CoworkerContract-List", readRole: "CoworkerContract-Read",
		props: byName([]property[r]{
			intProp("Id", func(c *r) int64 { return c.ID }),
			intProp("CoworkerId", func(c *r) int64 { return c.CoworkerID }),
			strProp("CoworkerFullName", func(c *r) *string { return c.CoworkerFullName }),
			strProp("CoworkerEmail", func(c *r) *string { return c.CoworkerEmail }),
			strProp("CoworkerCompanyName", func(c *r) *string { return c.CoworkerCompanyName }),
			strProp("CoworkerBillingName", func(c *r) *string { return c.CoworkerBillingName }),
			boolProp("CoworkerActive", func(c *r) *bool { return c.CoworkerActive }),
			{name: "TariffId", kind: intValue, get: func(c *r) value { return ptrInt(c.TariffID) }},
			strProp("TariffName", func(c *r) *string { return c.TariffName }),
			timeProp("StartDate", false, func(c *r) *string { return c.StartDate }),
			boolProp("Active", func(c *r) *bool { return &c.Active }),
			boolProp("MainContract", func(c *r) *bool { return &c.MainContract }),
			boolProp("Cancelled", func(c *r) *bool { return &c.Cancelled }),
			timeProp("CancellationDate", false, func(c *r) *string { return c.CancellationDate }),
			intProp("Quantity", func(c *r) int64 { return c.Quantity }),
			strProp("Notes", func(c *r) *string { return c.Notes }),
			timeProp("CreatedOn", true, func(c *r) *string { return &c.CreatedOn }),
			timeProp("UpdatedOn", true, func(c *r) *string { return &c.UpdatedOn }),
		}),
		filters: []filter{
			{"CoworkerContract_Coworker", intFilter, "CoworkerId"},
			{"CoworkerContract_Active", boolFilter, "Active"},
		},
		id: func(c *r) int64 { return c.ID },
		records: func() []r {
			s.mu.RLock()
			defer s.mu.RUnlock()
			contracts := byID(s.contracts)
			out := make([]r, len(contracts))
			for i, c := range contracts {
				out[i] = s.contractRecord(c)
			}
			return out
		},
		present: func(c *r) {
			s.presentCommon(&c.common, c.ID)
			c.StartDate, c.CancellationDate = s.wallClockPtr(c.StartDate), s.wallClockPtr(c.CancellationDate)
		},
	}
}

// contractRecord is c as served, with its holder's fields. It runs under
// s.mu.
func (s *Server) contractRecord(c Contract) contractRecord {
	r := contractRecord{
		ID: c.ID, CoworkerID: c.CoworkerID, TariffName: nonEmpty(c.TariffName), StartDate: nonEmpty(c.StartDate),
		Active: c.Active, MainContract: c.MainContract, Cancelled: c.Cancelled, CancellationDate: nonEmpty(c.CancellationDate),
		Quantity: c.Quantity, Notes: nonEmpty(c.Notes),
	}
	if c.TariffID != 0 {
		id := c.TariffID
		r.TariffID = &id
	}
	holder := ""
	if h, ok := s.coworkers[c.CoworkerID]; ok {
		active := h.Active
		r.CoworkerFullName, r.CoworkerEmail, r.CoworkerActive = nonEmpty(h.FullName), nonEmpty(h.Email), &active
		r.CoworkerCompanyName, r.CoworkerBillingName = nonEmpty(h.CompanyName), nonEmpty(h.BillingName)
		holder = h.FullName
	}
	r.common = s.commonOf("CoworkerContract", c.ID, time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC), fmt.Sprintf("%s: %s", holder, c.TariffName))
	return r
}

// coworkerEntity is the list of coworkers (customers).
func (s *Server) coworkerEntity() entity[coworkerRecord] {
	type r = coworkerRecord
	return entity[coworkerRecord]{
		name: "Coworker", listRole: "Coworker-List", readRole: "Coworker-Read",
		props: byName([]property[r]{
			intProp("Id", func(c *r) int64 { return c.ID }),
			strProp("FullName", func(c *r) *string { return &c.FullName }),
			strProp("Email", func(c *r) *string { return c.Email }),
			strProp("CompanyName", func(c *r) *string { return c.CompanyName }),
			strProp("BillingName", func(c *r) *string { return c.BillingName }),
			boolProp("Active", func(c *r) *bool { return &c.Active }),
			timeProp("CreatedOn", true, func(c *r) *string { return &c.CreatedOn }),
			timeProp("UpdatedOn", true, func(c *r) *string { return &c.UpdatedOn }),
		}),
		filters: []filter{
			{"Coworker_FullName", stringFilter, "FullName"},
			{"Coworker_Email", stringFilter, "Email"},
			{"Coworker_CompanyName", stringFilter, "CompanyName"},
			{"Coworker_BillingName", stringFilter, "BillingName"},
			{"Coworker_Active", boolFilter, "Active"},
		},
		id: func(c *r) int64 { return c.ID },
		records: func() []r {
			s.mu.RLock()
			defer s.mu.RUnlock()
			coworkers := byID(s.coworkers)
			out := make([]r, len(coworkers))
			for i, c := range coworkers {
				out[i] = r{ID: c.ID, FullName: c.FullName, Email: nonEmpty(c.Email), CompanyName: nonEmpty(c.CompanyName),
					BillingName: nonEmpty(c.BillingName), Active: c.Active,
					common: s.commonOf("Coworker", c.ID, time.Date(2023, 6, 1, 9, 0, 0, 0, time.UTC), c.FullName)}
			}
			return out
		},
		present: func(c *r) { s.presentCommon(&c.common, c.ID) },
	}
}

// countryEntity is Nexudus's list of countries.
func (s *Server) countryEntity() entity[countryRecord] {
	type r = countryRecord
	return entity[countryRecord]{
		name: "Country", listRole: "Country-List", readRole: "Country-Read",
		props: byName([]property[r]{
			intProp("Id", func(c *r) int64 { return c.ID }),
			strProp("Name", func(c *r) *string { return &c.Name }),
			strProp("TwoDigitsCode", func(c *r) *string { return &c.TwoDigitsCode }),
			strProp("Culture", func(c *r) *string { return &c.Culture }),
		}),
		filters: []filter{
			{"Country_Name", stringFilter, "Name"},
			{"Country_TwoDigitsCode", stringFilter, "TwoDigitsCode"},
			{"Country_Culture", stringFilter, "Culture"},
		},
		id: func(c *r) int64 { return c.ID },
		records: func() []r {
			countries := DefaultCountries()
			out := make([]r, len(countries))
			for i, c := range countries {
				out[i] = r{Name: c.Name, TwoDigitsCode: c.Code, Culture: c.Culture, ID: c.ID,
					common: s.commonOf("Country", c.ID, time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC), c.Name)}
			}
			return out
		},
		present: func(c *r) { s.presentCommon(&c.common, c.ID) },
	}
}

func intProp[T any](name string, get func(*T) int64) property[T] {
	return property[T]{name: name, kind: intValue, get: func(r *T) value { return value{i: get(r)} }}
}

func strProp[T any](name string, get func(*T) *string) property[T] {
	return property[T]{name: name, kind: stringValue, get: func(r *T) value { return ptrString(get(r)) }}
}

func boolProp[T any](name string, get func(*T) *bool) property[T] {
	return property[T]{name: name, kind: boolValue, get: func(r *T) value {
		switch b := get(r); {
		case b == nil:
			return value{null: true}
		case *b:
			return value{i: 1}
		}
		return value{}
	}}
}

func timeProp[T any](name string, instant bool, get func(*T) *string) property[T] {
	return property[T]{name: name, kind: timeValue, instant: instant, get: func(r *T) value { return ptrTime(get(r)) },
		text: func(r *T) value { return ptrString(get(r)) }}
}

// wallClockPtr is wallClock for a date that may be null.
func (s *Server) wallClockPtr(v *string) *string {
	if v == nil {
		return nil
	}
	w := s.wallClock(*v)
	return &w
}

// entityEndpoint finds the endpoint of path (without trailing slash) in
// the list at base; it reports false for a path outside it. describe
// builds the list's description when it is asked for.
func entityEndpoint[T any](s *Server, r *http.Request, path, base string, describe func() entity[T]) (endpoint, bool) {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if path == base {
		e := describe()
		switch {
		case !get:
			return notAllowed("GET"), true
		case r.URL.Query().Has("id"):
			return endpoint{e.readRole, func(w http.ResponseWriter, r *http.Request, _ client, _ bool) { serveEntityMany(s, w, r, e) }}, true
		}
		return endpoint{e.listRole, func(w http.ResponseWriter, r *http.Request, _ client, _ bool) { serveEntityList(s, w, r, e) }}, true
	}
	rest, ok := strings.CutPrefix(path, base+"/")
	if !ok {
		return endpoint{}, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	switch {
	case err != nil:
		return notFound(), true
	case !get:
		return notAllowed("GET"), true
	}
	e := describe()
	return endpoint{e.readRole, func(w http.ResponseWriter, _ *http.Request, _ client, _ bool) { serveEntityOne(w, id, e) }}, true
}

// serveEntityList answers a listing of e: filtered, sorted (ties by Id),
// one page, with the same paging and behaviours as the contacts listing.
func serveEntityList[T any](s *Server, w http.ResponseWriter, r *http.Request, e entity[T]) {
	q, bad := parseQuery(s, r.URL.Query(), e.name, e.props, e.filters)
	if bad != nil {
		writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{bad.param, bad.value, bad.message}}))
		return
	}
	all := e.records()
	match := make([]*T, 0, len(all))
	for i := range all {
		if q.match(&all[i]) {
			match = append(match, &all[i])
		}
	}
	if q.order.name != "Id" || q.desc {
		sortBy(match, q.order, q.desc, e.id)
	}
	from := min((q.page-1)*q.size, len(match))
	to := min(from+q.size, len(match))
	out := make([]T, 0, to-from)
	for _, rec := range match[from:to] {
		e.present(rec)
		out = append(out, *rec)
	}
	writeJSON(w, http.StatusOK, page[T]{out, s.paging(q.pagingQuery, q.order.name, len(match))})
}

// serveEntityOne answers GET base/{id} with the record of e with that Id.
func serveEntityOne[T any](w http.ResponseWriter, id int64, e entity[T]) {
	all := e.records()
	for i := range all {
		if e.id(&all[i]) == id {
			e.present(&all[i])
			writeJSON(w, http.StatusOK, all[i])
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"Message": e.name + " not found."})
}

// serveEntityMany answers GET base?id=[1,2,3] with the records of e that
// exist, in the order asked, as Behaviour.Batch says (a summary is the
// whole record: only contacts have a shorter listing form).
func serveEntityMany[T any](s *Server, w http.ResponseWriter, r *http.Request, e entity[T]) {
	ids, ok := s.batchIDs(w, r)
	if !ok {
		return
	}
	all := e.records()
	byID := make(map[int64]*T, len(all))
	for i := range all {
		byID[e.id(&all[i])] = &all[i]
	}
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		if rec, ok := byID[id]; ok {
			c := *rec // an id asked twice must not be presented twice
			e.present(&c)
			out = append(out, c)
		}
	}
	if s.cfg.Behaviour.Batch == BatchPartial {
		out = everyOther(out)
	}
	writeJSON(w, http.StatusOK, out)
}
