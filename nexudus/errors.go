package nexudus

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIError is what the API said when it refused a request: the HTTP status,
// its Message and, for validation failures, the per-field errors.
type APIError struct {
	Status  int
	Message string
	Fields  []FieldError
}

// FieldError is one entry of a 400 answer's Errors array.
type FieldError struct {
	PropertyName   string `json:"PropertyName"`
	Message        string `json:"Message"`
	AttemptedValue any    `json:"AttemptedValue"`
}

func (e *APIError) Error() string {
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.PropertyName + ": " + f.Message
		}
		return strings.Join(parts, "; ")
	}
	if e.Message != "" {
		return fmt.Sprintf("nexudus: %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("nexudus: HTTP %d", e.Status)
}

// IsUnauthorized reports whether err is the API refusing the credentials or
// the role (401).
func IsUnauthorized(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == 401
}

// ErrAmbiguous marks a create whose outcome is unknown: the request may have
// reached the server and the record may exist. Callers check before creating
// again; the client never retries such a create itself.
var ErrAmbiguous = errors.New("outcome unknown: the record may have been created")

// BudgetError says the daily write budget is spent and when the next write
// will be within it.
type BudgetError struct {
	Limit    int
	ResumeAt time.Time
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("daily write budget of %d spent; continue after %s", e.Limit, e.ResumeAt.Local().Format("2006-01-02 15:04 MST"))
}
