package exporter

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// hookAPI calls before ahead of every listing request, to change the data
// between page requests.
type hookAPI struct {
	API
	mu     sync.Mutex
	n      int
	before func(n int)
	gets   int
	hookMu sync.Mutex // runs before one call at a time
}

func (h *hookAPI) List(ctx context.Context, opt nexudus.ListOptions) (*nexudus.Page, error) {
	h.mu.Lock()
	h.n++
	n := h.n
	h.mu.Unlock()
	if h.before != nil {
		h.hookMu.Lock()
		h.before(n)
		h.hookMu.Unlock()
	}
	return h.API.List(ctx, opt)
}

func (h *hookAPI) Get(ctx context.Context, ids []int64) ([]nexudus.Record, error) {
	h.mu.Lock()
	h.gets++
	h.mu.Unlock()
	return h.API.Get(ctx, ids)
}

// start runs a sandbox without limits at a fixed clock and returns it with
// a client reading it unpaced.
func start(t *testing.T, cfg sandbox.Config) (*sandbox.Server, *nexudus.Client) {
	t.Helper()
	if cfg.Now == nil {
		fixed := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		cfg.Now = func() time.Time { return fixed }
	}
	ts := sandboxtest.New(t, cfg)
	api, err := nexudus.New(nexudus.Config{
		BaseURL:     ts.URL,
		Token:       ts.Token,
		HTTPClient:  ts.Client(),
		Rate:        nexudus.Rate{N: 1_000_000, Per: time.Second},
		MinInterval: -1,
		BackoffBase: time.Millisecond,
		BackoffMax:  5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ts.Sandbox, api
}

// readCSV parses an export, dropping a leading BOM.
func readCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	return rows
}

// idsOf returns the Id column of an export with every column.
func idsOf(t *testing.T, rows [][]string) []int64 {
	t.Helper()
	col := -1
	for i, h := range rows[0] {
		if h == "Id" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no Id column in %v", rows[0])
	}
	var ids []int64
	for _, r := range rows[1:] {
		id, err := strconv.ParseInt(r[col], 10, 64)
		if err != nil {
			t.Fatalf("Id %q: %v", r[col], err)
		}
		ids = append(ids, id)
	}
	return ids
}

// golden compares got with testdata/name, or rewrites it with -update, and
// names the first row and column that differ.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := readCSV(t, got), readCSV(t, want)
	for i := 0; i < max(len(g), len(w)); i++ {
		if i >= len(g) || i >= len(w) {
			t.Fatalf("%s: %d rows, want %d", name, len(g), len(w))
		}
		for j := 0; j < max(len(g[i]), len(w[i])); j++ {
			var gv, wv string
			if j < len(g[i]) {
				gv = g[i][j]
			}
			if j < len(w[i]) {
				wv = w[i][j]
			}
			if gv != wv {
				t.Fatalf("%s: row %d column %d (%s): got %q, want %q", name, i, j+1, w[0][min(j, len(w[0])-1)], gv, wv)
			}
		}
	}
	t.Fatalf("%s: bytes differ (BOM or line endings): got %q..., want %q...", name, got[:min(len(got), 20)], want[:min(len(want), 20)])
}

func ptr[T any](v T) *T { return &v }
