package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fieldError is one entry of a 400 answer's Errors.
type fieldError struct {
	property  string
	attempted any // JSON value, nil for null
	message   string
}

// errorEntry is one property error as the API writes it.
type errorEntry struct {
	AttemptedValue any    `json:"AttemptedValue"`
	Message        string `json:"Message"`
	PropertyName   string `json:"PropertyName"`
}

// errorAnswer is the documented 400 answer, keys in the documented order.
type errorAnswer struct {
	Message       string       `json:"Message"`
	Value         any          `json:"Value"`
	Errors        []errorEntry `json:"Errors"`
	WasSuccessful bool         `json:"WasSuccessful"`
}

// validationBody is the documented 400 answer for errs.
func validationBody(errs []fieldError) errorAnswer {
	lines := make([]string, len(errs))
	list := make([]errorEntry, len(errs))
	for i, e := range errs {
		lines[i] = e.property + ": " + e.message
		list[i] = errorEntry{AttemptedValue: e.attempted, Message: e.message, PropertyName: e.property}
	}
	return errorAnswer{Message: strings.Join(lines, "\n"), Errors: list}
}

// writeAnswer is the documented answer of a successful write.
type writeAnswer struct {
	Status        int     `json:"Status"`
	Message       string  `json:"Message"`
	Value         any     `json:"Value"`
	OpenInDialog  bool    `json:"OpenInDialog"`
	OpenInWindow  bool    `json:"OpenInWindow"`
	RedirectURL   *string `json:"RedirectURL"`
	JavaScript    *string `json:"JavaScript"`
	UpdatedOn     string  `json:"UpdatedOn"`
	UpdatedBy     string  `json:"UpdatedBy"`
	Errors        []any   `json:"Errors"`
	WasSuccessful bool    `json:"WasSuccessful"`
}

// body is a create or update body, read property by property so that each
// bad value is reported against its property. Names match without regard
// to case, as Nexudus's JSON binding does.
type body map[string]json.RawMessage

func (b body) get(name string) (json.RawMessage, bool) {
	for k, v := range b {
		if strings.EqualFold(k, name) {
			if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				return nil, false
			}
			return v, true
		}
	}
	return nil, false
}

func attempted(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	return v
}

// validate checks a create or update body and returns the record it
// describes (own fields only) or the property errors.
func (s *Server) validate(b body) (Record, []fieldError) {
	var rec Record
	var errs []fieldError
	integer := func(name string) (int64, bool, bool) {
		raw, ok := b.get(name)
		if !ok {
			return 0, false, true
		}
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			errs = append(errs, fieldError{name, attempted(raw), "is not a valid number"})
			return 0, true, false
		}
		return n, true, true
	}
	str := func(name string) (*string, bool) {
		raw, ok := b.get(name)
		if !ok {
			return nil, true
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			errs = append(errs, fieldError{name, attempted(raw), "is not a valid text value"})
			return nil, false
		}
		if v == "" {
			return nil, true
		}
		return &v, true
	}

	contractID, present, ok := integer("CoworkerContractId")
	switch {
	case ok && (!present || contractID == 0):
		raw, _ := b.get("CoworkerContractId")
		errs = append(errs, fieldError{"CoworkerContractId", attempted(raw), "is a required field"})
	case ok:
		rec.CoworkerContractID = contractID
		if _, exists := s.contracts[contractID]; !exists {
			errs = append(errs, fieldError{"CoworkerContractId", contractID, "does not match any existing CoworkerContract"})
		}
	}
	fullName, ok := str("FullName")
	if ok {
		if fullName == nil || strings.TrimSpace(*fullName) == "" {
			raw, _ := b.get("FullName")
			errs = append(errs, fieldError{"FullName", attempted(raw), "is a required field"})
		} else {
			rec.FullName = *fullName
		}
	}
	if id, present, ok := integer("CoworkerId"); ok && present {
		if _, exists := s.coworkers[id]; !exists {
			errs = append(errs, fieldError{"CoworkerId", id, "does not match any existing Coworker"})
		} else {
			rec.CoworkerID = &id
		}
	}
	rec.Email, _ = str("Email")
	if dob, ok := str("DateOfBirth"); ok && dob != nil {
		t, valid := parseTime(*dob)
		if !valid {
			errs = append(errs, fieldError{"DateOfBirth", *dob, "is not a valid date"})
		} else {
			v := t.Format("2006-01-02T15:04:05")
			rec.DateOfBirth = &v
		}
	}
	rec.Address, _ = str("Address")
	rec.PostCode, _ = str("PostCode")
	rec.CityName, _ = str("CityName")
	rec.State, _ = str("State")
	if id, present, ok := integer("CountryId"); ok && present {
		if _, exists := countryName(id); !exists {
			errs = append(errs, fieldError{"CountryId", id, "does not match any existing Country"})
		} else {
			rec.CountryID = &id
		}
	}
	rec.PhoneNumber, _ = str("PhoneNumber")
	rec.Notes, _ = str("Notes")
	rec.ContractContactType = 1 // Director, the documented default
	if t, present, ok := integer("ContractContactType"); ok && present {
		if t < 0 || t > 3 {
			errs = append(errs, fieldError{"ContractContactType", t, "is not a valid value (0 None, 1 Director, 2 CompanyAlias, 3 NominatedRecipient)"})
		} else {
			rec.ContractContactType = int(t)
		}
	}
	return rec, errs
}

// normalise changes a valid create or update as the storing behaviours
// say a server may: names, phone numbers and emails rewritten, and a
// coworker's name and email taking the place of those sent. It runs under
// s.mu.
func (s *Server) normalise(rec *Record) {
	b := s.cfg.Behaviour
	switch b.Names {
	case NamesCollapsed:
		rec.FullName = strings.Join(strings.Fields(rec.FullName), " ")
	case NamesTitleCase:
		rec.FullName = titleCase(rec.FullName)
	}
	if b.PackPhones && rec.PhoneNumber != nil {
		rec.PhoneNumber = nonEmpty(strings.Join(strings.Fields(*rec.PhoneNumber), ""))
	}
	if b.LowerEmails && rec.Email != nil {
		rec.Email = nonEmpty(strings.ToLower(*rec.Email))
	}
	if b.CoworkerNames && rec.CoworkerID != nil {
		if c, ok := s.coworkers[*rec.CoworkerID]; ok {
			rec.FullName, rec.Email = c.FullName, nonEmpty(c.Email)
		}
	}
}

// titleCase trims s, makes each run of spaces one, and writes each word
// with a capital first letter and the rest in lower case ("mcDONALD" is
// stored "Mcdonald"), as a server that tidies names would.
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToTitle(r)) + strings.ToLower(w[n:])
	}
	return strings.Join(words, " ")
}

// resolve fills the properties Nexudus derives from the contract, the
// coworker and the country. It runs under s.mu.
func (s *Server) resolve(rec *Record) { s.resolveShared(rec, nil) }

// joined holds derived values shared, read-only, by many records.
type joined struct {
	contracts map[int64]*Record // only the CoworkerContract* fields are set
	coworkers map[int64]*Record // only the Coworker* fields are set
	countries map[int64]*string
}

// resolveShared is resolve, sharing the derived values through j when it
// is not nil: stored records are never modified in place, so many can
// point at the same strings (a million generated records stay small).
func (s *Server) resolveShared(rec *Record, j *joined) {
	if c, ok := s.contracts[rec.CoworkerContractID]; ok {
		from := j.contract(c)
		rec.CoworkerContractQuantity = from.CoworkerContractQuantity
		rec.CoworkerContractTariffName = from.CoworkerContractTariffName
		rec.CoworkerContractFloorPlanDeskIds = from.CoworkerContractFloorPlanDeskIds
		rec.CoworkerContractFloorPlanDeskNames = from.CoworkerContractFloorPlanDeskNames
	}
	if rec.CoworkerID != nil {
		if c, ok := s.coworkers[*rec.CoworkerID]; ok {
			from := j.coworker(c)
			rec.CoworkerFullName = from.CoworkerFullName
			rec.CoworkerCompanyName = from.CoworkerCompanyName
			rec.CoworkerBillingName = from.CoworkerBillingName
			rec.CoworkerEmail = from.CoworkerEmail
			rec.CoworkerActive = from.CoworkerActive
		}
	}
	if rec.CountryID != nil {
		rec.CountryName = j.country(*rec.CountryID)
	}
	text := rec.FullName
	rec.ToStringText = &text
}

func (j *joined) contract(c Contract) *Record {
	if j != nil {
		if r, ok := j.contracts[c.ID]; ok {
			return r
		}
	}
	q := c.Quantity
	r := &Record{
		CoworkerContractQuantity:           &q,
		CoworkerContractTariffName:         nonEmpty(c.TariffName),
		CoworkerContractFloorPlanDeskIds:   nonEmpty(c.FloorPlanDeskIds),
		CoworkerContractFloorPlanDeskNames: nonEmpty(c.FloorPlanDeskNames),
	}
	if j != nil {
		j.contracts[c.ID] = r
	}
	return r
}

func (j *joined) coworker(c Coworker) *Record {
	if j != nil {
		if r, ok := j.coworkers[c.ID]; ok {
			return r
		}
	}
	active := c.Active
	r := &Record{
		CoworkerFullName:    nonEmpty(c.FullName),
		CoworkerCompanyName: nonEmpty(c.CompanyName),
		CoworkerBillingName: nonEmpty(c.BillingName),
		CoworkerEmail:       nonEmpty(c.Email),
		CoworkerActive:      &active,
	}
	if j != nil {
		j.coworkers[c.ID] = r
	}
	return r
}

func (j *joined) country(id int64) *string {
	if j != nil {
		if p, ok := j.countries[id]; ok {
			return p
		}
	}
	name, ok := countryName(id)
	if !ok {
		return nil
	}
	if j != nil {
		j.countries[id] = &name
	}
	return &name
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// readBody decodes a JSON object body, or answers 400 and returns false.
func readBody(w http.ResponseWriter, r *http.Request) (body, bool) {
	var b body
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil || b == nil || dec.More() {
		writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{"Request", nil, "The request body is not a valid JSON object."}}))
		return nil, false
	}
	return b, true
}

// serveCreate answers POST /api/billing/contractcontacts. With dropAfter,
// a valid record is stored and the connection is dropped without answer.
func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request, c client, dropAfter bool) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	if d := s.cfg.Behaviour.StoreDelay; d > 0 {
		defer s.hold(d)() // waits now; Close waits for the deferred release
	}
	now := s.now().UTC().Format(timeLayout)
	s.mu.Lock()
	rec, errs := s.validate(b)
	if len(errs) > 0 {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, validationBody(errs))
		return
	}
	rec.ID = s.nextID
	rec.CreatedOn, rec.UpdatedOn = now, now
	if s.cfg.Behaviour.NullUpdatedOn {
		rec.UpdatedOn = "" // until first updated
	}
	rec.UniqueID = newUUID()
	user := c.user
	rec.UpdatedBy = &user
	s.normalise(&rec)
	s.resolve(&rec)
	s.put(&rec)
	s.mu.Unlock()
	s.changed()
	if dropAfter {
		drop(w)
		return
	}
	var value any
	switch s.cfg.Behaviour.CreateIDs {
	case IDString:
		value = map[string]any{"Id": strconv.FormatInt(rec.ID, 10)}
	case IDBare:
		value = rec.ID
	default:
		value = map[string]any{"Id": rec.ID}
	}
	writeJSON(w, http.StatusOK, writeAnswer{
		Status: 200, Message: "ContractContact was successfully created.",
		Value: value, UpdatedOn: s.instant(now, rec.ID), UpdatedBy: c.user, WasSuccessful: true,
	})
}

// serveUpdate answers PUT /api/billing/contractcontacts: a full replace of
// the record whose Id the body names; properties left out are cleared.
func (s *Server) serveUpdate(w http.ResponseWriter, r *http.Request, c client) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	raw, present := b.get("Id")
	var id int64
	if !present || json.Unmarshal(raw, &id) != nil || id == 0 {
		if present {
			writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{"Id", attempted(raw), "is not a valid number"}}))
		} else {
			writeJSON(w, http.StatusBadRequest, validationBody([]fieldError{{"Id", nil, "is a required field"}}))
		}
		return
	}
	now := s.now().UTC().Format(timeLayout)
	s.mu.Lock()
	i, found := s.find(id)
	if !found {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "ContractContact not found."})
		return
	}
	old := s.records[i]
	rec, errs := s.validate(b)
	if len(errs) > 0 {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, validationBody(errs))
		return
	}
	rec.ID, rec.CreatedOn, rec.UniqueID, rec.UpdatedOn = id, old.CreatedOn, old.UniqueID, now
	user := c.user
	rec.UpdatedBy = &user
	s.normalise(&rec)
	s.resolve(&rec)
	s.put(&rec)
	s.mu.Unlock()
	s.changed()
	writeJSON(w, http.StatusOK, writeAnswer{
		Status: 200, Message: "ContractContact was successfully updated.",
		Value: map[string]any{"Id": id}, UpdatedOn: s.instant(now, id), UpdatedBy: c.user, WasSuccessful: true,
	})
}

// serveDelete answers DELETE /api/billing/contractcontacts/{id}.
func (s *Server) serveDelete(w http.ResponseWriter, id int64, c client) {
	if !s.Delete(id) {
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "ContractContact not found."})
		return
	}
	writeJSON(w, http.StatusOK, writeAnswer{
		Status: 200, Message: "ContractContact was successfully deleted.",
		Value: map[string]any{"Id": id}, UpdatedOn: s.instant(s.now().UTC().Format(timeLayout), id), UpdatedBy: c.user, WasSuccessful: true,
	})
}
