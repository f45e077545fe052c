package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a sandbox behind a real HTTP server.
type harness struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
}

// start runs a sandbox with cfg; unless the test sets Limits, limits are off.
func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.Limits == (Limits{}) {
		cfg.Limits = Limits{Off: true}
	}
	if cfg.Token == "" {
		cfg.Token = "test-token"
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{t: t, srv: srv, ts: ts}
}

// do sends a request with the sandbox's token and returns status and body.
func (h *harness) do(method, path, body string) (int, []byte) {
	h.t.Helper()
	return h.doAuth(method, path, body, "Bearer "+h.srv.Token())
}

func (h *harness) doAuth(method, path, body, auth string) (int, []byte) {
	h.t.Helper()
	resp := h.send(method, path, body, auth)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

func (h *harness) send(method, path, body, auth string) *http.Response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// list fetches one listing page with the query q.
func (h *harness) list(q url.Values) page[Record] {
	h.t.Helper()
	status, b := h.do("GET", collectionPath+"?"+q.Encode(), "")
	if status != 200 {
		h.t.Fatalf("GET ?%s: status %d: %s", q.Encode(), status, b)
	}
	var p page[Record]
	if err := json.Unmarshal(b, &p); err != nil {
		h.t.Fatalf("decode page: %v", err)
	}
	return p
}

// create posts a body and returns the new Id, failing the test on any error.
func (h *harness) create(body string) int64 {
	h.t.Helper()
	status, b := h.do("POST", collectionPath, body)
	if status != 200 {
		h.t.Fatalf("POST %s: status %d: %s", body, status, b)
	}
	var ans struct {
		Value struct{ Id int64 }
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		h.t.Fatalf("decode create answer: %v", err)
	}
	return ans.Value.Id
}

func ids(recs []Record) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func sp(s string) *string { return &s }
func ip(i int64) *int64   { return &i }
func bp(b bool) *bool     { return &b }
