package sandboxtest_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"contactbulk/mapping"
	"contactbulk/nexudus"
	"contactbulk/sandbox"
	"contactbulk/sandbox/sandboxtest"
)

// get sends a GET with the server's token and returns the status.
func get(t *testing.T, s *sandboxtest.Server, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestNew(t *testing.T) {
	t.Parallel()
	s := sandboxtest.New(t, sandbox.Config{})
	if s.Token != sandboxtest.Token || !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q token %q", s.URL, s.Token)
	}
	// Limits are off: many requests in a row are all answered.
	for range 30 {
		if status := get(t, s, "/api/billing/contractcontacts?size=1"); status != 200 {
			t.Fatalf("status %d", status)
		}
	}
	get(t, s, "/api/billing/contractcontacts/?id=[1,2]")
	get(t, s, "/api/sys/countries/1")
	if n := s.Requests("GET", "/api/billing/contractcontacts"); n != 31 {
		t.Errorf("Requests(GET contacts) = %d, want 31 (query and trailing slash aside)", n)
	}
	if n := s.Requests("get", "/api/sys/countries/1"); n != 1 {
		t.Errorf("Requests(get one country) = %d, want 1", n)
	}
	if n := s.Requests("POST", "/api/billing/contractcontacts"); n != 0 || s.Total() != 32 {
		t.Errorf("Requests(POST) = %d, Total = %d; want 0 and 32", n, s.Total())
	}
}

// TestNewWithTheClient drives a sandbox through the real client, counting
// what the client sends.
func TestNewWithTheClient(t *testing.T) {
	t.Parallel()
	s := sandboxtest.New(t, sandbox.Config{})
	client, err := nexudus.New(nexudus.Config{BaseURL: s.URL, HTTPClient: s.Client(), Token: s.Token, MinInterval: -1, DailyWrites: -1,
		Rate: nexudus.Rate{N: 1000, Per: time.Second}, WriteRate: nexudus.Rate{N: 1000, Per: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := client.Create(ctx, mapping.Contact{CoworkerContractID: 1001, FullName: "Through the client", ContractContactType: mapping.TypeDirector})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := client.GetOne(ctx, id); err != nil || r.FullName != "Through the client" {
		t.Errorf("GetOne(%d) = %+v, %v", id, r, err)
	}
	if n := s.Sandbox.Count(); n != 1 {
		t.Errorf("%d records stored, want 1", n)
	}
	if n, m := s.Requests("POST", "/api/billing/contractcontacts"), s.Requests("GET", "/api/billing/contractcontacts/"+strconv.FormatInt(id, 10)); n != 1 || m != 1 {
		t.Errorf("%d creates and %d reads sent, want 1 and 1", n, m)
	}
}

func TestNewClosesAtTheEnd(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data.json")
	var url string
	t.Run("a test with a data file", func(t *testing.T) {
		s := sandboxtest.New(t, sandbox.Config{DataFile: path})
		url = s.URL
		s.Sandbox.Generate(3, 1001)
	})
	if _, err := http.Get(url); err == nil {
		t.Error("the server still answers after its test ended")
	}
	// The data file was saved and released.
	again, err := sandbox.New(sandbox.Config{DataFile: path})
	if errors.Is(err, sandbox.ErrDataInUse) || err != nil {
		t.Fatalf("data file after the test: %v", err)
	}
	defer again.Close()
	if n := again.Count(); n != 3 {
		t.Errorf("%d records saved, want 3", n)
	}
}
