// Package mapping holds the ContractContact schema (the create fields, their
// types and the contact types) and turns spreadsheet rows into contacts.
package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// ContactType is the ContractContactType enum of the Nexudus API.
type ContactType int

// The documented ContractContactType values.
const (
	TypeNone               ContactType = 0
	TypeDirector           ContactType = 1
	TypeCompanyAlias       ContactType = 2
	TypeNominatedRecipient ContactType = 3
)

// DefaultType is what the API assumes when a create leaves the type out.
const DefaultType = TypeDirector

// ContactTypes lists every documented type in enum order.
func ContactTypes() []ContactType {
	return []ContactType{TypeNone, TypeDirector, TypeCompanyAlias, TypeNominatedRecipient}
}

// String returns the API's name for t, or its number when t is not documented.
func (t ContactType) String() string {
	switch t {
	case TypeNone:
		return "None"
	case TypeDirector:
		return "Director"
	case TypeCompanyAlias:
		return "CompanyAlias"
	case TypeNominatedRecipient:
		return "NominatedRecipient"
	}
	return strconv.Itoa(int(t))
}

// Valid reports whether t is one of the documented values.
func (t ContactType) Valid() bool { return t >= TypeNone && t <= TypeNominatedRecipient }

// ParseContactType reads a type by name, ignoring case, spaces, underscores and
// hyphens ("Company Alias"), or by number 0-3. It returns an error naming the
// allowed values when s is neither.
func ParseContactType(s string) (ContactType, error) {
	key := foldName(s)
	for _, t := range ContactTypes() {
		if key == foldName(t.String()) || key == strconv.Itoa(int(t)) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%q is not a contact type (allowed: None, Director, CompanyAlias, NominatedRecipient or 0-3)", s)
}

// foldName lowers s and drops spaces, underscores and hyphens, so that
// "Full Name", "full_name" and "FULLNAME" compare equal.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '_', '-', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Contact is the body of a create: the 13 fields POST
// /api/billing/contractcontacts accepts. Optional fields left empty are not sent.
type Contact struct {
	CoworkerContractID  int64       `json:"CoworkerContractId"`
	FullName            string      `json:"FullName"`
	CoworkerID          *int64      `json:"CoworkerId,omitempty"`
	Email               string      `json:"Email,omitempty"`
	DateOfBirth         string      `json:"DateOfBirth,omitempty"` // API form: 2006-01-02T00:00:00
	Address             string      `json:"Address,omitempty"`
	PostCode            string      `json:"PostCode,omitempty"`
	CityName            string      `json:"CityName,omitempty"`
	State               string      `json:"State,omitempty"`
	CountryID           *int64      `json:"CountryId,omitempty"`
	PhoneNumber         string      `json:"PhoneNumber,omitempty"`
	Notes               string      `json:"Notes,omitempty"`
	ContractContactType ContactType `json:"ContractContactType"`
}
