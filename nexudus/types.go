package nexudus

import (
	"encoding/json"
	"net/url"
	"strconv"

	"contactbulk/mapping"
)

// Record is a ContractContact as the API returns it. Listings leave out
// Address, PostCode, CityName, State and Notes (they come back nil); GetOne
// and Get fill them. Nullable fields are pointers. UpdatedOn and CreatedOn
// are kept as the server wrote them (with Z, without a zone, with an
// offset or a 7-digit fraction; UpdatedOn may be empty on a new record):
// read them with ParseTime. Records are read tolerantly: a contact type
// by name, an Id as text, extra fields (see Client.List).
type Record struct {
	CoworkerContractID                 int64               `json:"CoworkerContractId"`
	CoworkerContractQuantity           *int64              `json:"CoworkerContractQuantity"`
	CoworkerContractFloorPlanDeskIds   *string             `json:"CoworkerContractFloorPlanDeskIds"`
	CoworkerContractFloorPlanDeskNames *string             `json:"CoworkerContractFloorPlanDeskNames"`
	CoworkerContractTariffName         *string             `json:"CoworkerContractTariffName"`
	CoworkerID                         *int64              `json:"CoworkerId"`
	CoworkerFullName                   *string             `json:"CoworkerFullName"`
	CoworkerCompanyName                *string             `json:"CoworkerCompanyName"`
	CoworkerBillingName                *string             `json:"CoworkerBillingName"`
	CoworkerEmail                      *string             `json:"CoworkerEmail"`
	CoworkerActive                     *bool               `json:"CoworkerActive"`
	Email                              *string             `json:"Email"`
	FullName                           string              `json:"FullName"`
	DateOfBirth                        *string             `json:"DateOfBirth"`
	Address                            *string             `json:"Address"`
	PostCode                           *string             `json:"PostCode"`
	CityName                           *string             `json:"CityName"`
	State                              *string             `json:"State"`
	CountryID                          *int64              `json:"CountryId"`
	CountryName                        *string             `json:"CountryName"`
	PhoneNumber                        *string             `json:"PhoneNumber"`
	Notes                              *string             `json:"Notes"`
	ContractContactType                mapping.ContactType `json:"ContractContactType"`
	ID                                 int64               `json:"Id"`
	UpdatedOn                          string              `json:"UpdatedOn"`
	CreatedOn                          string              `json:"CreatedOn"`
	UniqueID                           string              `json:"UniqueId"`
	UpdatedBy                          *string             `json:"UpdatedBy"`
	IsNew                              bool                `json:"IsNew"`
	SystemID                           *string             `json:"SystemId"`
	ToStringText                       *string             `json:"ToStringText"`
	LocalizationDetails                json.RawMessage     `json:"LocalizationDetails"`
	CustomFields                       json.RawMessage     `json:"CustomFields"`
}

// Page is one answer of the contacts listing endpoint.
type Page = ListPage[Record]

// ListPage is one answer of a listing, the contacts' (Page) or a related
// list's, around records of type T. Page by what it says it served
// (CurrentPageSize, TotalPages), not by what was asked.
type ListPage[T any] struct {
	Records              []T    `json:"Records"`
	CurrentPage          int    `json:"CurrentPage"`
	CurrentPageSize      int    `json:"CurrentPageSize"`
	CurrentOrderField    string `json:"CurrentOrderField"`
	CurrentSortDirection int    `json:"CurrentSortDirection"`
	FirstItem            int    `json:"FirstItem"`
	LastItem             int    `json:"LastItem"`
	TotalItems           int    `json:"TotalItems"`
	TotalPages           int    `json:"TotalPages"`
	HasNextPage          bool   `json:"HasNextPage"`
	HasPreviousPage      bool   `json:"HasPreviousPage"`
}

// ListOptions are the query parameters of one listing request. Zero values
// are left out of the query, so the server's defaults apply.
type ListOptions struct {
	Page    int    // from 1
	Size    int    // records per page; the server may serve fewer
	OrderBy string // a record property, e.g. "Id" or "FullName"
	// Dir is sent as is. The endpoint page says 1 ascending and -1
	// descending; other Nexudus pages say 0 ascending and 1 descending, so
	// callers check CurrentSortDirection and the order of what came back.
	Dir *int
	// Filters holds documented filters and range filters by their query
	// name, e.g. "ContractContact_CoworkerContract" or
	// "from_ContractContact_UpdatedOn" (YYYY-MM-DDTHH:mm).
	Filters url.Values
}

// query is the listing request's query string.
func (opt ListOptions) query() url.Values {
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
	return q
}
