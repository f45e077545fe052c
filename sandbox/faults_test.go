package sandbox

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const createBody = `{"CoworkerContractId": 1001, "FullName": "Limited"}`

func TestLimits(t *testing.T) {
	if DocumentedLimits() != (Limits{MinInterval: 100 * time.Millisecond, PerMinute: 120, PerHour: 5000, PerDay: 200000,
		WritesPerMinute: 60, WritesPerDay: 2500, Status: 409}) {
		t.Errorf("DocumentedLimits %+v", DocumentedLimits())
	}
	tests := []struct {
		name   string
		limits Limits
		// steps: "g" GET, "p" POST, "+D" advance the clock; the letter
		// after each request is what it must get: "o" ok, "t" throttled.
		steps string
	}{
		{"min interval", Limits{MinInterval: 100 * time.Millisecond},
			"go gt +50ms gt +50ms go +99ms gt +1ms go"},
		{"per minute, sliding", Limits{PerMinute: 3},
			"go +10s go +10s go +10s gt +29s gt +1s go gt +10s go"},
		{"per hour", Limits{PerHour: 2}, "go +30m go +29m gt +1m go"},
		{"per day", Limits{PerDay: 2}, "go +12h go +11h gt +1h go"},
		{"writes per minute leave reads alone", Limits{WritesPerMinute: 2},
			"po po pt go go +1m po"},
		{"writes per day", Limits{WritesPerDay: 1}, "po +23h pt go +1h po"},
		{"throttled requests do not count", Limits{PerMinute: 2},
			"go go gt gt gt +1m go go gt"},
		{"429 when configured", Limits{PerMinute: 1, Status: 429}, "go gt"},
		{"documented limits", DocumentedLimits(), "go gt +100ms go +100ms po +99ms pt +1ms po"},
		{"off", Limits{Off: true, PerMinute: 1}, "go go go po po"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			h := start(t, Config{Limits: tc.limits, Now: clk.Now})
			wantStatus := tc.limits.Status
			if wantStatus == 0 {
				wantStatus = 409
			}
			created := 0
			for i, step := range strings.Fields(tc.steps) {
				if strings.HasPrefix(step, "+") {
					d, err := time.ParseDuration(step[1:])
					if err != nil {
						t.Fatal(err)
					}
					clk.Advance(d)
					continue
				}
				method, body := "GET", ""
				if step[0] == 'p' {
					method, body = "POST", createBody
				}
				resp := h.send(method, collectionPath, body, "Bearer "+h.srv.Token())
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if step[1] == 'o' {
					if resp.StatusCode != 200 {
						t.Fatalf("step %d (%s): status %d, want 200: %s", i, step, resp.StatusCode, b)
					}
					if method == "POST" {
						created++
					}
					continue
				}
				if resp.StatusCode != wantStatus || resp.Header.Get("Retry-After") != "1" || string(b) != "You must wait before accessing this url again." {
					t.Fatalf("step %d (%s): status %d Retry-After %q body %q, want throttled", i, step, resp.StatusCode, resp.Header.Get("Retry-After"), b)
				}
			}
			if h.srv.Count() != created {
				t.Errorf("%d records stored, want %d: a throttled create had an effect", h.srv.Count(), created)
			}
		})
	}
	t.Run("limits are per client", func(t *testing.T) {
		clk := newClock()
		h := start(t, Config{Limits: Limits{PerMinute: 1}, Now: clk.Now, User: User{Email: "a@example.com", Password: "pw"}})
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("a@example.com:pw"))
		if status, _ := h.do("GET", collectionPath, ""); status != 200 {
			t.Fatalf("token: status %d", status)
		}
		if status, _ := h.doAuth("GET", collectionPath, "", basic); status != 200 {
			t.Errorf("another client was throttled: status %d", status)
		}
		if status, _ := h.do("GET", collectionPath, ""); status != 409 {
			t.Errorf("same client: status %d, want 409", status)
		}
		// A token issued to the user shares the user's allowance.
		form := url.Values{"grant_type": {"password"}, "username": {"a@example.com"}, "password": {"pw"}}
		_, ans := h.postToken(form, "application/x-www-form-urlencoded", "")
		if status, _ := h.doAuth("GET", collectionPath, "", "Bearer "+ans["access_token"].(string)); status != 409 {
			t.Errorf("a fresh token of the same user: status %d, want 409", status)
		}
	})
}

func TestInjections(t *testing.T) {
	h := start(t, Config{})
	h.srv.Inject(Injection{Method: "POST", Status: 429, RetryAfter: "2", Body: "slow down", Times: 2})
	h.srv.Inject(Injection{Path: collectionPath + "/", Status: 502})
	h.srv.Inject(Injection{Method: "GET", Path: collectionPath, Status: 500, Body: `{"Message":"An error has occurred."}`})

	for i := range 2 {
		resp := h.send("POST", collectionPath, createBody, "Bearer "+h.srv.Token())
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || string(b) != "slow down" {
			t.Errorf("POST %d: %d %q %q", i, resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	}
	if h.srv.Count() != 0 {
		t.Error("an injected answer stored a record")
	}
	h.create(createBody) // injections used up
	if status, _ := h.do("GET", collectionPath+"/87654321", ""); status != 502 {
		t.Errorf("path injection: status %d, want 502", status)
	}
	status, b := h.do("GET", collectionPath+"?page=1", "")
	if status != 500 || !strings.Contains(string(b), "error has occurred") {
		t.Errorf("GET injection: status %d %s", status, b)
	}
	if status, _ := h.do("GET", collectionPath+"/87654321", ""); status != 200 {
		t.Errorf("after injections: status %d", status)
	}
	t.Run("the token endpoint takes only injections naming it", func(t *testing.T) {
		h.srv.Inject(Injection{Status: 503})
		h.srv.Inject(Injection{Path: tokenPath, Status: 502})
		status, _ := h.doAuth("POST", tokenPath, "", "")
		if status != 502 {
			t.Errorf("token endpoint: status %d, want the injected 502", status)
		}
		if status, _ := h.do("GET", collectionPath, ""); status != 503 {
			t.Errorf("API: status %d, want the injected 503", status)
		}
	})
	t.Run("injections come after auth", func(t *testing.T) {
		h.srv.Inject(Injection{Status: 500})
		if status, _ := h.doAuth("GET", collectionPath, "", ""); status != 401 {
			t.Errorf("status %d, want 401", status)
		}
		if status, _ := h.do("GET", collectionPath, ""); status != 500 {
			t.Errorf("status %d, want the injected 500", status)
		}
	})
}

// TestDrop checks that a dropped create is stored although the client
// sees only a broken connection.
func TestDrop(t *testing.T) {
	t.Run("injected", func(t *testing.T) {
		h := start(t, Config{})
		h.srv.Inject(Injection{Method: "POST", Drop: true})
		if err := h.sendErr("POST", createBody); err == nil {
			t.Fatal("the client got an answer")
		}
		if h.srv.Count() != 1 {
			t.Errorf("%d records, want the dropped create stored", h.srv.Count())
		}
		h.srv.Inject(Injection{Method: "GET", Drop: true})
		if err := h.sendErr("GET", ""); err == nil {
			t.Error("a dropped GET was answered")
		}
		h.srv.Inject(Injection{Method: "POST", Drop: true})
		if err := h.sendErr("POST", `{"FullName": "invalid, no contract"}`); err != nil {
			t.Errorf("an invalid create was dropped instead of answered 400: %v", err)
		}
	})
	t.Run("random", func(t *testing.T) {
		h := start(t, Config{Faults: Faults{DropAfterCreate: 0.5, Seed: 7}})
		dropped := 0
		for range 40 {
			if h.sendErr("POST", createBody) != nil {
				dropped++
			}
		}
		if dropped == 0 || dropped == 40 {
			t.Errorf("%d of 40 creates dropped at rate 0.5", dropped)
		}
		if h.srv.Count() != 40 {
			t.Errorf("%d records, want all 40 stored", h.srv.Count())
		}
		if status, _ := h.do("GET", collectionPath, ""); status != 200 {
			t.Errorf("reads are never dropped: status %d", status)
		}
	})
}

// sendErr sends a request and returns the transport error, if any.
func (h *harness) sendErr(method, body string) error {
	req, err := http.NewRequest(method, h.ts.URL+collectionPath, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.srv.Token())
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 || resp.StatusCode == 400 {
		_, err = io.ReadAll(resp.Body)
		return err
	}
	return fmt.Errorf("status %d", resp.StatusCode)
}

func TestServerErrors(t *testing.T) {
	h := start(t, Config{Faults: Faults{ServerErrors: 0.5, Seed: 1}})
	errorsSeen, created := 0, 0
	for range 40 {
		status, _ := h.do("POST", collectionPath, createBody)
		switch status {
		case 500:
			errorsSeen++
		case 200:
			created++
		default:
			t.Fatalf("status %d", status)
		}
	}
	if errorsSeen == 0 || created == 0 {
		t.Errorf("%d errors, %d created at rate 0.5", errorsSeen, created)
	}
	if h.srv.Count() != created {
		t.Errorf("%d stored, want %d: a 500 stored a record", h.srv.Count(), created)
	}
	// The same seed gives the same faults.
	again := start(t, Config{Faults: Faults{ServerErrors: 0.5, Seed: 1}})
	n := 0
	for range 40 {
		if status, _ := again.do("POST", collectionPath, createBody); status == 500 {
			n++
		}
	}
	if n != errorsSeen {
		t.Errorf("seed 1 gave %d then %d errors", errorsSeen, n)
	}
	if _, err := New(Config{Faults: Faults{ServerErrors: 1.5}}); err == nil {
		t.Error("New accepted a rate above 1")
	}
}

// TestStall checks that a stalled create still takes effect after the
// client gave up: the ambiguous outcome an importer must handle.
func TestStall(t *testing.T) {
	h := start(t, Config{Faults: Faults{Stalls: 1, StallFor: time.Hour}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.ts.URL+collectionPath, strings.NewReader(createBody))
	req.Header.Set("Authorization", "Bearer "+h.srv.Token())
	_, err := h.ts.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the client's deadline", err)
	}
	// The handler finishes once it notices the client left.
	for h.srv.Count() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLatency(t *testing.T) {
	h := start(t, Config{Faults: Faults{Latency: time.Hour}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.ts.URL+collectionPath, strings.NewReader(createBody))
	req.Header.Set("Authorization", "Bearer "+h.srv.Token())
	if _, err := h.ts.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the client's deadline", err)
	}
	if h.srv.Count() != 0 {
		t.Error("a request abandoned during its latency took effect")
	}
}

// TestConcurrent hammers every endpoint at once; run it with -race.
func TestConcurrent(t *testing.T) {
	h := start(t, Config{})
	h.srv.Generate(200, 0)
	var wg sync.WaitGroup
	const workers, each = 8, 25
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				switch i % 5 {
				case 0:
					h.create(fmt.Sprintf(`{"CoworkerContractId": 1001, "FullName": "W%d-%d"}`, w, i))
				case 1:
					h.list(map[string][]string{"orderBy": {"FullName"}, "ContractContact_FullName": {"a"}})
				case 2:
					h.do("GET", collectionPath+"?id=[87654321,87654322]", "")
				case 3:
					h.srv.Insert(Record{CoworkerContractID: 1002, FullName: "inserted"})
				case 4:
					h.srv.Delete(87654321 + int64(w*each+i))
					_ = h.srv.Records()
				}
			}
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, r := range h.srv.Records() {
		if seen[r.ID] {
			t.Fatalf("Id %d twice", r.ID)
		}
		seen[r.ID] = true
	}
}
