package nexudus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"contactbulk/mapping"
)

// The roles each endpoint needs, named in a 403 when the server does not.
const (
	roleList   = "ContractContact-List"
	roleRead   = "ContractContact-Read"
	roleCreate = "ContractContact-Create"
	roleEdit   = "ContractContact-Edit"
	roleDelete = "ContractContact-Delete"
)

// List fetches one page of the listing. Like every call it reads the
// answer tolerantly: a value of another JSON type than documented (a
// contact type by name, an Id as text) is converted and noted once
// through Logf, extra fields are ignored. It returns an *APIError when the
// server refuses the query, and the errors StopsRun names.
func (c *Client) List(ctx context.Context, opt ListOptions) (*Page, error) {
	q := url.Values{}
	for k, vs := range opt.Filters {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	if opt.Page > 0 {
		q.Set("page", strconv.Itoa(opt.Page))
	}
	if opt.Size > 0 {
		q.Set("size", strconv.Itoa(opt.Size))
	}
	if opt.OrderBy != "" {
		q.Set("orderBy", opt.OrderBy)
	}
	if opt.Dir != nil {
		q.Set("dir", strconv.Itoa(*opt.Dir))
	}
	body, err := c.do(ctx, &request{method: http.MethodGet, path: contactsPath, query: q, auth: true, role: roleList})
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	var p Page
	if err := c.decode(body, &p); err != nil {
		return nil, fmt.Errorf("list contacts: unexpected answer: %w", err)
	}
	return &p, nil
}

// writeAnswer is the body of a write: {Status, Message, Value, WasSuccessful, Errors}.
type writeAnswer struct {
	Status        int             `json:"Status"`
	Message       string          `json:"Message"`
	Value         json.RawMessage `json:"Value"`
	WasSuccessful *bool           `json:"WasSuccessful"`
	Errors        []FieldError    `json:"Errors"`
}

// Create creates one contact and returns its new Id, read from the
// answer's Value as {"Id": N}, {"Id": "N"} or a bare N. When the outcome
// is unknown (timeout, connection lost after sending, a 5xx, an answer
// without an Id) the error wraps ErrAmbiguous and the create is not
// repeated; a refusal is an *APIError (400 with Fields); a spent daily
// budget is a *BudgetError, returned before anything is sent; the other
// errors StopsRun names come before anything was created.
func (c *Client) Create(ctx context.Context, ct mapping.Contact) (int64, error) {
	payload, err := json.Marshal(ct)
	if err != nil {
		return 0, fmt.Errorf("create contact: %w", err)
	}
	body, err := c.do(ctx, &request{method: http.MethodPost, path: contactsPath, body: payload,
		contentType: "application/json", auth: true, kind: kindWrite, role: roleCreate})
	if err != nil {
		return 0, fmt.Errorf("create contact: %w", err)
	}
	var ans writeAnswer
	if err := c.decode(body, &ans); err != nil {
		return 0, fmt.Errorf("create contact: %w: unreadable answer: %v", ErrAmbiguous, err)
	}
	if ans.WasSuccessful != nil && !*ans.WasSuccessful {
		return 0, fmt.Errorf("create contact: %w", answerError(http.StatusOK, ans))
	}
	id, ok := c.valueID(ans.Value)
	if !ok {
		return 0, fmt.Errorf("create contact: %w: the answer carried no Id", ErrAmbiguous)
	}
	return id, nil
}

// valueID reads a new record's Id from a write answer's Value: an object
// with Id (a number, or a number written as text), or the Id itself.
func (c *Client) valueID(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return 0, false
		}
		for k, v := range m {
			if strings.EqualFold(k, "Id") {
				id, text := scalarID(v)
				if text {
					c.note([]string{"Value.Id as text; read as the new record's Id"})
				}
				return id, id > 0
			}
		}
		return 0, false
	}
	id, text := scalarID(raw)
	if id > 0 {
		how := "as a bare number"
		if text {
			how = "as bare text"
		}
		c.note([]string{"Value " + how + " rather than {\"Id\": ...}; read as the new record's Id"})
	}
	return id, id > 0
}

// scalarID reads a JSON number or a string holding one; text reports the
// latter. It returns 0 for anything else.
func scalarID(raw json.RawMessage) (id int64, text bool) {
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		text = true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, text
}

// updateBody is the body of PUT /api/billing/contractcontacts: the record's
// Id and every field a create takes, empty ones as null, because the PUT
// replaces the whole record and clears whatever it leaves out.
type updateBody struct {
	ID                  int64               `json:"Id"`
	CoworkerContractID  int64               `json:"CoworkerContractId"`
	FullName            string              `json:"FullName"`
	CoworkerID          *int64              `json:"CoworkerId"`
	Email               *string             `json:"Email"`
	DateOfBirth         *string             `json:"DateOfBirth"`
	Address             *string             `json:"Address"`
	PostCode            *string             `json:"PostCode"`
	CityName            *string             `json:"CityName"`
	State               *string             `json:"State"`
	CountryID           *int64              `json:"CountryId"`
	PhoneNumber         *string             `json:"PhoneNumber"`
	Notes               *string             `json:"Notes"`
	ContractContactType mapping.ContactType `json:"ContractContactType"`
}

// nullable is s, or nil (JSON null) when s is empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetOne reads the full record with this id. A record that does not exist
// is an error for which IsNotFound reports true.
func (c *Client) GetOne(ctx context.Context, id int64) (Record, error) {
	body, err := c.do(ctx, &request{method: http.MethodGet, path: contactsPath + "/" + strconv.FormatInt(id, 10), auth: true, role: roleRead})
	if err != nil {
		return Record{}, fmt.Errorf("read contact %d: %w", id, err)
	}
	var r Record
	if err := c.decode(body, &r); err != nil {
		return Record{}, fmt.Errorf("read contact %d: unexpected answer: %w", id, err)
	}
	if r.ID == 0 {
		return Record{}, fmt.Errorf("read contact %d: %w", id, &APIError{Status: http.StatusNotFound, Message: "the answer held no record"})
	}
	return r, nil
}

// Update replaces the record id with ct, every field of it: fields ct
// leaves empty are cleared, so build ct from the full record (GetOne),
// never from a listing. An unknown outcome wraps ErrAmbiguous (read the
// record to see whether it changed); a refusal is an *APIError; a spent
// daily budget is a *BudgetError, returned before anything is sent.
func (c *Client) Update(ctx context.Context, id int64, ct mapping.Contact) error {
	b := updateBody{
		ID: id, CoworkerContractID: ct.CoworkerContractID, FullName: ct.FullName, CoworkerID: ct.CoworkerID,
		Email: nullable(ct.Email), DateOfBirth: nullable(ct.DateOfBirth), Address: nullable(ct.Address),
		PostCode: nullable(ct.PostCode), CityName: nullable(ct.CityName), State: nullable(ct.State),
		CountryID: ct.CountryID, PhoneNumber: nullable(ct.PhoneNumber), Notes: nullable(ct.Notes),
		ContractContactType: ct.ContractContactType,
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("update contact %d: %w", id, err)
	}
	body, err := c.do(ctx, &request{method: http.MethodPut, path: contactsPath, body: payload,
		contentType: "application/json", auth: true, kind: kindWrite, role: roleEdit})
	if err != nil {
		return fmt.Errorf("update contact %d: %w", id, err)
	}
	if err := c.checkWriteAnswer(body); err != nil {
		return fmt.Errorf("update contact %d: %w", id, err)
	}
	return nil
}

// Delete deletes the record id; Nexudus cannot bring it back. A record
// that does not exist is an error for which IsNotFound reports true; an
// unknown outcome wraps ErrAmbiguous (read the record to see whether it is
// gone); a spent daily budget is a *BudgetError.
func (c *Client) Delete(ctx context.Context, id int64) error {
	body, err := c.do(ctx, &request{method: http.MethodDelete, path: contactsPath + "/" + strconv.FormatInt(id, 10),
		auth: true, kind: kindWrite, role: roleDelete})
	if err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	if err := c.checkWriteAnswer(body); err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	return nil
}

// checkWriteAnswer reads the answer of an update or delete: an empty body
// or one without WasSuccessful is a success (the answer's shape is not
// documented for deletes); WasSuccessful false is a refusal.
func (c *Client) checkWriteAnswer(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var ans writeAnswer
	if err := c.decode(body, &ans); err != nil {
		return nil // a 2xx whose body is not the documented JSON
	}
	if ans.WasSuccessful != nil && !*ans.WasSuccessful {
		return answerError(http.StatusOK, ans)
	}
	return nil
}

// getBatch is how many ids one several-at-once read asks for.
const getBatch = 50

// batchState is what the several-at-once read has shown so far.
type batchState struct {
	slash    bool // it answers at /contractcontacts/?id=[..], not /contractcontacts?id=[..]
	oneByOne bool // it proved unusable (refused while records exist, summary records, ids ignored)
}

// errOddAnswer marks a several-at-once answer that is not a list of the
// records asked for.
var errOddAnswer = errors.New("unexpected answer")

// Get reads the full records (every field, as GetOne returns them) of the
// given ids, in the order asked, each once; ids that do not exist are left
// out. It guarantees that every asked id that exists comes back full,
// whatever the several-at-once read (?id=[1,2,3], 50 at a time) does:
//
//   - it is tried at /contractcontacts?id=[..] and, when that answers 404,
//     at /contractcontacts/?id=[..] (the form that answers is kept);
//   - records it leaves out are read one at a time (404: does not exist);
//   - an answer in which no record has any of Address, PostCode, CityName,
//     State or Notes may be summary records (listing-shaped), or full
//     records that hold none of them: its records are read one at a time
//     until one shows such a field (the answer was summary: the rest of the
//     client's life reads one at a time) or all have been;
//   - an answer that holds a record not asked for ignored the ids: the
//     batch, and the rest, are read one at a time;
//   - when it fails otherwise (400, 404 at both forms, an answer that is
//     not a list, a read that fails after its retries) the batch is read
//     one at a time; when both forms answered 404 and the records exist,
//     the rest too.
//
// It returns the records read so far and an error when a read fails for
// another reason (those StopsRun names, an interrupt, a read that still
// fails after its retries).
func (c *Client) Get(ctx context.Context, ids []int64) ([]Record, error) {
	found := make(map[int64]Record, len(ids))
	for start := 0; start < len(ids); start += getBatch {
		batch := ids[start:min(start+getBatch, len(ids))]
		if err := c.getBatch(ctx, batch, found); err != nil {
			return inOrder(ids, found), fmt.Errorf("read contacts: %w", err)
		}
	}
	return inOrder(ids, found), nil
}

// inOrder returns the found records in the order of ids, each once.
func inOrder(ids []int64, found map[int64]Record) []Record {
	out := make([]Record, 0, len(found))
	seen := make(map[int64]bool, len(found))
	for _, id := range ids {
		if r, ok := found[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, r)
		}
	}
	return out
}

// getBatch reads the full records of ids into found.
func (c *Client) getBatch(ctx context.Context, ids []int64, found map[int64]Record) error {
	c.getMu.Lock()
	st := c.get
	c.getMu.Unlock()
	if st.oneByOne {
		_, err := c.getEach(ctx, ids, found)
		return err
	}
	recs, err := c.getMany(ctx, ids, st.slash)
	notFound := isStatus(err, http.StatusNotFound)
	if notFound {
		// No such resource: the other URL form may be the one this
		// server answers.
		recs, err = c.getMany(ctx, ids, !st.slash)
		if err == nil {
			c.setBatch(func(b *batchState) { b.slash = !st.slash })
		}
		notFound = isStatus(err, http.StatusNotFound)
	}
	if err != nil {
		if ctx.Err() != nil || StopsRun(err) {
			return err
		}
		c.cfg.Logf("reading %d records at once failed (%v); reading them one at a time", len(ids), err)
		n, eerr := c.getEach(ctx, ids, found)
		if eerr != nil {
			return eerr
		}
		if notFound && n > 0 {
			c.oneByOne("neither of its URL forms exists here")
		}
		return nil
	}
	asked := make(map[int64]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	full := false
	for _, r := range recs {
		if !asked[r.ID] {
			c.oneByOne(fmt.Sprintf("it answered record %d, which was not asked for", r.ID))
			_, err := c.getEach(ctx, ids, found)
			return err
		}
		full = full || hasFullFields(r)
	}
	if len(recs) > 0 && !full {
		// Summary records, or full ones that hold none of the fields:
		// one-record reads tell.
		for i, r := range recs {
			one, err := c.GetOne(ctx, r.ID)
			if IsNotFound(err) {
				continue // deleted since
			}
			if err != nil {
				return err
			}
			found[one.ID] = one
			if hasFullFields(one) {
				c.oneByOne("it returns summary records (without Address, PostCode, CityName, State and Notes)")
				rest := make([]int64, 0, len(ids))
				for _, r := range recs[i+1:] {
					rest = append(rest, r.ID)
				}
				if _, err := c.getEach(ctx, rest, found); err != nil {
					return err
				}
				break
			}
		}
	} else {
		for _, r := range recs {
			found[r.ID] = r
		}
	}
	var missing []int64
	for _, id := range ids {
		if _, ok := found[id]; !ok && !containsID(recs, id) {
			missing = append(missing, id)
		}
	}
	n, err := c.getEach(ctx, missing, found)
	if n > 0 {
		c.note([]string{fmt.Sprintf("several-at-once read left out %d records that exist; they were read one at a time", n)})
	}
	return err
}

// containsID reports whether recs holds the record id.
func containsID(recs []Record, id int64) bool {
	for _, r := range recs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// hasFullFields reports whether r holds one of the fields only full
// records carry.
func hasFullFields(r Record) bool {
	for _, f := range []*string{r.Address, r.PostCode, r.CityName, r.State, r.Notes} {
		if f != nil && *f != "" {
			return true
		}
	}
	return false
}

// isStatus reports whether err is an answer with this HTTP status.
func isStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// setBatch changes the batch state under its lock.
func (c *Client) setBatch(fn func(*batchState)) {
	c.getMu.Lock()
	defer c.getMu.Unlock()
	fn(&c.get)
}

// oneByOne switches Get to one-record reads for the rest of the client's
// life, saying why once.
func (c *Client) oneByOne(why string) {
	c.getMu.Lock()
	defer c.getMu.Unlock()
	if c.get.oneByOne {
		return
	}
	c.get.oneByOne = true
	c.cfg.Logf("the several-at-once read cannot be trusted here (%s); reading full records one at a time from now on", why)
}

// getMany is the several-at-once read, at the collection's URL with or
// without a trailing slash. An answer that is not a list of records wraps
// errOddAnswer.
func (c *Client) getMany(ctx context.Context, ids []int64, slash bool) ([]Record, error) {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	path := contactsPath
	if slash {
		path += "/"
	}
	q := url.Values{"id": {"[" + strings.Join(parts, ",") + "]"}}
	body, err := c.do(ctx, &request{method: http.MethodGet, path: path, query: q, auth: true, role: roleRead})
	if err != nil {
		return nil, err
	}
	var recs []Record
	if err := c.decode(body, &recs); err != nil {
		return nil, fmt.Errorf("%w: %v", errOddAnswer, err)
	}
	return recs, nil
}

// getEach reads records one at a time into found, skipping those that do
// not exist, and returns how many it found.
func (c *Client) getEach(ctx context.Context, ids []int64, found map[int64]Record) (int, error) {
	n := 0
	for _, id := range ids {
		if _, ok := found[id]; ok {
			continue
		}
		r, err := c.GetOne(ctx, id)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return n, err
		}
		found[id] = r
		n++
	}
	return n, nil
}
