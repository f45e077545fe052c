// Package sandboxtest runs a sandbox for a test, as net/http/httptest runs
// a handler: on a free loopback port, with rate limits off unless the test
// sets them, a fixed token, its requests counted, and closed when the test
// ends.
package sandboxtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"contactbulk/sandbox"
)

// Token is the bearer token a Server accepts unless its Config names
// another.
const Token = "sandboxtest-token"

// Server is a sandbox served over HTTP for one test.
type Server struct {
	URL     string          // base URL, http://127.0.0.1:PORT, for nexudus.Config.BaseURL
	Token   string          // the bearer token it accepts
	Sandbox *sandbox.Server // the sandbox itself: seed it, inspect it, inject faults

	ts     *httptest.Server
	mu     sync.Mutex
	counts map[string]int // by "METHOD /path"
}

// New starts a sandbox configured by cfg, with Limits{Off: true} when cfg
// sets no Limits and Token when it sets no token. When the test ends it
// stops serving (letting requests in flight finish), then closes the
// sandbox, failing the test if the data file, if any, cannot be saved. It
// fails the test at once if the sandbox cannot start.
func New(t testing.TB, cfg sandbox.Config) *Server {
	t.Helper()
	if cfg.Limits == (sandbox.Limits{}) {
		cfg.Limits = sandbox.Limits{Off: true}
	}
	if cfg.Token == "" {
		cfg.Token = Token
	}
	srv, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandboxtest: %v", err)
	}
	s := &Server{Token: cfg.Token, Sandbox: srv, counts: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[key(r.Method, r.URL.Path)]++
		s.mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	s.URL, s.ts = ts.URL, ts
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("sandboxtest: close: %v", err)
		}
	})
	return s
}

// Client returns an HTTP client of the server's own, as
// httptest.Server.Client does: give it to nexudus.Config.HTTPClient. Its
// connections are its own, where http.DefaultTransport's are closed
// whenever any test's server closes, which can cut a request of another
// test short.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Requests returns how many requests with method to path (without query;
// a trailing slash does not count) the server has received, answered or
// not.
func (s *Server) Requests(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key(method, path)]
}

// Total returns how many requests the server has received.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

func key(method, path string) string {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.ToUpper(method) + " " + path
}
