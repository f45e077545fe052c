package importer

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

// The environment of the child process TestKillImportProcess runs.
const (
	killChildEnv   = "CONTACTBULK_KILLTEST_CHILD"
	killURLEnv     = "CONTACTBULK_KILLTEST_URL"
	killTokenEnv   = "CONTACTBULK_KILLTEST_TOKEN"
	killInputEnv   = "CONTACTBULK_KILLTEST_INPUT"
	killResultsEnv = "CONTACTBULK_KILLTEST_RESULTS"
	killSeedEnv    = "CONTACTBULK_KILLTEST_SEED" // set to repeat a run's kill points
)

// TestKillImportProcess kills an import process with SIGKILL at random
// points, edits the sheet (a phone number, the case and spacing of a name)
// and runs it again each time, and checks that the sandbox (owned by this
// process) ends with exactly one record per row and that the results file
// is complete and correct.
func TestKillImportProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{Latency: 30 * time.Millisecond, DropAfterCreate: 0.05, Seed: 3}})
	ps := people(40)
	input := writeInput(t, e.dir, "contacts.csv", ps)
	results := filepath.Join(e.dir, "contacts.results.csv")

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(killSeedEnv); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("kill points from seed %d (%s=%d repeats them)", seed, killSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			killChildEnv+"=1",
			killURLEnv+"="+e.ts.URL,
			killTokenEnv+"="+e.srv.Token(),
			killInputEnv+"="+input,
			killResultsEnv+"="+results,
		)
		return cmd
	}
	const kills = 8
	for i := range kills {
		cmd := child()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Kill points spread over the run: after a few more records are
		// stored, plus a random moment (creates in flight, journal writes,
		// the results file); the first kill may land before any create.
		target := e.srv.Count() + 1 + rng.IntN(6)
		if i == 0 {
			target = 0
		}
		for e.srv.Count() < target && len(exited) == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		cmd.Process.Kill()
		err := <-exited
		// Let the sandbox finish answering what the dead process sent, as
		// a real server would before anyone looks.
		e.quiesce(t)
		t.Logf("kill %d: %v; %d of %d records stored", i+1, err, e.srv.Count(), len(ps))
		if cmd.ProcessState.Exited() && !cmd.ProcessState.Success() {
			t.Fatalf("import process failed before it was killed:\n%s", out.String())
		}
		// Edited between runs: a row that was created now differs, one that
		// was not is created with the edit; neither is created twice.
		ps[rng.IntN(len(ps))].phone = fmt.Sprintf("+44 20 7946 %04d", i)
		p := &ps[rng.IntN(len(ps))]
		p.name = strings.ToUpper(strings.Replace(p.name, " ", "  ", 1))
		input = writeInput(t, e.dir, "contacts.csv", ps)
	}
	// The last run is left to finish.
	out, err := child().CombinedOutput()
	if err != nil {
		t.Fatalf("final import process: %v\n%s", err, out)
	}
	checkExactlyOnce(t, e.srv, ps, results, Differs)
}

// TestKillHelperProcess is the import process TestKillImportProcess
// starts and kills; run on its own, it does nothing.
func TestKillHelperProcess(t *testing.T) {
	if os.Getenv(killChildEnv) != "1" {
		t.Skip("the child process of TestKillImportProcess")
	}
	// A short request timeout, so that each re-run's wait for the requests
	// the killed run left in flight (LandingWait) is short too.
	cfg := testClientConfig(os.Getenv(killURLEnv), os.Getenv(killTokenEnv), 0, t.TempDir())
	cfg.Timeout = time.Second
	client, err := nexudus.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in, err := Open(os.Getenv(killInputEnv), nil, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	landing := cfg.Timeout + testLandingWait
	sum, err := Run(context.Background(), in, client, Options{Results: os.Getenv(killResultsEnv), Concurrency: 4, LandingWait: landing, Settle: 2 * landing})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Pending != 0 || sum.Failed != 0 || sum.Ambiguous != 0 || sum.Verified.Unresolved() != 0 {
		t.Fatalf("rows not created: %+v, %v", countsOf(sum), sum.Verified)
	}
}
