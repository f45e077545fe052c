package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	first, err := New(Config{DataFile: path, Token: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	first.AddContract(Contract{ID: 7777, Quantity: 4, TariffName: "Kept"})
	first.Generate(50, 0)
	first.SeedAwkward(7777)
	ts := httptest.NewServer(first)
	h := &harness{t: t, srv: first, ts: ts}
	id := h.create(`{"CoworkerContractId": 7777, "FullName": "Over HTTP", "Notes": "line1\nline2"}`)
	ts.Close()
	want := first.Records()
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("data file mode %o, want 600", perm)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	second := start(t, Config{DataFile: path})
	got := second.srv.Records()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reloaded %d records, want %d equal ones", len(got), len(want))
	}
	onKept := 0
	for _, r := range want {
		if r.CoworkerContractID == 7777 {
			onKept++
		}
	}
	if p := second.list(url.Values{"ContractContact_CoworkerContract_Tariff_Name": {"kept"}}); p.TotalItems != onKept || onKept < 13 {
		t.Errorf("contract 7777 has %d records after reload, want %d", p.TotalItems, onKept)
	}
	next := second.create(`{"CoworkerContractId": 7777, "FullName": "After reload"}`)
	if next != id+1 {
		t.Errorf("Id after reload %d, want %d", next, id+1)
	}

	t.Run("writes are saved without Close", func(t *testing.T) {
		// The saver writes within saveDelay of the create; wait for it.
		for deadline := time.Now().Add(10 * time.Second); ; {
			b, err := os.ReadFile(path)
			if err == nil && strings.Contains(string(b), "After reload") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the create was not saved in the background")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("unreadable data file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{DataFile: bad})
		if err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("error %v, want one naming the file", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		_, err := New(Config{DataFile: filepath.Join(t.TempDir(), "missing", "data.json")})
		if err == nil || !strings.Contains(err.Error(), "directory does not exist") {
			t.Errorf("error %v, want one about the directory", err)
		}
	})
	t.Run("directory removed while running", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "gone")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{DataFile: filepath.Join(dir, "data.json")})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err == nil {
			t.Error("Close reported no error saving into a directory that is gone")
		}
	})
}

// BenchmarkList lists pages of 1000 from 1,000,000 records: by Id (a
// slice of the store), by Id descending, sorted by FullName, and filtered.
func BenchmarkList(b *testing.B) {
	srv, err := New(Config{Token: "bench", Limits: Limits{Off: true}})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	srv.Generate(1_000_000, 0)
	b.Logf("Generate(1,000,000): %v", time.Since(start))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, bc := range []struct{ name, query string }{
		{"ById", "size=1000&page=%d"},
		{"ByIdDesc", "size=1000&dir=-1&page=%d"},
		{"ByFullName", "size=1000&orderBy=FullName&page=%d"},
		{"FilterTariff", "size=1000&ContractContact_CoworkerContract_Tariff_Name=plus&page=%d"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client := ts.Client()
			for i := 0; b.Loop(); i++ {
				req, _ := http.NewRequest("GET", ts.URL+collectionPath+"?"+fmt.Sprintf(bc.query, 1+i%100), nil)
				req.Header.Set("Authorization", "Bearer bench")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || n < 1000 {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
			}
		})
	}
}

// TestGenerateOnADataFileWithoutContracts: records generated on a data
// file that holds no contracts go on the default ones, which are added,
// so that every record's contract exists.
func TestGenerateOnADataFileWithoutContracts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.json")
	if err := os.WriteFile(path, []byte(`{"Version":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{DataFile: path, Token: "t", Limits: Limits{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Generate(5, 0)
	contracts := map[int64]bool{}
	for _, c := range srv.Contracts() {
		contracts[c.ID] = true
	}
	recs := srv.Records()
	if len(recs) != 5 {
		t.Fatalf("%d records generated, want 5", len(recs))
	}
	for _, r := range recs {
		if !contracts[r.CoworkerContractID] {
			t.Errorf("record %d is on contract %d, which does not exist", r.ID, r.CoworkerContractID)
		}
	}
}

// TestBackgroundSaveErrorsAreReported: a background save of the data file
// that fails is reported through Logf when it happens, once for the same
// error, and the next save that succeeds says so.
func TestBackgroundSaveErrorsAreReported(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	logged := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines, "\n")
	}
	h := start(t, Config{DataFile: filepath.Join(dir, "sandbox.json"), Logf: func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	waitFor := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logged(), what); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", what, logged())
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.create(`{"CoworkerContractId": 1001, "FullName": "Unsaved"}`)
	waitFor("save data file: folder")
	h.create(`{"CoworkerContractId": 1001, "FullName": "Unsaved too"}`)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	h.create(`{"CoworkerContractId": 1001, "FullName": "Saved"}`)
	waitFor("saved again")
	if n := strings.Count(logged(), "save data file: folder"); n != 1 {
		t.Errorf("the same failure was reported %d times:\n%s", n, logged())
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sandbox.json")); err != nil || !strings.Contains(string(b), "Unsaved too") {
		t.Errorf("the records were not all saved once the folder was back: %v", err)
	}
}
