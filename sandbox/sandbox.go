// Package sandbox is a local stand-in for the Nexudus ContractContact API
// and the contracts, coworkers and countries lists a sheet's names are
// looked up in, faithful to their documentation, limits and faults, and
// able to behave in each odd way the docs allow (Behaviour), for tests and
// rehearsals. A Server is an http.Handler: run it in httptest.NewServer
// (or sandboxtest.New) or behind `contactbulk sandbox`.
package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Config configures a Server; its zero value is a working in-memory
// sandbox with the documented limits and a random token.
type Config struct {
	Token       string           // bearer token accepted; "" means New generates a random one (see Token())
	User        User             // account for POST /api/token; zero Email means password login is refused
	MaxPageSize int              // cap on `size`; 0 means 1000
	Limits      Limits           // zero value means DocumentedLimits()
	Faults      Faults           // zero value means no faults
	DataFile    string           // "" keeps records in memory; else loaded at New, saved (atomically, 0600) on every write batch / Close
	Behaviour   Behaviour        // zero value means the endpoint pages as written
	Now         func() time.Time // nil means time.Now
	TokenTTL    time.Duration    // lifetime of access tokens issued by /api/token; 0 means 604799 s
	RefreshTTL  time.Duration    // lifetime of refresh tokens; 0 means 15 days
	// Logf reports, when they happen, a background save of the data file
	// that failed and the next that succeeded; nil discards.
	Logf func(format string, args ...any)
}

// User is the account that may sign in through POST /api/token or Basic auth.
// TOTPSecret is base32; when set, password grants need a valid totp
// (RFC 6238, SHA1, 30 s, 6 digits) and Basic auth is refused.
type User struct{ Email, Password, TOTPSecret string }

// Limits are the per-client rate limits the sandbox enforces. The zero value
// of Limits as a whole means DocumentedLimits(); in a non-zero Limits a zero
// field means no limit of that kind, and a zero Status means 409.
type Limits struct {
	Off             bool
	MinInterval     time.Duration // all requests, per client: 100 ms
	PerMinute       int           // all requests: 120
	PerHour         int           // all requests: 5000
	PerDay          int           // all requests: 200000
	WritesPerMinute int           // POST/PUT/DELETE: 60
	WritesPerDay    int           // POST/PUT/DELETE: 2500 (the more conservative documented figure)
	Status          int           // status answered when throttling: 409 (Nexudus's own); tests may set 429
}

// DocumentedLimits returns the limits Nexudus documents (NOTES.md), taking
// the more conservative figure where two sources disagree.
func DocumentedLimits() Limits {
	return Limits{
		MinInterval:     100 * time.Millisecond,
		PerMinute:       120,
		PerHour:         5000,
		PerDay:          200000,
		WritesPerMinute: 60,
		WritesPerDay:    2500,
		Status:          http.StatusConflict,
	}
}

// Faults are random misbehaviours, rolled per request with a seeded die.
type Faults struct {
	Latency         time.Duration // added to every answer
	ServerErrors    float64       // fraction of requests answered 500 (nothing stored)
	DropAfterCreate float64       // fraction of creates stored, then the connection is dropped with no answer (hijack + close)
	Stalls          float64       // fraction of requests that stall for StallFor (or until the client gives up) before answering
	StallFor        time.Duration
	Seed            int64 // seed of the fault dice, for repeatable tests
}

// Injection is a one-shot answer for deterministic tests.
type Injection struct {
	Method     string // "" any method
	Path       string // "" any path; else a prefix of the URL path
	Status     int    // e.g. 409, 429, 500, 502
	RetryAfter string // Retry-After header value, "" none
	Body       string
	Times      int  // how many matching requests get it (0 means 1)
	Drop       bool // instead of answering: for a create, store the record then drop the connection
}

// Record is a full ContractContact as the API returns it, with the
// documented JSON names; nullable fields are pointers and encode as null.
type Record struct {
	CoworkerContractID                 int64           `json:"CoworkerContractId"`
	CoworkerContractQuantity           *int64          `json:"CoworkerContractQuantity"`
	CoworkerContractFloorPlanDeskIds   *string         `json:"CoworkerContractFloorPlanDeskIds"`
	CoworkerContractFloorPlanDeskNames *string         `json:"CoworkerContractFloorPlanDeskNames"`
	CoworkerContractTariffName         *string         `json:"CoworkerContractTariffName"`
	CoworkerID                         *int64          `json:"CoworkerId"`
	CoworkerFullName                   *string         `json:"CoworkerFullName"`
	CoworkerCompanyName                *string         `json:"CoworkerCompanyName"`
	CoworkerBillingName                *string         `json:"CoworkerBillingName"`
	CoworkerEmail                      *string         `json:"CoworkerEmail"`
	CoworkerActive                     *bool           `json:"CoworkerActive"`
	Email                              *string         `json:"Email"`
	FullName                           string          `json:"FullName"`
	DateOfBirth                        *string         `json:"DateOfBirth"`
	Address                            *string         `json:"Address"`
	PostCode                           *string         `json:"PostCode"`
	CityName                           *string         `json:"CityName"`
	State                              *string         `json:"State"`
	CountryID                          *int64          `json:"CountryId"`
	CountryName                        *string         `json:"CountryName"`
	PhoneNumber                        *string         `json:"PhoneNumber"`
	Notes                              *string         `json:"Notes"`
	ContractContactType                int             `json:"ContractContactType"`
	ID                                 int64           `json:"Id"`
	UpdatedOn                          string          `json:"UpdatedOn"`
	CreatedOn                          string          `json:"CreatedOn"`
	UniqueID                           string          `json:"UniqueId"`
	UpdatedBy                          *string         `json:"UpdatedBy"`
	IsNew                              bool            `json:"IsNew"`
	SystemID                           *string         `json:"SystemId"`
	ToStringText                       *string         `json:"ToStringText"`
	LocalizationDetails                json.RawMessage `json:"LocalizationDetails"`
	CustomFields                       json.RawMessage `json:"CustomFields"`
}

// timeLayout is how the API writes CreatedOn and UpdatedOn.
const timeLayout = "2006-01-02T15:04:05Z"

// firstID is the Id of the first record a fresh sandbox creates.
const firstID = 87654321

// Server is the sandbox API as an http.Handler, safe for concurrent use.
type Server struct {
	cfg     Config
	limits  Limits
	now     func() time.Time
	token   string
	zone    *time.Location // the space's time zone (Behaviour.Zone)
	started time.Time      // when New ran, by s.now

	mu        sync.RWMutex
	records   []*Record // ordered by Id; stored records are never modified in place
	version   uint64    // counts changes to records, for sortCache
	nextID    int64
	contracts map[int64]Contract
	coworkers map[int64]Coworker

	sortMu    sync.Mutex
	sortCache map[string]sortedOrder // by property and direction

	authMu   sync.Mutex
	access   map[string]issued // access token -> grant
	refresh  map[string]issued // refresh token -> grant
	throttle map[string]*window

	faultMu    sync.Mutex
	dice       *mrand.Rand
	injections []Injection

	saver  *saver // nil without DataFile
	unlock func() // releases the DataFile; nil without one

	heldMu    sync.Mutex
	held      sync.WaitGroup // creates held by Behaviour.StoreDelay
	heldN     int            // how many, for Held
	closing   chan struct{}  // closed by Close: held creates land at once
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

// New returns a sandbox seeded with DefaultContracts and DefaultCoworkers,
// or with what Config.DataFile holds when it exists; it holds the data
// file, exclusively, until Close. It returns an error when the data file
// cannot be read, its directory does not exist, another run holds it (an
// error that Is ErrDataInUse), or a setting cannot be served (a
// *SettingError).
func New(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.MaxPageSize == 0 {
		cfg.MaxPageSize = 1000
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 604799 * time.Second
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 15 * 24 * time.Hour
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &Server{
		cfg:       cfg,
		limits:    cfg.Limits,
		now:       cfg.Now,
		token:     cfg.Token,
		nextID:    firstID,
		contracts: make(map[int64]Contract),
		coworkers: make(map[int64]Coworker),
		access:    make(map[string]issued),
		refresh:   make(map[string]issued),
		throttle:  make(map[string]*window),
		dice:      mrand.New(mrand.NewPCG(uint64(cfg.Faults.Seed), 0x5eed)),
		closing:   make(chan struct{}),
		zone:      cfg.Behaviour.Zone,
	}
	if s.zone == nil {
		s.zone = defaultZone()
	}
	if s.limits == (Limits{}) {
		s.limits = DocumentedLimits()
	}
	if s.limits.Status == 0 {
		s.limits.Status = http.StatusConflict
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.started = s.now()
	if s.token == "" {
		s.token = randomToken()
	}
	loaded := false
	if cfg.DataFile != "" {
		if info, err := os.Stat(filepath.Dir(cfg.DataFile)); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("sandbox: data file %s: its directory does not exist", cfg.DataFile)
		}
		unlock, err := lockData(cfg.DataFile)
		if err != nil {
			return nil, err
		}
		if loaded, err = s.load(cfg.DataFile); err != nil {
			unlock()
			return nil, err
		}
		s.unlock = unlock
	}
	if !loaded {
		for _, c := range DefaultContracts() {
			s.contracts[c.ID] = c
		}
		for _, c := range DefaultCoworkers() {
			s.coworkers[c.ID] = c
		}
	}
	if cfg.DataFile != "" {
		s.saver = newSaver(s)
	}
	return s, nil
}

// SettingError says that a setting of a Config cannot be served: Setting
// names it as a field of Config (e.g. "Behaviour.OtherApp"), Value is
// what it held (never a secret), Want what it may hold.
type SettingError struct {
	Setting, Value, Want string
}

func (e *SettingError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("sandbox: %s: want %s", e.Setting, e.Want)
	}
	return fmt.Sprintf("sandbox: %s %s: want %s", e.Setting, e.Value, e.Want)
}

// What settings want, in the words of SettingError.Want.
const (
	wantFraction = "a fraction between 0 and 1, e.g. 0.05"
	wantDuration = "a duration of 0 or more, e.g. 300ms"
)

// check returns a *SettingError naming the first setting of cfg that
// cannot be served; the zero values that mean a default are fine.
func (cfg Config) check() error {
	for _, f := range []struct {
		setting string
		v       float64
	}{{"Faults.ServerErrors", cfg.Faults.ServerErrors}, {"Faults.DropAfterCreate", cfg.Faults.DropAfterCreate}, {"Faults.Stalls", cfg.Faults.Stalls}} {
		if f.v < 0 || f.v > 1 {
			return &SettingError{Setting: f.setting, Value: fmt.Sprint(f.v), Want: wantFraction}
		}
	}
	for _, d := range []struct {
		setting string
		v       time.Duration
	}{{"Faults.Latency", cfg.Faults.Latency}, {"Faults.StallFor", cfg.Faults.StallFor}, {"TokenTTL", cfg.TokenTTL}, {"RefreshTTL", cfg.RefreshTTL}} {
		if d.v < 0 {
			return &SettingError{Setting: d.setting, Value: d.v.String(), Want: wantDuration}
		}
	}
	if cfg.MaxPageSize < 0 {
		return &SettingError{Setting: "MaxPageSize", Value: fmt.Sprint(cfg.MaxPageSize), Want: "a page size of 1 or more (0: 1000)"}
	}
	if cfg.User.TOTPSecret != "" {
		if _, err := decodeSecret(cfg.User.TOTPSecret); err != nil {
			return &SettingError{Setting: "User.TOTPSecret", Want: "a base32 secret (letters A-Z and digits 2-7)"}
		}
	}
	return cfg.Behaviour.check()
}

// Token returns the bearer token the sandbox accepts besides those issued by
// /api/token.
func (s *Server) Token() string { return s.token }

// Close lets creates held by Behaviour.StoreDelay land at once, stops
// background saving, saves the data file, if any, and releases it to other
// runs; it returns the error of that save, and the same error when called
// again. The handler keeps answering after Close, but saves no more.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.heldMu.Lock()
		s.closed = true
		close(s.closing)
		s.heldMu.Unlock()
		s.held.Wait()
		if s.saver != nil {
			s.closeErr = s.saver.close()
		}
		if s.unlock != nil {
			s.unlock()
		}
	})
	return s.closeErr
}

// hold waits d whatever the client does (a create whose client gave up
// still lands, late), or until Close. The function it returns must be
// called once the held request is stored.
func (s *Server) hold(d time.Duration) (done func()) {
	s.heldMu.Lock()
	if s.closed {
		s.heldMu.Unlock()
		return func() {}
	}
	s.held.Add(1)
	s.heldN++
	s.heldMu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closing:
	}
	return func() {
		s.heldMu.Lock()
		s.heldN--
		s.heldMu.Unlock()
		s.held.Done()
	}
}

// Held returns how many creates Behaviour.StoreDelay is holding now, not
// yet stored: a test can wait for a create to be held before giving up.
func (s *Server) Held() int {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	return s.heldN
}

// Inject queues a one-shot answer; injections are matched in the order queued.
func (s *Server) Inject(in Injection) {
	if in.Times <= 0 {
		in.Times = 1
	}
	s.faultMu.Lock()
	s.injections = append(s.injections, in)
	s.faultMu.Unlock()
}

// AddContract adds a contract, or replaces the one with the same ID.
func (s *Server) AddContract(c Contract) {
	s.mu.Lock()
	s.contracts[c.ID] = c
	s.mu.Unlock()
	s.changed()
}

// AddCoworker adds a coworker, or replaces the one with the same ID.
func (s *Server) AddCoworker(c Coworker) {
	s.mu.Lock()
	s.coworkers[c.ID] = c
	s.mu.Unlock()
	s.changed()
}

// Insert stores r as is, filling Id, UniqueId, CreatedOn and UpdatedOn
// (unless Behaviour.NullUpdatedOn) when zero, and returns its Id; a record
// with the same Id is replaced.
func (s *Server) Insert(r Record) int64 {
	r = cloneRecord(r)
	now := s.now().UTC().Format(timeLayout)
	if r.UniqueID == "" {
		r.UniqueID = newUUID()
	}
	if r.CreatedOn == "" {
		r.CreatedOn = now
	}
	if r.UpdatedOn == "" && !s.cfg.Behaviour.NullUpdatedOn {
		r.UpdatedOn = r.CreatedOn
	}
	s.mu.Lock()
	if r.ID == 0 {
		r.ID = s.nextID
	}
	s.put(&r)
	s.mu.Unlock()
	s.changed()
	return r.ID
}

// put stores r under s.mu, keeping records ordered by Id.
func (s *Server) put(r *Record) {
	s.version++
	if r.ID >= s.nextID {
		s.nextID = r.ID + 1
	}
	n := len(s.records)
	if n == 0 || s.records[n-1].ID < r.ID {
		s.records = append(s.records, r)
		return
	}
	i, found := s.find(r.ID)
	if found {
		s.records[i] = r
		return
	}
	s.records = slices.Insert(s.records, i, r)
}

// find returns where id is, or would be, in s.records.
func (s *Server) find(id int64) (int, bool) {
	return slices.BinarySearchFunc(s.records, id, func(r *Record, id int64) int {
		switch {
		case r.ID < id:
			return -1
		case r.ID > id:
			return 1
		}
		return 0
	})
}

// Delete removes the record with this Id and reports whether there was one.
func (s *Server) Delete(id int64) bool {
	s.mu.Lock()
	i, found := s.find(id)
	if found {
		s.records = slices.Delete(s.records, i, i+1)
		s.version++
	}
	s.mu.Unlock()
	if found {
		s.changed()
	}
	return found
}

// Records returns a copy of every stored record, full, ordered by Id.
func (s *Server) Records() []Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Record, len(s.records))
	for i, r := range s.records {
		out[i] = cloneRecord(*r)
	}
	return out
}

// Count returns how many records are stored.
func (s *Server) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.records)
}

// Contracts returns the contracts that exist, ordered by ID.
func (s *Server) Contracts() []Contract {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return byID(s.contracts)
}

// Coworkers returns the coworkers that exist, ordered by ID.
func (s *Server) Coworkers() []Coworker {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return byID(s.coworkers)
}

// changed tells the saver, if any, that there is something to save.
func (s *Server) changed() {
	if s.saver != nil {
		s.saver.poke()
	}
}

// randomToken returns 32 random bytes as hex.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// cloneRecord copies r so that the copy shares no pointers with it.
func cloneRecord(r Record) Record {
	cs := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	ci := func(p *int64) *int64 {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	r.CoworkerContractQuantity = ci(r.CoworkerContractQuantity)
	r.CoworkerContractFloorPlanDeskIds = cs(r.CoworkerContractFloorPlanDeskIds)
	r.CoworkerContractFloorPlanDeskNames = cs(r.CoworkerContractFloorPlanDeskNames)
	r.CoworkerContractTariffName = cs(r.CoworkerContractTariffName)
	r.CoworkerID = ci(r.CoworkerID)
	r.CoworkerFullName = cs(r.CoworkerFullName)
	r.CoworkerCompanyName = cs(r.CoworkerCompanyName)
	r.CoworkerBillingName = cs(r.CoworkerBillingName)
	r.CoworkerEmail = cs(r.CoworkerEmail)
	if r.CoworkerActive != nil {
		v := *r.CoworkerActive
		r.CoworkerActive = &v
	}
	r.Email = cs(r.Email)
	r.DateOfBirth = cs(r.DateOfBirth)
	r.Address = cs(r.Address)
	r.PostCode = cs(r.PostCode)
	r.CityName = cs(r.CityName)
	r.State = cs(r.State)
	r.CountryID = ci(r.CountryID)
	r.CountryName = cs(r.CountryName)
	r.PhoneNumber = cs(r.PhoneNumber)
	r.Notes = cs(r.Notes)
	r.UpdatedBy = cs(r.UpdatedBy)
	r.SystemID = cs(r.SystemID)
	r.ToStringText = cs(r.ToStringText)
	r.LocalizationDetails = slices.Clone(r.LocalizationDetails)
	r.CustomFields = slices.Clone(r.CustomFields)
	return r
}
