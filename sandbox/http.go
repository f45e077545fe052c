package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
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

// ServeHTTP answers the documented ContractContact endpoints and /api/token.
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
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == tokenPath {
		if in, ok := s.injection(r, true); ok {
			s.serveInjection(w, r, client{}, in)
			return
		}
		s.serveToken(w, r)
		return
	}
	if path != collectionPath && !strings.HasPrefix(path, collectionPath+"/") {
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
	if !s.allow(client.key, isWrite(r.Method)) {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(s.limits.Status)
		_, _ = w.Write([]byte(throttleBody))
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
	s.route(w, r, path, client, drop)
}

// route dispatches an authenticated, unthrottled request.
func (s *Server) route(w http.ResponseWriter, r *http.Request, path string, client client, dropCreate bool) {
	if path == collectionPath {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			if r.URL.Query().Has("id") {
				s.serveMany(w, r)
				return
			}
			s.serveList(w, r)
		case http.MethodPost:
			s.serveCreate(w, r, client, dropCreate)
		case http.MethodPut:
			s.serveUpdate(w, r, client)
		default:
			methodNotAllowed(w, "GET, POST, PUT")
		}
		return
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(path, collectionPath+"/"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"Message": "No HTTP resource was found that matches the request URI."})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.serveOne(w, id)
	case http.MethodDelete:
		s.serveDelete(w, id, client)
	default:
		methodNotAllowed(w, "GET, DELETE")
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"Message": "The requested resource does not support this http method."})
}

func isWrite(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete || method == http.MethodPatch
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
