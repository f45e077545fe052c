package sandbox

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Generate adds n varied, valid records on contractID, or spread over every
// contract when contractID is 0 (over the default contracts 1001 to 1010,
// added, when there is none); it is fast enough for millions of records.
// It leaves the contracts and coworkers seeded for lookups (1011 to 1014,
// 2006 to 2012) alone, so that what it generates is what it was before them.
func (s *Server) Generate(n int, contractID int64) {
	if n <= 0 {
		return
	}
	first := []string{"Olivia", "Liam", "Amelia", "Noah", "Isla", "Oliver", "Ava", "Elijah", "Mia", "James",
		"Sofía", "Mateo", "Chloé", "Lukas", "Aoife", "Søren", "Zoë", "Björn", "Priya", "Wei"}
	last := []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
		"García", "Müller", "O'Brien", "Nowak", "Rossi", "Dubois", "Kowalski", "Nguyen", "Silva", "Chen"}
	cities := []string{"London", "Manchester", "Leeds", "Bristol", "Edinburgh", "Dublin", "Madrid", "Paris", "Berlin", "Lisbon"}
	states := []string{"Greater London", "Greater Manchester", "West Yorkshire", "Bristol", "Midlothian", "Leinster", "Madrid", "Île-de-France", "Berlin", "Lisboa"}
	streets := []string{"High Street", "Station Road", "Church Lane", "Park Avenue", "Mill Road", "Queen's Walk"}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed()
	var contracts []Contract
	if c, ok := s.contracts[contractID]; ok {
		contracts = []Contract{c}
	} else {
		contracts = withoutSeeds(byID(s.contracts), lookupContracts(), func(c Contract) int64 { return c.ID })
	}
	switch {
	case contractID != 0 && len(contracts) != 1:
		// An unknown contract: Nexudus would refuse such records; add it
		// so that what is generated stays valid.
		s.contracts[contractID] = Contract{ID: contractID, Quantity: 1, TariffName: "Virtual Office", Active: true}
		contracts = []Contract{s.contracts[contractID]}
	case len(contracts) == 0:
		// A data file without contracts (or only those seeded for
		// lookups): the default ones are added, for the same reason.
		contracts = contactContracts()
		for _, c := range contracts {
			s.contracts[c.ID] = c
		}
	}
	coworkers := withoutSeeds(byID(s.coworkers), lookupCoworkers(), func(c Coworker) int64 { return c.ID })

	rng := mrand.New(mrand.NewPCG(uint64(s.nextID), uint64(n)))
	now := s.now().UTC().Truncate(time.Second)
	user := s.updatedBy()
	chunk := make([]Record, n) // one allocation for all records
	s.records = slices.Grow(s.records, n)
	var rawUUID [16]byte
	shared := &joined{contracts: map[int64]*Record{}, coworkers: map[int64]*Record{}, countries: map[int64]*string{}}
	cityPtrs, statePtrs := sharedStrings(cities), sharedStrings(states)
	for i := range chunk {
		rec := &chunk[i]
		c := contracts[i%len(contracts)]
		rec.ID = s.nextID
		s.nextID++
		rec.CoworkerContractID = c.ID
		f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		rec.FullName = f + " " + l
		rec.ContractContactType = rng.IntN(4)
		if i%3 != 0 {
			e := fmt.Sprintf("%s.%s%d@example.com", asciiLower(f), asciiLower(l), rec.ID%100000)
			rec.Email = &e
		}
		if i%2 == 0 {
			dob := time.Date(1950+rng.IntN(55), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05")
			rec.DateOfBirth = &dob
		}
		if i%4 != 3 {
			ci := rng.IntN(len(cities))
			addr := strconv.Itoa(1+rng.IntN(200)) + " " + streets[rng.IntN(len(streets))]
			pc := fmt.Sprintf("AB%d %dCD", 1+rng.IntN(20), rng.IntN(10))
			rec.Address, rec.PostCode = &addr, &pc
			rec.CityName, rec.State = cityPtrs[ci], statePtrs[ci]
			country := int64(1 + ci%10)
			rec.CountryID = &country
		}
		if i%5 != 4 {
			phone := fmt.Sprintf("+44 20 %04d %04d", rng.IntN(10000), rng.IntN(10000))
			rec.PhoneNumber = &phone
		}
		if i%10 == 0 {
			note := "Generated record " + strconv.Itoa(i+1)
			rec.Notes = &note
		}
		if i%7 == 0 && len(coworkers) > 0 {
			id := coworkers[rng.IntN(len(coworkers))].ID
			rec.CoworkerID = &id
		}
		created := now.Add(-time.Duration(n-i) * time.Minute)
		rec.CreatedOn = created.Format(timeLayout)
		rec.UpdatedOn = created.Add(time.Duration(rng.IntN(3)) * 24 * time.Hour).Format(timeLayout)
		if rec.UpdatedOn > now.Format(timeLayout) {
			rec.UpdatedOn = rec.CreatedOn
		}
		if s.cfg.Behaviour.NullUpdatedOn && rec.UpdatedOn == rec.CreatedOn {
			rec.UpdatedOn = "" // never updated
		}
		binaryPutUint64(rawUUID[:8], rng.Uint64())
		binaryPutUint64(rawUUID[8:], rng.Uint64())
		rec.UniqueID = formatUUID(rawUUID)
		rec.UpdatedBy = &user
		s.resolveShared(rec, shared)
		s.put(rec)
	}
}

// withoutSeeds returns list without the elements whose Id one of seeds has.
func withoutSeeds[T any](list, seeds []T, id func(T) int64) []T {
	return slices.DeleteFunc(list, func(v T) bool {
		return slices.ContainsFunc(seeds, func(seed T) bool { return id(seed) == id(v) })
	})
}

// sharedStrings returns pointers to copies of ss, for records to share.
func sharedStrings(ss []string) []*string {
	out := make([]*string, len(ss))
	for i := range ss {
		v := ss[i]
		out[i] = &v
	}
	return out
}

func binaryPutUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// asciiLower lowers ASCII letters and drops everything else but digits.
func asciiLower(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		}
	}
	return string(b)
}

// SeedAwkward adds records on contractID whose values trip naive CSV and
// spreadsheet handling: quotes, commas, newlines, non-ASCII, cells starting
// with = + - @, and phone numbers like +44 20 7946 0000. It returns nothing;
// use Records to see them.
func (s *Server) SeedAwkward(contractID int64) {
	str := func(v string) *string { return &v }
	id := func(v int64) *int64 { return &v }
	awkward := []Record{
		{FullName: `Dwayne "The Rock" Johnson`, Email: str("rock@example.com"), Notes: str(`He said "hello", then left`)},
		{FullName: "Smith, John", Address: str("1 High Street, Flat 2"), CityName: str("London"), PostCode: str("SW1A 1AA"), CountryID: id(1)},
		{FullName: "Multi Line", Address: str("Line one\nLine two\r\nLine three"), Notes: str("first line\nsecond line")},
		{FullName: "Zoë Ñúñez-Østergård", CityName: str("São Paulo"), State: str("Île-de-France"), Notes: str("日本語のメモ 🚀")},
		{FullName: "=HYPERLINK(\"http://evil.example\",\"click\")", Notes: str("=1+2")},
		{FullName: "+Plus Start", PhoneNumber: str("+44 20 7946 0000")},
		{FullName: "-Minus Start", Notes: str("-2+3")},
		{FullName: "@At Start", Email: str("at@example.com"), Notes: str("@SUM(A1:A2)")},
		{FullName: "\tTab Start", Notes: str("\ttab then text")},
		{FullName: "Phone Person", PhoneNumber: str("+1 (555) 010-9999"), CountryID: id(2)},
		{FullName: "  Padded Name  ", Notes: str("trailing spaces   ")},
		{FullName: "Semi;Colon|Pipe", Notes: str(`back\slash and 'single' quotes`)},
	}
	s.mu.Lock()
	if _, ok := s.contracts[contractID]; !ok {
		s.contracts[contractID] = Contract{ID: contractID, Quantity: 1, TariffName: "Virtual Office", Active: true}
	}
	now := s.now().UTC().Format(timeLayout)
	user := s.updatedBy()
	for i := range awkward {
		rec := awkward[i]
		rec.ID = s.nextID
		rec.CoworkerContractID = contractID
		rec.ContractContactType = i % 4
		rec.CreatedOn, rec.UpdatedOn = now, now
		if s.cfg.Behaviour.NullUpdatedOn {
			rec.UpdatedOn = ""
		}
		rec.UniqueID = newUUID()
		rec.UpdatedBy = &user
		s.resolve(&rec)
		s.put(&rec)
	}
	s.mu.Unlock()
	s.changed()
}
