// Package sandbox is a local stand-in for the Nexudus ContractContact API,
// faithful to its documentation, limits and faults, for tests and trials.
package sandbox

import "net/http"

// STUB: the foundation issue replaces this file.

// Config configures a Server.
type Config struct{ Token string }

// Server is the sandbox API as an http.Handler.
type Server struct{ cfg Config }

// New returns a sandbox server.
func New(cfg Config) (*Server, error) { return &Server{cfg: cfg}, nil }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}
