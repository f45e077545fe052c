package nexudus

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// IsNotFound reports whether err is the API saying the record does not
// exist (404).
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
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

// unauthorizedHint is how a 401 says to fix it.
const unauthorizedHint = "credentials refused or missing the ContractContact role: run `contactbulk login` or set NEXUDUS_TOKEN"

// errorBody is every error answer shape the API documents: the write
// answer ({Message, Errors}) and the token answer ({error, error_description}).
type errorBody struct {
	Message          string       `json:"Message"`
	Errors           []FieldError `json:"Errors"`
	Error            string       `json:"error"`
	ErrorDescription string       `json:"error_description"`
}

// newAPIError is the one place an *APIError is built from an answer's
// status and body.
func newAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var b errorBody
	if json.Unmarshal(body, &b) == nil {
		e.Message = strings.TrimSpace(b.Message)
		e.Fields = b.Errors
		if e.Message == "" {
			e.Message = strings.TrimSpace(b.Error)
			if d := strings.TrimSpace(b.ErrorDescription); d != "" && e.Message != "" {
				e.Message = d + " (" + e.Message + ")"
			} else if d != "" {
				e.Message = d
			}
		}
	} else if text := strings.Join(strings.Fields(string(body)), " "); text != "" && !strings.HasPrefix(text, "<") {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		e.Message = text
	}
	if status == http.StatusUnauthorized {
		if e.Message == "" {
			e.Message = unauthorizedHint
		} else {
			e.Message = strings.TrimSuffix(e.Message, ".") + ": " + unauthorizedHint
		}
	}
	return e
}

// answerError is the *APIError of a write answer that says it failed.
func answerError(status int, a writeAnswer) *APIError {
	if a.Status != 0 {
		status = a.Status
	}
	if status >= 200 && status < 300 {
		status = http.StatusBadRequest
	}
	msg := strings.TrimSpace(a.Message)
	if msg == "" && len(a.Errors) == 0 {
		msg = "the server answered WasSuccessful: false"
	}
	return &APIError{Status: status, Message: msg, Fields: a.Errors}
}
