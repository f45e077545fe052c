//go:build unix

package sandbox

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataFileLockAcrossProcesses holds a data file in another process,
// then kills it with SIGKILL: the kernel releases the lock, and the data
// file opens again.
func TestDataFileLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "SANDBOX_LOCK_HELPER="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // the helper holds the file until stdin closes
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	if s, err := New(Config{DataFile: path}); !errors.Is(err, ErrDataInUse) {
		if err == nil {
			s.Close()
		}
		t.Errorf("data file held by another process: error %v, want ErrDataInUse", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s, err := New(Config{DataFile: path})
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	s.Close()
}

// TestLockHelperProcess is the other process of
// TestDataFileLockAcrossProcesses; it does nothing in a normal run.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv("SANDBOX_LOCK_HELPER")
	if path == "" {
		t.Skip("helper process only")
	}
	s, err := New(Config{DataFile: path})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("holding\n")
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent kills us
	s.Close()
}
