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

// ForbiddenError is a 403: the signed-in user lacks the role the request
// needs. Role names it, from the server's message when it says, else from
// the endpoint and method (ContractContact-List, -Read, -Create, -Edit,
// -Delete).
type ForbiddenError struct {
	Role string
	Err  *APIError // the answer itself
}

func (e *ForbiddenError) Error() string {
	msg := "the signed-in user lacks the " + e.Role + " role"
	if m := strings.TrimSpace(e.Err.Message); m != "" {
		msg += " (" + strings.TrimSuffix(m, ".") + ")"
	}
	return "nexudus: 403: " + msg + ": ask an administrator of the space to grant it, or sign in as a user who has it"
}

// Unwrap returns the answer's *APIError (Status 403).
func (e *ForbiddenError) Unwrap() error { return e.Err }

// IsForbidden reports whether err is a 403: a role is missing, and every
// request of its kind will be refused until it is granted.
func IsForbidden(err error) bool {
	var fe *ForbiddenError
	return errors.As(err, &fe)
}

// forbidden is the *ForbiddenError of a 403 answer to a request that
// needs role.
func forbidden(role string, ae *APIError) *ForbiddenError {
	if m := roleIn(ae.Message); m != "" {
		role = m
	}
	if role == "" {
		role = "needed"
	}
	return &ForbiddenError{Role: role, Err: ae}
}

// roleIn returns the first role name in msg, such as ContractContact-Create
// (an entity, a hyphen, an action), or "".
func roleIn(msg string) string {
	words := strings.FieldsFunc(msg, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
	})
	for _, w := range words {
		entity, verb, ok := strings.Cut(w, "-")
		if !ok || entity == "" || entity[0] < 'A' || entity[0] > 'Z' {
			continue
		}
		switch verb {
		case "List", "Read", "Create", "Edit", "Update", "Delete":
			return w
		}
	}
	return ""
}

// ThrottledError says the server kept throttling one call (409, 429, or
// 503 with Retry-After) for longer than Config.MaxThrottled, as when the
// space's request quota is spent by another integration. Nothing was done;
// RetryAt is a time worth trying again: when the server's last Retry-After
// points, or as long again as the throttle has lasted, at least a minute.
type ThrottledError struct {
	Status  int
	Waits   int
	For     time.Duration
	RetryAt time.Time
	Err     *APIError // the last answer
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("still throttled after %d waits over %s (HTTP %d): the space's request quota may be spent by another integration; try again after %s",
		e.Waits, e.For.Round(time.Second), e.Status, e.RetryAt.Local().Format("2006-01-02 15:04 MST"))
}

// Unwrap returns the last answer's *APIError.
func (e *ThrottledError) Unwrap() error { return e.Err }

// ErrUnreachable marks a call given up because no request could be sent:
// the connection was refused or the server could not be reached, for
// Config.MaxRetries attempts or Config.MaxUnreachable. Nothing reached the
// server.
var ErrUnreachable = errors.New("server unreachable")

// RedirectError says the server answered with a redirect the client
// refused: to another scheme or host, where the credentials must not go,
// one that would change the method (a create into a read), or too many in
// a row. Nothing was sent there. From and To are the URLs without user
// info or query.
type RedirectError struct {
	Status   int
	From, To string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("refused a redirect (HTTP %d) from %s to %s: the client follows only redirects that keep the scheme, host and method, so credentials never go elsewhere", e.Status, e.From, e.To)
}

// StateError says a file the client keeps its state in (the write budget,
// the pacing windows) holds what it must not, such as times in the future
// after the clock was set back. Path is the file; Fix says what to do.
type StateError struct {
	Path    string
	Problem string
	Fix     string
}

func (e *StateError) Error() string {
	return e.Path + ": " + e.Problem + "; " + e.Fix
}

// StopsRun reports whether err says that every request like it would fail
// the same way for now: credentials refused, a role missing, the server
// unreachable or throttling for long, the daily budget spent, a redirect
// refused. A bulk caller stops there and leaves its remaining rows
// pending rather than marking them failed.
func StopsRun(err error) bool {
	var (
		te *ThrottledError
		be *BudgetError
		re *RedirectError
	)
	return IsUnauthorized(err) || IsForbidden(err) || errors.Is(err, ErrUnreachable) ||
		errors.As(err, &te) || errors.As(err, &be) || errors.As(err, &re)
}

// IsNotFound reports whether err is the API saying the record does not
// exist (404).
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// ErrAmbiguous marks a write (a create, an update or a delete) whose outcome
// is unknown: the request may have reached the server and taken effect.
// Callers check (read the record, or list) before sending it again; the
// client never sends such a write again itself.
var ErrAmbiguous = errors.New("outcome unknown: the request may have taken effect")

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
		e.Message = serverText(b.Message, 0)
		e.Fields = serverFields(b.Errors)
		if e.Message == "" {
			e.Message = serverText(b.Error, 0)
			if d := serverText(b.ErrorDescription, 0); d != "" && e.Message != "" {
				e.Message = d + " (" + e.Message + ")"
			} else if d != "" {
				e.Message = d
			}
		}
	} else if text := serverText(strings.Join(strings.Fields(string(body)), " "), 200); text != "" && !strings.HasPrefix(text, "<") {
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
	msg := serverText(a.Message, 0)
	if msg == "" && len(a.Errors) == 0 {
		msg = "the server answered WasSuccessful: false"
	}
	return &APIError{Status: status, Message: msg, Fields: serverFields(a.Errors)}
}

// serverText is text a server wrote, made safe to print on a terminal:
// line breaks become "; ", tabs and other spacing become spaces, every
// other control character (C0, DEL, C1: a terminal's escape sequences
// begin with one) is dropped, bytes that are not UTF-8 become U+FFFD, and
// the ends are trimmed. When limit > 0, text longer than limit characters
// is cut there, on a character boundary, and "..." added.
func serverText(s string, limit int) string {
	var lines []string
	var b strings.Builder
	endLine := func() {
		if l := strings.TrimSpace(b.String()); l != "" {
			lines = append(lines, l)
		}
		b.Reset()
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			endLine()
		case r == '\t' || r == '\v' || r == '\f' || r == '\u0085':
			b.WriteByte(' ')
		case r < 0x20 || r >= 0x7f && r < 0xa0:
		default:
			b.WriteRune(r) // an invalid byte came as utf8.RuneError: U+FFFD
		}
	}
	endLine()
	text := strings.Join(lines, "; ")
	if limit <= 0 {
		return text
	}
	n := 0
	for i := range text { // i: where each character starts
		if n == limit {
			return text[:i] + "..."
		}
		n++
	}
	return text
}

// serverFields is fields with their server-written text made safe to
// print (serverText).
func serverFields(fields []FieldError) []FieldError {
	for i := range fields {
		fields[i].PropertyName = serverText(fields[i].PropertyName, 0)
		fields[i].Message = serverText(fields[i].Message, 0)
	}
	return fields
}
