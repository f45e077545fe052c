package sandbox

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// page is the listing answer, fields in the order of the documented example.
type page[T any] struct {
	Records []T `json:"Records"`
	paging
}

// paging is the listing answer without its records.
type paging struct {
	CurrentPageSize      int    `json:"CurrentPageSize"`
	CurrentPage          int    `json:"CurrentPage"`
	CurrentOrderField    string `json:"CurrentOrderField"`
	CurrentSortDirection int    `json:"CurrentSortDirection"`
	FirstItem            int    `json:"FirstItem"`
	HasNextPage          bool   `json:"HasNextPage"`
	HasPreviousPage      bool   `json:"HasPreviousPage"`
	LastItem             int    `json:"LastItem"`
	PageNumber           int    `json:"PageNumber"`
	PageSize             int    `json:"PageSize"`
	TotalItems           int    `json:"TotalItems"`
	TotalPages           int    `json:"TotalPages"`
}

// filterKind is the type of value a documented filter takes.
type filterKind int

const (
	intFilter filterKind = iota
	stringFilter
	boolFilter
	fromFilter // range filter, greater than or equal
	toFilter   // range filter, less than or equal
)

// filter is one documented query filter and the record value it tests.
type filter struct {
	name string
	kind filterKind
	prop string // the record property it tests (see properties)
}

// filters returns every filter and range filter list-contractcontacts documents.
func filters() []filter {
	return []filter{
		{"ContractContact_CoworkerContract", intFilter, "CoworkerContractId"},
		{"ContractContact_CoworkerContract_Quantity", intFilter, "CoworkerContractQuantity"},
		{"ContractContact_CoworkerContract_FloorPlanDeskIds", stringFilter, "CoworkerContractFloorPlanDeskIds"},
		{"ContractContact_CoworkerContract_FloorPlanDeskNames", stringFilter, "CoworkerContractFloorPlanDeskNames"},
		{"ContractContact_CoworkerContract_Tariff_Name", stringFilter, "CoworkerContractTariffName"},
		{"ContractContact_Coworker", intFilter, "CoworkerId"},
		{"ContractContact_Coworker_FullName", stringFilter, "CoworkerFullName"},
		{"ContractContact_Coworker_CompanyName", stringFilter, "CoworkerCompanyName"},
		{"ContractContact_Coworker_BillingName", stringFilter, "CoworkerBillingName"},
		{"ContractContact_Coworker_Email", stringFilter, "CoworkerEmail"},
		{"ContractContact_Coworker_Active", boolFilter, "CoworkerActive"},
		{"ContractContact_Email", stringFilter, "Email"},
		{"ContractContact_FullName", stringFilter, "FullName"},
		{"ContractContact_DateOfBirth", stringFilter, "DateOfBirth"},
		{"ContractContact_Address", stringFilter, "Address"},
		{"ContractContact_PostCode", stringFilter, "PostCode"},
		{"ContractContact_CityName", stringFilter, "CityName"},
		{"ContractContact_State", stringFilter, "State"},
		{"ContractContact_Country", intFilter, "CountryId"},
		{"ContractContact_Country_Name", stringFilter, "CountryName"},
		{"ContractContact_PhoneNumber", stringFilter, "PhoneNumber"},
		{"ContractContact_Notes", stringFilter, "Notes"},
		{"ContractContact_ContractContactType", intFilter, "ContractContactType"},
		{"from_ContractContact_CoworkerContractQuantity", fromFilter, "CoworkerContractQuantity"},
		{"to_ContractContact_CoworkerContractQuantity", toFilter, "CoworkerContractQuantity"},
		{"from_ContractContact_DateOfBirth", fromFilter, "DateOfBirth"},
		{"to_ContractContact_DateOfBirth", toFilter, "DateOfBirth"},
		{"from_ContractContact_CreatedOn", fromFilter, "CreatedOn"},
		{"to_ContractContact_CreatedOn", toFilter, "CreatedOn"},
		{"from_ContractContact_UpdatedOn", fromFilter, "UpdatedOn"},
		{"to_ContractContact_UpdatedOn", toFilter, "UpdatedOn"},
	}
}

// FilterNames returns the query names of every filter and range filter the
// listing endpoint documents, in the page's order.
func FilterNames() []string {
	var out []string
	for _, f := range filters() {
		out = append(out, f.name)
	}
	return out
}

// valueKind is how a property's values compare.
type valueKind int

const (
	intValue valueKind = iota
	stringValue
	boolValue
	timeValue
)

// value is one property of one record, ready to compare.
type value struct {
	null bool
	i    int64 // ints, bools (0/1) and times (Unix seconds)
	s    string
}

// property is a property of a record of type T that can be sorted and
// filtered on.
type property[T any] struct {
	name    string
	kind    valueKind
	instant bool // a time the server keeps (CreatedOn, UpdatedOn), not a calendar day
	get     func(*T) value
	text    func(*T) value // for dates: the value as written, for string filters
}

func ptrString(p *string) value {
	if p == nil {
		return value{null: true}
	}
	return value{s: *p}
}

func ptrInt(p *int64) value {
	if p == nil {
		return value{null: true}
	}
	return value{i: *p}
}

func ptrTime(p *string) value {
	if p == nil {
		return value{null: true}
	}
	return timeValueOf(*p)
}

func timeValueOf(s string) value {
	t, ok := parseTime(s)
	if !ok {
		return value{null: true}
	}
	return value{i: t.Unix()}
}

// properties returns every record property, by lower-cased name.
func properties() map[string]property[Record] {
	list := []property[Record]{
		{name: "CoworkerContractId", kind: intValue, get: func(r *Record) value { return value{i: r.CoworkerContractID} }},
		{name: "CoworkerContractQuantity", kind: intValue, get: func(r *Record) value { return ptrInt(r.CoworkerContractQuantity) }},
		{name: "CoworkerContractFloorPlanDeskIds", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerContractFloorPlanDeskIds) }},
		{name: "CoworkerContractFloorPlanDeskNames", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerContractFloorPlanDeskNames) }},
		{name: "CoworkerContractTariffName", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerContractTariffName) }},
		{name: "CoworkerId", kind: intValue, get: func(r *Record) value { return ptrInt(r.CoworkerID) }},
		{name: "CoworkerFullName", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerFullName) }},
		{name: "CoworkerCompanyName", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerCompanyName) }},
		{name: "CoworkerBillingName", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerBillingName) }},
		{name: "CoworkerEmail", kind: stringValue, get: func(r *Record) value { return ptrString(r.CoworkerEmail) }},
		{name: "CoworkerActive", kind: boolValue, get: func(r *Record) value {
			if r.CoworkerActive == nil {
				return value{null: true}
			}
			if *r.CoworkerActive {
				return value{i: 1}
			}
			return value{}
		}},
		{name: "Email", kind: stringValue, get: func(r *Record) value { return ptrString(r.Email) }},
		{name: "FullName", kind: stringValue, get: func(r *Record) value { return value{s: r.FullName} }},
		{name: "DateOfBirth", kind: timeValue, get: func(r *Record) value { return ptrTime(r.DateOfBirth) },
			text: func(r *Record) value { return ptrString(r.DateOfBirth) }},
		{name: "Address", kind: stringValue, get: func(r *Record) value { return ptrString(r.Address) }},
		{name: "PostCode", kind: stringValue, get: func(r *Record) value { return ptrString(r.PostCode) }},
		{name: "CityName", kind: stringValue, get: func(r *Record) value { return ptrString(r.CityName) }},
		{name: "State", kind: stringValue, get: func(r *Record) value { return ptrString(r.State) }},
		{name: "CountryId", kind: intValue, get: func(r *Record) value { return ptrInt(r.CountryID) }},
		{name: "CountryName", kind: stringValue, get: func(r *Record) value { return ptrString(r.CountryName) }},
		{name: "PhoneNumber", kind: stringValue, get: func(r *Record) value { return ptrString(r.PhoneNumber) }},
		{name: "Notes", kind: stringValue, get: func(r *Record) value { return ptrString(r.Notes) }},
		{name: "ContractContactType", kind: intValue, get: func(r *Record) value { return value{i: int64(r.ContractContactType)} }},
		{name: "Id", kind: intValue, get: func(r *Record) value { return value{i: r.ID} }},
		{name: "UpdatedOn", kind: timeValue, instant: true, get: func(r *Record) value { return timeValueOf(r.UpdatedOn) }},
		{name: "CreatedOn", kind: timeValue, instant: true, get: func(r *Record) value { return timeValueOf(r.CreatedOn) }},
		{name: "UniqueId", kind: stringValue, get: func(r *Record) value { return value{s: r.UniqueID} }},
		{name: "UpdatedBy", kind: stringValue, get: func(r *Record) value { return ptrString(r.UpdatedBy) }},
		{name: "IsNew", kind: boolValue, get: func(r *Record) value {
			if r.IsNew {
				return value{i: 1}
			}
			return value{}
		}},
		{name: "SystemId", kind: stringValue, get: func(r *Record) value { return ptrString(r.SystemID) }},
		{name: "ToStringText", kind: stringValue, get: func(r *Record) value { return ptrString(r.ToStringText) }},
	}
	return byName(list)
}

// byName keys props by their lower-cased names.
func byName[T any](props []property[T]) map[string]property[T] {
	m := make(map[string]property[T], len(props))
	for _, p := range props {
		m[strings.ToLower(p.name)] = p
	}
	return m
}

// parseTime reads the API's date forms: YYYY-MM-DDTHH:mm (the range filter
// format), with seconds, with a trailing Z, or a plain date.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02", "2006-01-02 15:04",
		"2006-01-02 15:04:05",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// query is a parsed listing request for records of type T.
type query[T any] struct {
	pagingQuery
	order property[T]
	preds []func(*T) bool
}

// match reports whether rec passes every filter of q.
func (q *query[T]) match(rec *T) bool {
	for _, pred := range q.preds {
		if !pred(rec) {
			return false
		}
	}
	return true
}

// pagingQuery is what every listing reads besides its order and filters.
type pagingQuery struct {
	page    int
	size    int // the size served: the size asked, capped
	asked   int
	desc    bool
	dirEcho int // CurrentSortDirection
}

// badQuery is a listing parameter the sandbox cannot read.
type badQuery struct{ param, value, message string }

// parsePaging reads page, size and dir as Behaviour says the server does.
func (s *Server) parsePaging(q url.Values) (pagingQuery, *badQuery) {
	pq := pagingQuery{page: 1, asked: 25}
	// page and size are 32-bit numbers, as in Nexudus's .NET API: a bigger
	// one is not valid, and (page-1)*size cannot overflow.
	if v := q.Get("page"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return pq, &badQuery{"page", v, fmt.Sprintf("The value '%s' is not valid for page.", v)}
		}
		pq.page = int(max(n, 1))
	}
	if s.cfg.Behaviour.SamePage {
		pq.page = 1
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return pq, &badQuery{"size", v, fmt.Sprintf("The value '%s' is not valid for size.", v)}
		}
		if n > 0 {
			pq.asked = int(n)
		}
	}
	pq.size = min(pq.asked, s.cfg.MaxPageSize)
	dir, hasDir := 0, false
	if v := q.Get("dir"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return pq, &badQuery{"dir", v, fmt.Sprintf("The value '%s' is not valid for dir.", v)}
		}
		dir, hasDir = n, true
	}
	switch d := s.cfg.Behaviour.Direction; d {
	case DirEndpoint, DirLegacy:
		ascending, descending := 1, -1
		if d == DirLegacy {
			ascending, descending = 0, 1
		}
		pq.desc = hasDir && dir == descending
		pq.dirEcho = ascending
		if pq.desc {
			pq.dirEcho = descending
		}
	default:
		// A server that ignores dir echoes what it was sent, whatever
		// order it serves: only the records show the order.
		pq.desc = d == DirIgnoredDesc
		pq.dirEcho = 1
		if hasDir {
			pq.dirEcho = dir
		}
	}
	return pq, nil
}

// paging fills a listing's paging fields for a page of pq.size records
// out of total, as Behaviour.PagingFields says the server does.
func (s *Server) paging(pq pagingQuery, order string, total int) paging {
	size := pq.size
	if s.cfg.Behaviour.PagingFields == PagingAsked {
		size = pq.asked
	}
	p := paging{
		CurrentPageSize:      size,
		CurrentPage:          pq.page,
		CurrentOrderField:    order,
		CurrentSortDirection: pq.dirEcho,
		PageNumber:           pq.page,
		PageSize:             size,
		TotalItems:           total,
		TotalPages:           (total + size - 1) / size,
	}
	// As X.PagedList computes them: past the end, FirstItem still counts
	// from the page number and LastItem stops at the total.
	if total > 0 {
		p.FirstItem = (pq.page-1)*size + 1
		p.LastItem = min(p.FirstItem+size-1, total)
		p.HasPreviousPage = pq.page > 1
		p.HasNextPage = pq.page < p.TotalPages
	}
	if s.cfg.Behaviour.PagingFields == PagingZero {
		p.TotalPages, p.HasNextPage = 0, false
	}
	return p
}

// parseQuery reads the paging, sorting and filter parameters of a listing
// of entity (a name for messages), whose records have props and filters.
func parseQuery[T any](s *Server, q url.Values, entity string, props map[string]property[T], filters []filter) (query[T], *badQuery) {
	var lq query[T]
	lq.order = props["id"]
	pq, bad := s.parsePaging(q)
	if bad != nil {
		return lq, bad
	}
	lq.pagingQuery = pq
	if v := q.Get("orderBy"); v != "" {
		p, ok := props[strings.ToLower(v)]
		if !ok {
			return lq, &badQuery{"orderBy", v, fmt.Sprintf("'%s' is not a property of %s.", v, entity)}
		}
		lq.order = p
	}
	for _, f := range filters {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		p := props[strings.ToLower(f.prop)]
		if f.kind == stringFilter && p.text != nil {
			p.get = p.text
		}
		pred, bad := predicate(f, p, v, s.filterTime)
		if bad != nil {
			return lq, bad
		}
		lq.preds = append(lq.preds, pred)
	}
	return lq, nil
}

// predicate builds the test of one filter with query value v; bound reads
// the value of a range filter on a date.
func predicate[T any](f filter, p property[T], v string, bound func(v string, instant bool) (time.Time, bool)) (func(*T) bool, *badQuery) {
	invalid := &badQuery{f.name, v, fmt.Sprintf("The value '%s' is not valid for %s.", v, f.name)}
	switch f.kind {
	case intFilter:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, invalid
		}
		return func(r *T) bool { x := p.get(r); return !x.null && x.i == n }, nil
	case boolFilter:
		b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v)))
		if err != nil {
			return nil, invalid
		}
		want := int64(0)
		if b {
			want = 1
		}
		return func(r *T) bool { x := p.get(r); return !x.null && x.i == want }, nil
	case stringFilter:
		needle := strings.ToLower(v)
		return func(r *T) bool {
			x := p.get(r)
			return !x.null && containsFold(x.s, needle)
		}, nil
	}
	// Range filters: inclusive bounds on an integer or a date.
	var limit int64
	if p.kind == timeValue {
		t, ok := bound(v, p.instant)
		if !ok {
			return nil, &badQuery{f.name, v, fmt.Sprintf("The value '%s' is not valid for %s: use YYYY-MM-DDTHH:mm.", v, f.name)}
		}
		limit = t.Unix()
	} else {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, invalid
		}
		limit = n
	}
	if f.kind == fromFilter {
		return func(r *T) bool { x := p.get(r); return !x.null && x.i >= limit }, nil
	}
	return func(r *T) bool { x := p.get(r); return !x.null && x.i <= limit }, nil
}

// serveList answers a listing: filtered, sorted (ties by Id), one page.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request) {
	lq, bad := parseQuery(s, r.URL.Query(), "ContractContact", properties(), filters())
	if bad != nil {
		writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{bad.param, bad.value, bad.message}}))
		return
	}
	recs, total := s.selectPage(lq)
	p := s.paging(lq.pagingQuery, lq.order.name, total)
	out := make([]Record, len(recs))
	for i, rec := range recs {
		out[i] = partial(*rec)
	}
	if !s.shaped() {
		writeJSON(w, http.StatusOK, page[Record]{out, p})
		return
	}
	writeJSON(w, http.StatusOK, page[wireRecord]{s.wireAll(out), p})
}

// selectPage returns the records of the asked page and the number matching.
func (s *Server) selectPage(lq query[Record]) ([]*Record, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	from := (lq.page - 1) * lq.size
	if len(lq.preds) == 0 && lq.order.name == "Id" {
		// Records are kept ordered by Id: a page is a slice.
		total := len(s.records)
		if from >= total {
			return nil, total
		}
		to := min(from+lq.size, total)
		if !lq.desc {
			return slices.Clone(s.records[from:to]), total
		}
		out := make([]*Record, 0, to-from)
		for i := total - 1 - from; i >= total-to; i-- {
			out = append(out, s.records[i])
		}
		return out, total
	}
	ordered := s.ordered(lq.order, lq.desc)
	var out []*Record
	total := 0
	for _, rec := range ordered {
		if !lq.match(rec) {
			continue
		}
		if total >= from && len(out) < lq.size {
			out = append(out, rec)
		}
		total++
	}
	return out, total
}

// sortedOrder is the store sorted one way, as of a version of the store.
type sortedOrder struct {
	version uint64
	recs    []*Record
}

// ordered returns every record sorted by p, computed once per version of
// the store so that paging through a sorted listing does not sort each
// page again. It runs under s.mu (read); the result must not be modified.
func (s *Server) ordered(p property[Record], desc bool) []*Record {
	if p.name == "Id" && !desc {
		return s.records
	}
	key := p.name + "/asc"
	if desc {
		key = p.name + "/desc"
	}
	s.sortMu.Lock()
	cached, ok := s.sortCache[key]
	s.sortMu.Unlock()
	if ok && cached.version == s.version {
		return cached.recs
	}
	recs := slices.Clone(s.records)
	if p.name == "Id" {
		slices.Reverse(recs)
	} else {
		sortBy(recs, p, desc, func(r *Record) int64 { return r.ID })
	}
	s.sortMu.Lock()
	if s.sortCache == nil {
		s.sortCache = make(map[string]sortedOrder)
	}
	for k, v := range s.sortCache {
		if v.version != s.version {
			delete(s.sortCache, k)
		}
	}
	s.sortCache[key] = sortedOrder{version: s.version, recs: recs}
	s.sortMu.Unlock()
	return recs
}

// sortBy sorts recs (already ordered by Id) by property p, nulls first
// when ascending, strings without regard to case, ties by Id ascending.
func sortBy[T any](recs []*T, p property[T], desc bool, id func(*T) int64) {
	type keyed struct {
		v   value
		rec *T
	}
	ks := make([]keyed, len(recs))
	for i, rec := range recs {
		v := p.get(rec)
		if p.kind == stringValue {
			v.s = strings.ToLower(v.s)
		}
		ks[i] = keyed{v, rec}
	}
	compare := func(a, b value) int {
		switch {
		case a.null && b.null:
			return 0
		case a.null:
			return -1
		case b.null:
			return 1
		}
		if p.kind == stringValue {
			return strings.Compare(a.s, b.s)
		}
		return cmp.Compare(a.i, b.i)
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		c := compare(a.v, b.v)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(id(a.rec), id(b.rec))
	})
	for i := range ks {
		recs[i] = ks[i].rec
	}
}

// partial is a record as listings show it: no Address, PostCode, CityName,
// State or Notes.
func partial(r Record) Record {
	r.Address, r.PostCode, r.CityName, r.State, r.Notes = nil, nil, nil, nil, nil
	return r
}

// serveOne answers GET /api/billing/contractcontacts/{id} with the full record.
func (s *Server) serveOne(w http.ResponseWriter, id int64) {
	s.mu.RLock()
	i, found := s.find(id)
	var rec *Record
	if found {
		rec = s.records[i]
	}
	s.mu.RUnlock()
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "ContractContact not found."})
		return
	}
	writeJSON(w, http.StatusOK, s.presentOne(rec))
}

// serveMany answers GET ?id=[1,2,3] with the records that exist, in the
// order asked: full, or as Behaviour.Batch says.
func (s *Server) serveMany(w http.ResponseWriter, r *http.Request) {
	ids, ok := s.batchIDs(w, r)
	if !ok {
		return
	}
	out := make([]Record, 0, len(ids))
	s.mu.RLock()
	for _, id := range ids {
		if i, found := s.find(id); found {
			out = append(out, *s.records[i])
		}
	}
	s.mu.RUnlock()
	switch s.cfg.Behaviour.Batch {
	case BatchPartial:
		out = everyOther(out)
	case BatchSummary:
		for i := range out {
			out[i] = partial(out[i])
		}
	}
	writeJSON(w, http.StatusOK, s.present(out))
}

// batchIDs reads the id list of a several-at-once read, or answers as
// Behaviour.Batch says a server refusing such reads does, or 400 for a
// list it cannot read, and returns false.
func (s *Server) batchIDs(w http.ResponseWriter, r *http.Request) ([]int64, bool) {
	raw := r.URL.Query().Get("id")
	switch s.cfg.Behaviour.Batch {
	case BatchNotFound:
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "No HTTP resource was found that matches the request URI."})
		return nil, false
	case BatchBadRequest:
		writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{"id", raw, "The request is invalid."}}))
		return nil, false
	}
	list := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(raw), "["), "]")
	var ids []int64
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{"id", raw, fmt.Sprintf("The value '%s' is not valid for id.", raw)}}))
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// everyOther keeps the first, third, fifth... of recs: a batch read that
// leaves records out, the same ones each time.
func everyOther[T any](recs []T) []T {
	out := recs[:0]
	for i := 0; i < len(recs); i += 2 {
		out = append(out, recs[i])
	}
	return out
}

// containsFold reports whether needle (lower case) is in s, ignoring case;
// it does not allocate when s is ASCII.
func containsFold(s, needle string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), needle)
		}
	}
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
