package importer

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// TestRunWaitsForEarlierRequestsToLand: a run abandons a create the server
// stores only later (a slow server, or a killed process's request still in
// the server's hands). The next run must not check before that request can
// have landed: checking at once finds nothing and creates the row twice.
func TestRunWaitsForEarlierRequestsToLand(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	const storeAfter = 300 * time.Millisecond
	var posts atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && posts.Add(1) == 1 {
			// The first create is stored late, whether or not its
			// client is still there to hear about it.
			time.Sleep(storeAfter)
			r = r.WithContext(context.WithoutCancel(r.Context()))
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	cfg := testClientConfig(slow.URL, e.srv.Token(), 0, e.dir)
	client := newTestClient(t, cfg)

	ps := people(1)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	ctx, cancel := context.WithCancel(context.Background())
	abandonCtx, abandon := context.WithCancel(context.Background())
	api := &interrupting{API: client, n: 1, cancel: cancel, abandon: abandon}
	opt := testOptions(results)
	opt.Abandon = abandonCtx
	sum, err := Run(ctx, openInput(t, path), api, opt)
	cancel()
	abandon()
	if !errors.Is(err, context.Canceled) || sum.Pending != 1 {
		t.Fatalf("abandoned run: %v, %+v; want interrupted with the row pending", err, countsOf(sum))
	}

	var log bytes.Buffer
	opt = testOptions(results)
	opt.Progress, opt.LandingWait = &log, storeAfter+testLandingWait
	sum, err = Run(context.Background(), openInput(t, path), client, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "before checking 1 row an earlier run left in flight") {
		t.Errorf("no log line about the wait:\n%s", log.String())
	}
	if sum.Created != 1 || sum.Pending != 0 {
		t.Errorf("resumed run: %+v, want the row created", countsOf(sum))
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("%d creates sent, want 1: the resumed run sent the row again", n)
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

// TestAwaitLanding checks how long a resumed run waits for the creates a
// journal leaves in flight: from the latest begin, never longer than
// LandingWait (a clock set back), not at all once that time has passed.
func TestAwaitLanding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		begins []time.Duration // from now
		want   bool            // a wait is logged
	}{
		{"just begun", []time.Duration{0}, true},
		{"latest counts", []time.Duration{-time.Hour, 0, -time.Minute}, true},
		{"long ago", []time.Duration{-time.Hour, -time.Minute}, false},
		{"clock set back", []time.Duration{time.Hour}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j, err := openJournal(filepath.Join(t.TempDir(), "r.csv.journal"), "c.csv", "")
			if err != nil {
				t.Fatal(err)
			}
			defer j.close()
			now := time.Now()
			for i, d := range tc.begins {
				j.now = func() time.Time { return now.Add(d) }
				if err := j.begin("k-"+strconv.Itoa(i), i+2, 0); err != nil {
					t.Fatal(err)
				}
			}
			var log bytes.Buffer
			r := &runner{j: j, opt: Options{Progress: &log, LandingWait: 50 * time.Millisecond, now: time.Now}}
			if err := r.awaitLanding(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(log.String(), "waiting "); got != tc.want {
				t.Errorf("logged %q, want a wait: %v", log.String(), tc.want)
			}
			if tc.want && !strings.Contains(log.String(), "waiting 0s before checking") {
				// roundLeft rounds to the second: the wait is at most 50 ms.
				t.Errorf("log %q: a wait longer than LandingWait", log.String())
			}
		})
	}
	// An interrupt ends the wait.
	j, err := openJournal(filepath.Join(t.TempDir(), "r.csv.journal"), "c.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	if err := j.begin("k-0", 2, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &runner{j: j, opt: Options{Progress: &bytes.Buffer{}, LandingWait: time.Hour, now: time.Now}}
	if err := r.awaitLanding(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted wait: %v, want context.Canceled", err)
	}
}

// TestRunRefusesConcurrentImport: a second import on the same results
// file while one runs is refused before anything is sent, and saying what
// to do; once the first ends, the same command runs.
func TestRunRefusesConcurrentImport(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ps := people(3)
	path := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")
	running, err := openJournal(JournalPath(results), path, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), openInput(t, path), e.client, Options{Results: results})
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "another import is running") || !strings.Contains(err.Error(), "--results") {
		t.Fatalf("second import: %v, want an ErrInput saying another import is running and how to go on", err)
	}
	if n := len(e.srv.Records()); n != 0 {
		t.Errorf("%d records created beside a running import", n)
	}
	if _, err := os.Stat(results); err == nil {
		t.Error("the refused import wrote the results file of the running one")
	}
	running.close()
	if _, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results}); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, e.srv, ps, results)
}

func newTestClient(t *testing.T, cfg nexudus.Config) *nexudus.Client {
	t.Helper()
	c, err := nexudus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cfg.HTTPClient.CloseIdleConnections)
	return c
}

// TestRunStampsEachAttempt: a create throttled twice is sent three times,
// each long after the row's first begin; the journal says when each
// attempt was about to be sent, so a later run waits from the last one.
func TestRunStampsEachAttempt(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.srv.Inject(sandbox.Injection{Method: http.MethodPost, Status: http.StatusConflict, RetryAfter: "0", Times: 2})
	path := writeInput(t, e.dir, "contacts.csv", people(1))
	results := filepath.Join(e.dir, "contacts.results.csv")
	if _, err := Run(context.Background(), openInput(t, path), e.client, Options{Results: results}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(JournalPath(results))
	if err != nil {
		t.Fatal(err)
	}
	begins := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"op":"begin"`) {
			begins++
			if !strings.Contains(line, `"at":`) {
				t.Errorf("begin without a time: %s", line)
			}
		}
	}
	if begins < 3 {
		t.Errorf("%d begin lines for a create sent three times, want one per attempt:\n%s", begins, b)
	}
}
