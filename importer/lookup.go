package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"contactbulk/mapping"
	"contactbulk/nexudus"
)

// Looking ids up. A sheet may name a row's contract by its holder's
// email, name, company or billing name, its coworker by email and its
// country by name or ISO code (mapping.Lookup) instead of giving the Ids.
// Before the space is read, the lists those names are found in are read
// once each, whole (nexudus.ReadAll), and only when some row needs them;
// every name is matched locally and exactly, after the folding the import
// uses for names (mapping.NameKey) and emails (mapping.EmailKey). No
// server-side string filter is trusted for exactness, and no request is
// made per row. Only the records some row's value or Id names are kept,
// and, for suggestions, a bounded pool of the values a row could have
// meant.
// A row that names no record, several, or one that disagrees with the Id
// it also gives is invalid, like any other invalid row.

// The lists lookups read, by the Field* they give.
const (
	listContracts = iota
	listCoworkers
	listCountries
	numLists
)

// listNames names the lists for messages and errors, and one of their
// records.
var (
	listNames  = [numLists]string{"contracts", "coworkers", "countries"}
	recordName = [numLists]string{"contract", "coworker", "country"}
)

// listOf returns the list a lookup is answered from.
func listOf(k mapping.Lookup) int {
	switch k.Field() {
	case mapping.FieldCoworkerID:
		return listCoworkers
	case mapping.FieldCountryID:
		return listCountries
	}
	return listContracts
}

// listField is the Field* each list gives.
var listField = [numLists]int{mapping.FieldCoworkerContractID, mapping.FieldCoworkerID, mapping.FieldCountryID}

// maxPool bounds the values kept per lookup to suggest the closest one
// when a value matches nothing; maxSuggested bounds how many values that
// match nothing are given a suggestion (each costs a pass over the pool).
const (
	maxPool      = 10_000
	maxSuggested = 50
)

// contractRef is what lookups keep of a contract a row names.
type contractRef struct {
	id                              int64
	holder, email, company, billing string
	plan                            string
	active, cancelled               bool
}

// describe writes the contract for a message: `1011 (Ada Lovelace, Mail
// Handling)`, with why it is not used when it is not active.
func (c *contractRef) describe() string {
	var parts []string
	for _, s := range []string{c.holder, c.plan} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	switch {
	case c.cancelled:
		parts = append(parts, "cancelled")
	case !c.active:
		parts = append(parts, "not active")
	}
	if len(parts) == 0 {
		return strconv.FormatInt(c.id, 10)
	}
	return fmt.Sprintf("%d (%s)", c.id, strings.Join(parts, ", "))
}

// value returns the contract's value for a contract lookup.
func (c *contractRef) value(k mapping.Lookup) string {
	switch k {
	case mapping.LookupHolderEmail:
		return c.email
	case mapping.LookupHolderName:
		return c.holder
	case mapping.LookupCompanyName:
		return c.company
	}
	return c.billing
}

// namedRef is what lookups keep of a coworker or a country a row names.
type namedRef struct {
	id          int64
	name, value string // the coworker's full name and email; the country's name and ISO code
}

func (n *namedRef) describe() string {
	if n.name == "" {
		return strconv.FormatInt(n.id, 10)
	}
	return fmt.Sprintf("%d (%s)", n.id, n.name)
}

// lookups reads the lists a sheet's lookup values are found in and
// resolves each row's values to Ids. want is told every row first, then
// read reads the lists, then resolve answers each row.
type lookups struct {
	api      API
	inactive bool // --include-inactive: contracts not active, or cancelled, are candidates too

	// matches holds, per lookup, the folded values the rows give and the
	// Ids of the records that have them, in the order served.
	matches [mapping.NumLookups]map[string][]int64
	// ids holds, per list, the Ids rows give beside a lookup value, whose
	// records are kept to check that the two agree.
	ids       [numLists]map[int64]bool
	contracts map[int64]*contractRef
	coworkers map[int64]*namedRef
	countries map[int64]*namedRef

	// pool holds, per lookup, up to maxPool values (by folded value) that
	// rows could have meant, for suggestions; suggested caches them.
	pool      [mapping.NumLookups]map[string]string
	suggested [mapping.NumLookups]map[string]string

	reads  [numLists]int // requests made per list
	sizes  [numLists]int // records served per list
	failed int           // the list read returned an error for

	headers [mapping.NumLookups]string // each lookup's column header, for advice; "" for none
}

func newLookups(api API, inactive bool) *lookups {
	l := &lookups{api: api, inactive: inactive, contracts: map[int64]*contractRef{},
		coworkers: map[int64]*namedRef{}, countries: map[int64]*namedRef{}}
	for i := range l.matches {
		l.matches[i] = map[string][]int64{}
	}
	for i := range l.ids {
		l.ids[i] = map[int64]bool{}
	}
	return l
}

// lookupKey folds a row's value for lookup k: as the lookup compares it,
// and a country's two-letter value as an ISO code.
func lookupKey(k mapping.Lookup, v string) string {
	if k == mapping.LookupCountry && mapping.IsCountryCode(v) {
		return "code:" + strings.ToUpper(v)
	}
	return k.Key(v)
}

// want notes what one row asks: the values it looks Ids up by, or, when
// it gives the Id too, that Id (its record is kept to check that the two
// agree).
func (l *lookups) want(v *mapping.LookupValues, c *mapping.Contact) {
	for _, k := range mapping.Lookups() {
		switch {
		case v[k] == "":
		case fieldID(c, k.Field()) != 0:
			l.ids[listOf(k)][fieldID(c, k.Field())] = true
		default:
			l.matches[k][lookupKey(k, v[k])] = nil
		}
	}
}

// fieldID returns the Id the contact gives for field fi, 0 for none.
func fieldID(c *mapping.Contact, fi int) int64 {
	switch fi {
	case mapping.FieldCoworkerContractID:
		return c.CoworkerContractID
	case mapping.FieldCoworkerID:
		if c.CoworkerID != nil {
			return *c.CoworkerID
		}
	case mapping.FieldCountryID:
		if c.CountryID != nil {
			return *c.CountryID
		}
	}
	return 0
}

// setFieldID gives the contact the Id id for field fi.
func setFieldID(c *mapping.Contact, fi int, id int64) {
	switch fi {
	case mapping.FieldCoworkerContractID:
		c.CoworkerContractID = id
	case mapping.FieldCoworkerID:
		c.CoworkerID = &id
	case mapping.FieldCountryID:
		c.CountryID = &id
	}
}

// needs reports whether some row asks list.
func (l *lookups) needs(list int) bool {
	if len(l.ids[list]) > 0 {
		return true
	}
	for _, k := range mapping.Lookups() {
		if listOf(k) == list && len(l.matches[k]) > 0 {
			return true
		}
	}
	return false
}

// read reads, once each and whole, the lists some row needs. A list the
// server pages oddly (nexudus.PagingError) is read once more before
// giving up: records may have changed while it was paged. Errors are
// those of nexudus.ReadAll, wrapped with the list's name.
func (l *lookups) read(ctx context.Context) error {
	for list := range numLists {
		if !l.needs(list) {
			continue
		}
		for attempt := 1; ; attempt++ {
			l.reset(list)
			n, reads, err := l.readList(ctx, list)
			l.reads[list] += reads
			l.sizes[list] = n
			var pe *nexudus.PagingError
			if err != nil && attempt == 1 && errors.As(err, &pe) && ctx.Err() == nil {
				continue
			}
			if err != nil {
				l.failed = list
				return fmt.Errorf("look up %s: %w", listNames[list], err)
			}
			break
		}
	}
	return nil
}

// readList reads list once, whole, and returns how many records it
// served and how many requests that took.
func (l *lookups) readList(ctx context.Context, list int) (n, reads int, err error) {
	switch list {
	case listContracts:
		reads, err = nexudus.ReadAll(ctx, "contracts", l.api.ListContracts, func(c *nexudus.Contract) { n++; l.addContract(c) })
	case listCoworkers:
		reads, err = nexudus.ReadAll(ctx, "coworkers", l.api.ListCoworkers, func(c *nexudus.Coworker) { n++; l.addCoworker(c) })
	default:
		reads, err = nexudus.ReadAll(ctx, "countries", l.api.ListCountries, func(c *nexudus.Country) { n++; l.addCountry(c) })
	}
	return n, reads, err
}

// reset forgets what an earlier reading of list found.
func (l *lookups) reset(list int) {
	for _, k := range mapping.Lookups() {
		if listOf(k) != list {
			continue
		}
		for key := range l.matches[k] {
			l.matches[k][key] = nil
		}
		l.pool[k] = nil
	}
	switch list {
	case listContracts:
		clear(l.contracts)
	case listCoworkers:
		clear(l.coworkers)
	default:
		clear(l.countries)
	}
}

// match records that the record id has value for lookup k, when some row
// gives that value, and offers it for suggestions when usable is true.
// It reports whether a row gives it.
func (l *lookups) match(k mapping.Lookup, value string, id int64, usable bool) bool {
	if value == "" {
		return false
	}
	key := k.Key(value) // a country's name is a name, even of two letters
	ids, wanted := l.matches[k][key]
	if wanted {
		l.matches[k][key] = append(ids, id)
	}
	if usable && len(l.matches[k]) > 0 {
		if l.pool[k] == nil {
			l.pool[k] = map[string]string{}
		}
		if len(l.pool[k]) < maxPool {
			l.pool[k][key] = value
		}
	}
	return wanted
}

func (l *lookups) addContract(c *nexudus.Contract) {
	ref := &contractRef{id: c.ID, holder: str(c.CoworkerFullName), email: str(c.CoworkerEmail),
		company: str(c.CoworkerCompanyName), billing: str(c.CoworkerBillingName), plan: str(c.TariffName),
		active: c.Active, cancelled: c.Cancelled}
	usable := l.eligible(ref)
	keep := l.ids[listContracts][c.ID]
	for _, k := range []mapping.Lookup{mapping.LookupHolderEmail, mapping.LookupHolderName, mapping.LookupCompanyName, mapping.LookupBillingName} {
		if l.match(k, ref.value(k), c.ID, usable) {
			keep = true
		}
	}
	if keep {
		l.contracts[c.ID] = ref
	}
}

// eligible reports whether a contract may be looked up: active and not
// cancelled, or any with --include-inactive.
func (l *lookups) eligible(c *contractRef) bool {
	return l.inactive || c.active && !c.cancelled
}

func (l *lookups) addCoworker(c *nexudus.Coworker) {
	ref := &namedRef{id: c.ID, name: c.FullName, value: str(c.Email)}
	if l.match(mapping.LookupCoworkerEmail, ref.value, c.ID, true) || l.ids[listCoworkers][c.ID] {
		l.coworkers[c.ID] = ref
	}
}

func (l *lookups) addCountry(c *nexudus.Country) {
	ref := &namedRef{id: c.ID, name: c.Name, value: c.TwoDigitsCode}
	byName := l.match(mapping.LookupCountry, c.Name, c.ID, true)
	byCode := false
	if code := strings.TrimSpace(c.TwoDigitsCode); code != "" {
		key := "code:" + strings.ToUpper(code)
		if ids, ok := l.matches[mapping.LookupCountry][key]; ok {
			l.matches[mapping.LookupCountry][key] = append(ids, c.ID)
			byCode = true
		}
	}
	if byName || byCode || l.ids[listCountries][c.ID] {
		l.countries[c.ID] = ref
	}
}

// resolve gives the contact the Ids its lookup values name, marking them
// given, and returns the problems of those that name no record, several,
// or one that disagrees with the Id the row also gives (the Id wins, and
// the value must name its record). It fills what it can even when it
// returns problems.
func (l *lookups) resolve(v *mapping.LookupValues, c *mapping.Contact, given *[mapping.NumFields]bool) []Problem {
	var problems []Problem
	for list := range numLists {
		var asked []mapping.Lookup
		for _, k := range mapping.Lookups() {
			if listOf(k) == list && v[k] != "" {
				asked = append(asked, k)
			}
		}
		if len(asked) == 0 {
			continue
		}
		fi := listField[list]
		if id := fieldID(c, fi); id != 0 {
			problems = append(problems, l.agree(list, id, asked, v)...)
			continue
		}
		id, p := l.choose(list, asked, v)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		setFieldID(c, fi, id)
		given[fi] = true
	}
	return problems
}

// agree checks that every value asked names the record id, which the row
// gives by Id.
func (l *lookups) agree(list int, id int64, asked []mapping.Lookup, v *mapping.LookupValues) []Problem {
	field := mapping.FieldName(listField[list])
	// has says what the record has for lookup k, named, and whether the
	// row's value is that.
	var has func(k mapping.Lookup) (label, theirs string, ok bool)
	var exists bool
	switch list {
	case listContracts:
		c, ok := l.contracts[id]
		exists = ok
		has = func(k mapping.Lookup) (string, string, bool) {
			return k.What(), c.value(k), lookupKey(k, v[k]) == k.Key(c.value(k))
		}
	case listCoworkers:
		c, ok := l.coworkers[id]
		exists = ok
		has = func(k mapping.Lookup) (string, string, bool) {
			return "email", c.value, k.Key(v[k]) == k.Key(c.value)
		}
	default:
		c, ok := l.countries[id]
		exists = ok
		has = func(k mapping.Lookup) (string, string, bool) {
			if mapping.IsCountryCode(v[k]) {
				return "ISO code", c.value, strings.EqualFold(v[k], strings.TrimSpace(c.value))
			}
			return "name", c.name, k.Key(v[k]) == k.Key(c.name)
		}
	}
	if !exists {
		return []Problem{{Column: field, Message: fmt.Sprintf("%d is not in the space's %s, so %s %q cannot be checked against it; correct the Id, or leave it blank to look it up",
			id, listNames[list], asked[0], v[asked[0]])}}
	}
	var problems []Problem
	for _, k := range asked {
		label, theirs, ok := has(k)
		if ok {
			continue
		}
		if theirs == "" {
			theirs = "blank"
		} else {
			theirs = strconv.Quote(theirs)
		}
		advice := "correct one of them (they must name the same record)"
		if h := l.headers[k]; h != "" {
			advice = fmt.Sprintf("correct one of them (they must name the same record); if column %q means something else, such as the contact's own company, ignore it with --map %q", h, h+"="+mapping.Ignore)
		}
		problems = append(problems, Problem{Column: k.String(), Message: fmt.Sprintf("%q disagrees with %s %d, whose %s is %s: %s",
			v[k], field, id, label, theirs, advice)})
	}
	return problems
}

// choose finds the one record the values asked name together.
func (l *lookups) choose(list int, asked []mapping.Lookup, v *mapping.LookupValues) (int64, *Problem) {
	var all []int64
	for i, k := range asked {
		ids := l.matches[k][lookupKey(k, v[k])]
		if i == 0 {
			all = slices.Clone(ids)
			continue
		}
		all = slices.DeleteFunc(all, func(id int64) bool { return !slices.Contains(ids, id) })
	}
	named := what(asked, v)
	col := asked[0].String()
	switch list {
	case listContracts:
		var usable, other []*contractRef
		for _, id := range all {
			c := l.contracts[id]
			if l.eligible(c) {
				usable = append(usable, c)
			} else {
				other = append(other, c)
			}
		}
		kind := "active contract"
		if l.inactive {
			kind = "contract"
		}
		switch {
		case len(usable) == 1:
			return usable[0].id, nil
		case len(usable) > 1:
			return 0, &Problem{Column: col, Message: fmt.Sprintf("%d %ss have %s: %s; give CoworkerContractId, or another column (holder email, holder name, company, billing name) that tells them apart",
				len(usable), kind, named, describeAll(usable, (*contractRef).describe))}
		case len(other) > 0:
			return 0, &Problem{Column: col, Message: fmt.Sprintf("no active contract has %s: %s; use --include-inactive to import onto %s, or give CoworkerContractId",
				named, describeAll(other, (*contractRef).describe), pronoun(len(other)))}
		}
		return 0, &Problem{Column: col, Message: fmt.Sprintf("no %s has %s%s", kind, named, l.closest(asked, v))}
	case listCoworkers:
		refs := refsOf(all, l.coworkers)
		switch len(refs) {
		case 1:
			return refs[0].id, nil
		case 0:
			return 0, &Problem{Column: col, Message: fmt.Sprintf("no coworker has %s%s", named, l.closest(asked, v))}
		}
		return 0, &Problem{Column: col, Message: fmt.Sprintf("%d coworkers have %s: %s; give CoworkerId", len(refs), named, describeAll(refs, (*namedRef).describe))}
	}
	refs := refsOf(all, l.countries)
	switch len(refs) {
	case 1:
		return refs[0].id, nil
	case 0:
		if mapping.IsCountryCode(v[mapping.LookupCountry]) {
			return 0, &Problem{Column: col, Message: fmt.Sprintf("no country of the space has the ISO code %q; give its name, or CountryId", v[mapping.LookupCountry])}
		}
		return 0, &Problem{Column: col, Message: fmt.Sprintf("no country of the space is named %q%s", v[mapping.LookupCountry], l.closest(asked, v))}
	}
	return 0, &Problem{Column: col, Message: fmt.Sprintf("%d countries of the space are %q: %s; give CountryId", len(refs), v[mapping.LookupCountry], describeAll(refs, (*namedRef).describe))}
}

// what writes the values asked for a message: `holder email "a@b.example"
// and company name "Acme"`.
func what(asked []mapping.Lookup, v *mapping.LookupValues) string {
	parts := make([]string, len(asked))
	for i, k := range asked {
		parts[i] = fmt.Sprintf("%s %q", k.What(), v[k])
	}
	return strings.Join(parts, " and ")
}

// closest says which value a lone value that matches nothing may have
// meant: ` (closest: "ada@analytical.example")`, or "".
func (l *lookups) closest(asked []mapping.Lookup, v *mapping.LookupValues) string {
	if len(asked) != 1 {
		return ""
	}
	k := asked[0]
	key := lookupKey(k, v[k])
	if l.suggested[k] == nil {
		l.suggested[k] = map[string]string{}
	}
	s, done := l.suggested[k][key]
	if !done {
		if len(l.suggested[k]) >= maxSuggested || len(l.pool[k]) == 0 {
			return ""
		}
		values := make([]string, 0, len(l.pool[k]))
		for _, p := range l.pool[k] {
			values = append(values, p)
		}
		slices.Sort(values) // Suggest breaks ties by order: the same answer every run
		s = mapping.Suggest(v[k], values)
		l.suggested[k][key] = s
	}
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (closest: %q)", s)
}

// refsOf returns the records of ids kept in m.
func refsOf(ids []int64, m map[int64]*namedRef) []*namedRef {
	var out []*namedRef
	for _, id := range ids {
		if r, ok := m[id]; ok {
			out = append(out, r)
		}
	}
	return out
}

// maxNamed is how many candidates a message names.
const maxNamed = 5

// describeAll names the candidates, at most maxNamed of them.
func describeAll[T any](refs []T, describe func(T) string) string {
	parts := make([]string, 0, min(len(refs), maxNamed)+1)
	for i, r := range refs {
		if i == maxNamed {
			parts = append(parts, fmt.Sprintf("and %d more", len(refs)-maxNamed))
			break
		}
		parts = append(parts, describe(r))
	}
	return strings.Join(parts, ", ")
}

// readsText says what the lookups read: "14 contracts in 1 request, 28
// countries in 1 request".
func (l *lookups) readsText() string {
	var parts []string
	for list := range numLists {
		if l.reads[list] > 0 {
			parts = append(parts, fmt.Sprintf("%s in %s", plural(l.sizes[list], recordName[list], listNames[list]),
				plural(l.reads[list], "request", "requests")))
		}
	}
	return strings.Join(parts, ", ")
}

// totalReads is how many requests the lookups made.
func (l *lookups) totalReads() int {
	n := 0
	for _, r := range l.reads {
		n += r
	}
	return n
}

// LookupSummary says what a run's lookups did (Summary.Lookups).
type LookupSummary struct {
	Rows    int    `json:"rows"`    // rows that name a contract, coworker or country by a lookup value
	Invalid int    `json:"invalid"` // of which a lookup made invalid (no match, several, or one that disagrees with the row's Id)
	Reads   int    `json:"reads"`   // requests that read the lists; 0 in a dry run
	Read    string `json:"-"`       // what was read, for people: "14 contracts in 1 request, ..."
}

// String says it for people: "lookups: 300 rows, 2 invalid; read 14
// contracts in 1 request".
func (s *LookupSummary) String() string {
	text := fmt.Sprintf("lookups: %s, %d invalid", plural(s.Rows, "row", "rows"), s.Invalid)
	if s.Read != "" {
		text += "; read " + s.Read
	}
	return text
}

// lookupFailure is a row a lookup made invalid: why, and the Ids it did
// find, for the results file.
type lookupFailure struct {
	problems []Problem
	contact  mapping.Contact
}

// lookUp gives the rows that name records by lookup values the Ids they
// name, reading each list they need once, and takes the rows whose values
// name no record, several, or one that disagrees with their Id out of the
// run as invalid. It returns an error, leaving every row pending with
// why, when a list cannot be read whole (a role missing stops the run).
func (r *runner) lookUp(ctx context.Context) error {
	var asking int
	for _, it := range r.items {
		if it.lookups != nil {
			asking++
		}
	}
	if asking == 0 {
		return nil
	}
	l := newLookups(r.api, r.opt.Inactive)
	l.headers = r.lookupHeaders
	for _, it := range r.items {
		if it.lookups != nil {
			l.want(it.lookups, &it.contact)
		}
	}
	if err := l.read(ctx); err != nil {
		if ctx.Err() == nil {
			r.stop(err, fmt.Sprintf("the %s list could not be read to look Ids up (%s); nothing was written", listNames[l.failed], errText(err)))
		}
		return r.fail(ctx, err)
	}
	r.looked = &LookupSummary{Rows: asking, Reads: l.totalReads(), Read: l.readsText()}
	kept := r.items[:0]
	for _, it := range r.items {
		if it.lookups != nil {
			ps := l.resolve(it.lookups, &it.contact, &it.given)
			it.lookups = nil // answered: the Ids are the row's now
			if len(ps) > 0 {
				r.failLookup(it, ps)
				continue
			}
		}
		kept = append(kept, it)
	}
	clear(r.items[len(kept):])
	r.items = kept
	fmt.Fprintf(r.opt.Progress, "looked up %s in %s: %d invalid\n", plural(asking, "row", "rows"),
		plural(r.looked.Reads, "request", "requests"), r.looked.Invalid)
	return nil
}

// failLookup takes the row out of the run as invalid, saying why.
func (r *runner) failLookup(it *item, problems []Problem) {
	if r.failedLookups == nil {
		r.failedLookups = make(map[int]lookupFailure)
	}
	r.failedLookups[it.line] = lookupFailure{problems: problems, contact: it.contact}
	r.invalid++
	r.looked.Invalid++
}

// refuseRepeats takes out of the run, as invalid, a row whose identity
// (as its looked-up Ids make it) is an earlier row's: the input's own
// check (Source) could not tell before the Ids were known.
func (r *runner) refuseRepeats() {
	first := make(map[string]int, len(r.items))
	kept := r.items[:0]
	for _, it := range r.items {
		if line, ok := first[it.key]; ok {
			what := repeatsName
			switch {
			case it.recordID != 0:
				what = repeatsID
			case it.contact.CoworkerID != nil:
				what = repeatsCoworker
			}
			r.failLookup(it, []Problem{{Message: fmt.Sprintf("repeats row %d (%s, once looked up)", line, what)}})
			continue
		}
		first[it.key] = it.line
		kept = append(kept, it)
	}
	clear(r.items[len(kept):])
	r.items = kept
}

// idColumnsOf is how a results file shows the Ids that lookups found, so
// that the person can check them and feed the file back as it is: a
// column named as the field (CoworkerContractId, CoworkerId, CountryId)
// after the input's own for each field only lookups give, and the blank
// cells of a field's own column filled with the Id its lookup found. Fed
// back, those Ids are read as Ids and the lookup values checked to agree.
type idColumnsOf struct {
	appended []int // Field* indexes
	filled   []int // cell indexes of the fields' own columns, by Field* (-1 none)
	fields   []int
	buf      []string
}

// idColumns returns the results file's Id columns for src's sheet; nil
// when the sheet has no lookup.
func (r *runner) idColumns(src *Source) *idColumnsOf {
	if !src.layout.HasLookups() {
		return nil
	}
	c := &idColumnsOf{appended: src.layout.LookedUp()}
	for _, fi := range []int{mapping.FieldCoworkerContractID, mapping.FieldCoworkerID, mapping.FieldCountryID} {
		if col := src.layout.Column(fi); col >= 0 {
			c.fields, c.filled = append(c.fields, fi), append(c.filled, col)
		}
	}
	return c
}

// header is the results file's input columns: cols, then the appended.
func (c *idColumnsOf) header(cols []string) []string {
	if c == nil || len(c.appended) == 0 {
		return cols
	}
	out := slices.Clone(cols)
	for _, fi := range c.appended {
		out = append(out, mapping.FieldName(fi))
	}
	return out
}

// cells is the row's cells for the results file, with the Ids the row's
// lookups found (in found; nil for none) shown.
func (c *idColumnsOf) cells(row *Row, found *mapping.Contact) []string {
	if c == nil || !row.Lookups.Any() && len(c.appended) == 0 {
		return row.Cells
	}
	c.buf = append(c.buf[:0], row.Cells...)
	id := func(fi int) string {
		if found == nil || !row.Lookups.ForField(fi) {
			return ""
		}
		if n := fieldID(found, fi); n != 0 {
			return strconv.FormatInt(n, 10)
		}
		return ""
	}
	for i, fi := range c.fields {
		if col := c.filled[i]; col < len(c.buf) && strings.TrimSpace(mapping.Unquote(strings.TrimSpace(c.buf[col]))) == "" {
			c.buf[col] = id(fi)
		}
	}
	for _, fi := range c.appended {
		c.buf = append(c.buf, id(fi))
	}
	return c.buf
}

// lookupCounts counts, for a dry run, the valid rows that name a record
// by each lookup: those that leave its Id to be looked up, and those that
// give the Id too (their value is checked against it).
type lookupCounts struct {
	rows  int
	look  [mapping.NumLookups]int
	check [mapping.NumLookups]int
}

// add counts the row.
func (lc *lookupCounts) add(row *Row) {
	if !row.Lookups.Any() {
		return
	}
	lc.rows++
	for _, k := range mapping.Lookups() {
		switch {
		case row.Lookups[k] == "":
		case fieldID(&row.Contact, k.Field()) != 0:
			lc.check[k]++
		default:
			lc.look[k]++
		}
	}
}

// notes says what importing will look up: "12 rows name their contract by
// holder email: looked up when importing; --plan shows the result".
func (lc *lookupCounts) notes() []string {
	var out []string
	for _, k := range mapping.Lookups() {
		what := recordName[listOf(k)]
		if n := lc.look[k]; n > 0 {
			out = append(out, fmt.Sprintf("%s %s %s %s by %s: looked up when importing; --plan shows the result",
				plural(n, "row", "rows"), verb(n, "names", "name"), verb(n, "its", "their"), what, k.What()))
		}
		if n := lc.check[k]; n > 0 {
			out = append(out, fmt.Sprintf("%s %s both %s and its %s: checked to agree when importing",
				plural(n, "row", "rows"), verb(n, "gives", "give"), mapping.FieldName(k.Field()), k.What()))
		}
	}
	return out
}

// verb is the form of a verb for n subjects.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cellsOf returns the cells the problems name, as BadCells does for a
// row's own problems: a field's or a lookup's column.
func (s *Source) cellsOf(problems []Problem) []int {
	return s.BadCells(&Row{Problems: problems})
}
