package sandbox

import (
	"fmt"
	"maps"
	"slices"
)

// Contract is a virtual office contract (CoworkerContract): contacts
// belong to one, and a coworker (its holder) holds it. A coworker may hold
// several.
type Contract struct {
	ID                                               int64
	Quantity                                         int64
	TariffName, FloorPlanDeskIds, FloorPlanDeskNames string
	CoworkerID                                       int64  // the holder; 0 none
	TariffID                                         int64  // the plan; 0 none
	StartDate                                        string // a day of the space's calendar, YYYY-MM-DDT00:00:00; "" none
	Active, MainContract, Cancelled                  bool
	CancellationDate                                 string // as StartDate; "" none
	Notes                                            string
}

// Coworker is a customer record: a contract holder, or a contact's link.
type Coworker struct {
	ID                                        int64
	FullName, CompanyName, BillingName, Email string
	Active                                    bool
}

// Country is a country of Nexudus's own table: its Id is Nexudus's,
// neither an ISO number nor a position in a list.
type Country struct {
	ID      int64
	Name    string
	Code    string // ISO 3166-1 alpha-2 (TwoDigitsCode)
	Culture string // BCP 47 tag
}

// DefaultContracts returns the contracts every fresh sandbox has: 1001 to
// 1010, on which tests and Generate put contacts, each held by its own
// coworker, then 1011 to 1014, seeded so that looking a contract up by its
// holder meets the hard cases: a second active contract of the holder of
// 1001, a cancelled contract that is its holder's only one, a cancelled one
// beside an active one, and one not active yet.
func DefaultContracts() []Contract {
	return append(contactContracts(), lookupContracts()...)
}

// contactContracts are the contracts 1001..1010.
func contactContracts() []Contract {
	tariffs := []string{"Virtual Office", "Virtual Office Plus", "Mail Handling", "Registered Address", "Virtual Office Premium"}
	out := make([]Contract, 0, 10)
	for i := range 10 {
		c := Contract{ID: int64(1001 + i), Quantity: int64(1 + i%3), TariffName: tariffs[i%len(tariffs)],
			CoworkerID: int64(2001 + i), TariffID: int64(501 + i%len(tariffs)),
			StartDate: fmt.Sprintf("2024-%02d-01T00:00:00", 1+i), Active: true, MainContract: true}
		if i%4 == 1 {
			c.FloorPlanDeskIds = fmt.Sprintf("%d,%d", 301+i, 302+i)
			c.FloorPlanDeskNames = fmt.Sprintf("Desk %d, Desk %d", 301+i, 302+i)
		}
		out = append(out, c)
	}
	return out
}

// lookupContracts are the contracts 1011..1014, seeded for lookups.
func lookupContracts() []Contract {
	return []Contract{
		{ID: 1011, Quantity: 1, TariffName: "Mail Handling", TariffID: 503, CoworkerID: 2001, StartDate: "2025-02-01T00:00:00",
			Active: true, Notes: "Second contract of Ada Lovelace"},
		{ID: 1012, Quantity: 1, TariffName: "Virtual Office", TariffID: 501, CoworkerID: 2011, StartDate: "2023-05-01T00:00:00",
			Cancelled: true, CancellationDate: "2025-03-31T00:00:00", MainContract: true, Notes: "Cancelled; the holder's only contract"},
		{ID: 1013, Quantity: 2, TariffName: "Registered Address", TariffID: 504, CoworkerID: 2002, StartDate: "2022-09-01T00:00:00",
			Cancelled: true, CancellationDate: "2023-12-31T00:00:00", Notes: "Cancelled; the holder has 1002 too"},
		{ID: 1014, Quantity: 1, TariffName: "Virtual Office Plus", TariffID: 502, CoworkerID: 2012, StartDate: "2030-01-01T00:00:00",
			MainContract: true, Notes: "Not active yet"},
	}
}

// DefaultCoworkers returns the coworkers every fresh sandbox has: 2001 to
// 2005, to which tests and Generate link contacts, then 2006 to 2012,
// holders of the other default contracts, seeded so that lookups meet the
// hard cases: two coworkers with the same full name (2006, 2007), company
// names that differ only in case and spacing (2008, 2009), an email in
// mixed case (2010).
func DefaultCoworkers() []Coworker {
	return append(contactCoworkers(), lookupCoworkers()...)
}

// contactCoworkers are the coworkers 2001..2005.
func contactCoworkers() []Coworker {
	return []Coworker{
		{ID: 2001, FullName: "Ada Lovelace", CompanyName: "Analytical Engines Ltd", BillingName: "Analytical Engines Ltd", Email: "ada@analytical.example", Active: true},
		{ID: 2002, FullName: "Grace Hopper", CompanyName: "Compiler Works", BillingName: "Compiler Works Inc", Email: "grace@compiler.example", Active: true},
		{ID: 2003, FullName: "Alan Turing", CompanyName: "Bletchley Consulting", BillingName: "A. Turing", Email: "alan@bletchley.example", Active: false},
		{ID: 2004, FullName: "José Martínez", CompanyName: "Café Núñez S.L.", BillingName: "Café Núñez S.L.", Email: "jose@cafenunez.example", Active: true},
		{ID: 2005, FullName: "Zhang Wei", CompanyName: "Eastern Trading Co", BillingName: "Zhang Wei", Email: "wei@eastern.example", Active: true},
	}
}

// lookupCoworkers are the coworkers 2006..2012, seeded for lookups.
func lookupCoworkers() []Coworker {
	return []Coworker{
		{ID: 2006, FullName: "John Smith", CompanyName: "Smith & Sons Ltd", BillingName: "Smith & Sons Ltd", Email: "john@smithandsons.example", Active: true},
		{ID: 2007, FullName: "John Smith", CompanyName: "Smith Analytics", BillingName: "J. Smith", Email: "jsmith@analytics.example", Active: true},
		{ID: 2008, FullName: "Priya Patel", CompanyName: "Acme Widgets Ltd", BillingName: "Acme Widgets Ltd", Email: "priya@acmewidgets.example", Active: true},
		{ID: 2009, FullName: "Tom Baker", CompanyName: "ACME  widgets ltd", BillingName: "Baker Holdings", Email: "tom@bakerholdings.example", Active: true},
		{ID: 2010, FullName: "Hedy Lamarr", CompanyName: "Frequency Hopping Inc", BillingName: "Frequency Hopping Inc", Email: "Hedy.Lamarr@FrequencyHopping.example", Active: true},
		{ID: 2011, FullName: "Margaret Hamilton", CompanyName: "Apollo Guidance", BillingName: "Apollo Guidance", Email: "margaret@apollo.example", Active: false},
		{ID: 2012, FullName: "Katherine Johnson", CompanyName: "Trajectory Partners", BillingName: "Trajectory Partners", Email: "katherine@trajectory.example", Active: true},
	}
}

// DefaultCountries returns the countries the sandbox knows, by Id: Ids 1
// to 10 as the samples use them, then others whose Ids follow no order a
// client could guess, names with accents, and a name that contains
// another ("United States Minor Outlying Islands").
func DefaultCountries() []Country {
	return []Country{
		{1, "United Kingdom", "GB", "en-GB"},
		{2, "United States", "US", "en-US"},
		{3, "Spain", "ES", "es-ES"},
		{4, "France", "FR", "fr-FR"},
		{5, "Germany", "DE", "de-DE"},
		{6, "Ireland", "IE", "en-IE"},
		{7, "Netherlands", "NL", "nl-NL"},
		{8, "Portugal", "PT", "pt-PT"},
		{9, "Italy", "IT", "it-IT"},
		{10, "Australia", "AU", "en-AU"},
		{14, "Belgium", "BE", "nl-BE"},
		{17, "Switzerland", "CH", "de-CH"},
		{21, "Canada", "CA", "en-CA"},
		{23, "Mexico", "MX", "es-MX"},
		{26, "Brazil", "BR", "pt-BR"},
		{29, "Japan", "JP", "ja-JP"},
		{31, "Singapore", "SG", "en-SG"},
		{34, "United Arab Emirates", "AE", "ar-AE"},
		{38, "South Africa", "ZA", "en-ZA"},
		{41, "India", "IN", "en-IN"},
		{45, "Sweden", "SE", "sv-SE"},
		{46, "Denmark", "DK", "da-DK"},
		{52, "Poland", "PL", "pl-PL"},
		{57, "New Zealand", "NZ", "en-NZ"},
		{60, "Côte d'Ivoire", "CI", "fr-CI"},
		{63, "Türkiye", "TR", "tr-TR"},
		{67, "United States Minor Outlying Islands", "UM", "en-UM"},
		{72, "Åland Islands", "AX", "sv-AX"},
	}
}

// Countries returns the CountryId -> CountryName table of DefaultCountries.
func Countries() map[int64]string {
	out := make(map[int64]string)
	for _, c := range DefaultCountries() {
		out[c.ID] = c.Name
	}
	return out
}

// countryName looks up a CountryId in DefaultCountries.
func countryName(id int64) (string, bool) {
	for _, c := range DefaultCountries() {
		if c.ID == id {
			return c.Name, true
		}
	}
	return "", false
}

// byID returns the values of m, which is keyed by ID, in ID order.
func byID[V any](m map[int64]V) []V {
	out := make([]V, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out
}
