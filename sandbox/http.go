package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	collectionPath = "/api/billing/contractcontacts"
	tokenPath      = "/api/token"
	throttleBody   = "You must wait before accessing this url again."
	maxBody        = 1 << 20
)

// ServeHTTP answers the documented ContractContact endpoints, the
// contracts, coworkers and countries lists, and /api/token.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the body first: only then does net/http notice a client that
	// gives up during a stall or added latency.
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"Message": "The request body is too large or could not be read."})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if d := s.cfg.Faults.Latency; d > 0 {
		if !sleep(r, d) {
			return
		}
	}
	// A proxy or load balancer in front of the API answers before it.
	if to := s.cfg.Behaviour.RedirectTo; to != "" && strings.HasPrefix(r.URL.Path, "/api/") {
		http.Redirect(w, r, strings.TrimSuffix(to, "/")+r.URL.RequestURI(), http.StatusFound)
		return
	}
	if s.unavailable() {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Unavailable</h1>The service is temporarily unavailable.</body></html>")
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == tokenPath {
		if in, ok := s.injection(r, true); ok {
			s.serveInjection(w, r, client{}, in)
			return
		}
		s.serveToken(w, r)
		return
	}
	ep, ok := s.endpointFor(r, path)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "No HTTP resource was found that matches the request URI."})
		return
	}
	client, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nexudus"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"Message": "Authorization has been denied for this request."})
		return
	}
	if in, ok := s.injection(r, false); ok {
		s.serveInjection(w, r, client, in)
		return
	}
	write := isWrite(r.Method)
	if write && s.quotaSpent() {
		throttled(w, http.StatusConflict)
		return
	}
	if !s.allow(client.key, write) {
		throttled(w, s.limits.Status)
		return
	}
	if ep.role != "" && !s.hasRole(ep.role) {
		writeJSON(w, http.StatusForbidden, map[string]any{
			"Message": fmt.Sprintf("Authorization has been denied for this request: the user does not have the role %s.", ep.role)})
		return
	}
	serverError, stall, drop := s.roll()
	if serverError {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"Message": "An error has occurred."})
		return
	}
	if stall && s.cfg.Faults.StallFor > 0 {
		// The stalled request still takes effect, even if the client has
		// given up: that is what makes a timed-out create ambiguous.
		sleep(r, s.cfg.Faults.StallFor)
	}
	ep.serve(w, r, client, drop)
}

// throttled answers as Nexudus does when a request is over a limit.
func throttled(w http.ResponseWriter, status int) {
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(throttleBody))
}

// endpoint is what a request asks for: the role it needs ("" none) and
// how it is answered, given who asks and whether a fault drops a create.
type endpoint struct {
	role  string
	serve func(w http.ResponseWriter, r *http.Request, c client, dropCreate bool)
}

// endpointFor finds the endpoint of an API path (without trailing slash);
// it reports false for a path the API does not have.
func (s *Server) endpointFor(r *http.Request, path string) (endpoint, bool) {
	if ep, ok := entityEndpoint(s, r, path, contractsPath, s.contractEntity); ok {
		return ep, true
	}
	if ep, ok := entityEndpoint(s, r, path, coworkersPath, s.coworkerEntity); ok {
		return ep, true
	}
	if ep, ok := entityEndpoint(s, r, path, countriesPath, s.countryEntity); ok {
		return ep, true
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if path == collectionPath {
		switch {
		case get && r.URL.Query().Has("id"):
			return endpoint{"ContractContact-Read", func(w http.ResponseWriter, r *http.Request, _ client, _ bool) { s.serveMany(w, r) }}, true
		case get:
			return endpoint{"ContractContact-List", func(w http.ResponseWriter, r *http.Request, _ client, _ bool) { s.serveList(w, r) }}, true
		case r.Method == http.MethodPost:
			return endpoint{"ContractContact-Create", s.serveCreate}, true
		case r.Method == http.MethodPut:
			return endpoint{"ContractContact-Edit", func(w http.ResponseWriter, r *http.Request, c client, _ bool) { s.serveUpdate(w, r, c) }}, true
		}
		return notAllowed("GET, POST, PUT"), true
	}
	rest, ok := strings.CutPrefix(path, collectionPath+"/")
	if !ok {
		return endpoint{}, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	switch {
	case err != nil:
		return notFound(), true
	case get:
		return endpoint{"ContractContact-Read", func(w http.ResponseWriter, _ *http.Request, _ client, _ bool) { s.serveOne(w, id) }}, true
	case r.Method == http.MethodDelete:
		return endpoint{"ContractContact-Delete", func(w http.ResponseWriter, _ *http.Request, c client, _ bool) { s.serveDelete(w, id, c) }}, true
	}
	return notAllowed("GET, DELETE"), true
}

// notAllowed is the endpoint of a method a path does not have.
func notAllowed(allow string) endpoint {
	return endpoint{serve: func(w http.ResponseWriter, _ *http.Request, _ client, _ bool) { methodNotAllowed(w, allow) }}
}

// notFound is the endpoint of a record path whose Id is not a number.
func notFound() endpoint {
	return endpoint{serve: func(w http.ResponseWriter, _ *http.Request, _ client, _ bool) {
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "No HTTP resource was found that matches the request URI."})
	}}
}

// hasRole reports whether the credentials hold role: always, for a full
// unrestricted administrator (Behaviour.Roles nil).
func (s *Server) hasRole(role string) bool {
	if s.cfg.Behaviour.Roles == nil {
		return true
	}
	return slices.ContainsFunc(s.cfg.Behaviour.Roles, func(r string) bool { return strings.EqualFold(strings.TrimSpace(r), role) })
}

// quotaSpent reports whether the space's write quota, spent by another
// integration, still refuses writes.
func (s *Server) quotaSpent() bool {
	d := s.cfg.Behaviour.QuotaSpent
	return d > 0 && s.now().Before(s.started.Add(d))
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"Message": "The requested resource does not support this http method."})
}

func isWrite(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete || method == http.MethodPatch
}

// unavailable throws the dice of Behaviour.Unavailable for one request.
func (s *Server) unavailable() bool {
	f := s.cfg.Behaviour.Unavailable
	if f == 0 {
		return false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.dice.Float64() < f
}

// roll throws the fault dice for one request.
func (s *Server) roll() (serverError, stall, drop bool) {
	f := s.cfg.Faults
	if f.ServerErrors == 0 && f.Stalls == 0 && f.DropAfterCreate == 0 {
		return false, false, false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	serverError = f.ServerErrors > 0 && s.dice.Float64() < f.ServerErrors
	stall = f.Stalls > 0 && s.dice.Float64() < f.Stalls
	drop = f.DropAfterCreate > 0 && s.dice.Float64() < f.DropAfterCreate
	return serverError, stall, drop
}

// injection takes the first queued injection matching r, if any. For the
// token endpoint (tokenOnly) only injections naming its path match, so that
// an injection for any path is kept for the API calls.
func (s *Server) injection(r *http.Request, tokenOnly bool) (Injection, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, in := range s.injections {
		if in.Method != "" && !strings.EqualFold(in.Method, r.Method) {
			continue
		}
		if in.Path != "" && !strings.HasPrefix(r.URL.Path, in.Path) || tokenOnly && in.Path == "" {
			continue
		}
		s.injections[i].Times--
		if s.injections[i].Times <= 0 {
			s.injections = append(s.injections[:i:i], s.injections[i+1:]...)
		}
		return in, true
	}
	return Injection{}, false
}

// serveInjection answers with an injected status or drops the connection.
func (s *Server) serveInjection(w http.ResponseWriter, r *http.Request, client client, in Injection) {
	if in.Drop {
		if r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == collectionPath {
			s.serveCreate(w, r, client, true)
			return
		}
		drop(w)
		return
	}
	if in.RetryAfter != "" {
		w.Header().Set("Retry-After", in.RetryAfter)
	}
	body := strings.TrimSpace(in.Body)
	switch {
	case body == "":
	case json.Valid([]byte(body)):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	status := in.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(in.Body))
}

// drop closes the connection without answering.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 and wrapped writers cannot be hijacked: abort the stream.
	panic(http.ErrAbortHandler)
}

// sleep waits d, or until the client goes away; it reports whether d passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sandbox: encode answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
