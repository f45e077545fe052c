package nexudus

// FilterKind is the type a documented filter takes.
type FilterKind int

// The kinds of value a filter takes.
const (
	Integer FilterKind = iota
	String
	Boolean
	DateTime // YYYY-MM-DDTHH:mm
)

// Filter is one documented query filter of the listing endpoint.
type Filter struct {
	Name  string // query parameter name
	Kind  FilterKind
	Range bool // a from_/to_ range filter
}

// Filters returns every filter and range filter list-contractcontacts
// documents, in the page's order.
func Filters() []Filter {
	return []Filter{
		{"ContractContact_CoworkerContract", Integer, false},
		{"ContractContact_CoworkerContract_Quantity", Integer, false},
		{"ContractContact_CoworkerContract_FloorPlanDeskIds", String, false},
		{"ContractContact_CoworkerContract_FloorPlanDeskNames", String, false},
		{"ContractContact_CoworkerContract_Tariff_Name", String, false},
		{"ContractContact_Coworker", Integer, false},
		{"ContractContact_Coworker_FullName", String, false},
		{"ContractContact_Coworker_CompanyName", String, false},
		{"ContractContact_Coworker_BillingName", String, false},
		{"ContractContact_Coworker_Email", String, false},
		{"ContractContact_Coworker_Active", Boolean, false},
		{"ContractContact_Email", String, false},
		{"ContractContact_FullName", String, false},
		{"ContractContact_DateOfBirth", String, false},
		{"ContractContact_Address", String, false},
		{"ContractContact_PostCode", String, false},
		{"ContractContact_CityName", String, false},
		{"ContractContact_State", String, false},
		{"ContractContact_Country", Integer, false},
		{"ContractContact_Country_Name", String, false},
		{"ContractContact_PhoneNumber", String, false},
		{"ContractContact_Notes", String, false},
		{"ContractContact_ContractContactType", Integer, false},
		{"from_ContractContact_CoworkerContractQuantity", Integer, true},
		{"to_ContractContact_CoworkerContractQuantity", Integer, true},
		{"from_ContractContact_DateOfBirth", DateTime, true},
		{"to_ContractContact_DateOfBirth", DateTime, true},
		{"from_ContractContact_CreatedOn", DateTime, true},
		{"to_ContractContact_CreatedOn", DateTime, true},
		{"from_ContractContact_UpdatedOn", DateTime, true},
		{"to_ContractContact_UpdatedOn", DateTime, true},
	}
}
