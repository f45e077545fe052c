package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"contactbulk/sandbox"
)

// TestLoginPromptEndsOnInterrupt: Ctrl-C (the command's context ending)
// while login waits at a prompt for input that never comes ends the
// prompt: exit 130, nothing saved.
func TestLoginPromptEndsOnInterrupt(t *testing.T) {
	t.Parallel()
	_, twoFactor := startClientSandbox(t, sandbox.Config{User: sandbox.User{Email: clientTestEmail, Password: clientTestPassword, TOTPSecret: totpSecret}})
	for _, tc := range []struct {
		name, prompt string
		env          map[string]string
	}{
		{"email", "Email: ", map[string]string{"NEXUDUS_URL": "http://127.0.0.1:1"}},
		{"two-factor code", "Two-factor code: ", map[string]string{"NEXUDUS_URL": twoFactor, "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _, stderr := clientTestApp(t, tc.env)
			a.isTerminal = func(any) bool { return true }
			stdin, typist := io.Pipe() // input that never comes
			defer typist.Close()
			a.stdin = stdin
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- a.run(ctx, []string{"login"}) }()
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), tc.prompt); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no prompt: %q", stderr.String())
				}
			}
			cancel()
			select {
			case err := <-done:
				if code := exitCode(err); code != exitInterrupted || !strings.Contains(exitText(err), "login interrupted") {
					t.Fatalf("exit %d (%v), want 130 saying login was interrupted", code, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the prompt went on waiting after Ctrl-C")
			}
			if entries, _ := os.ReadDir(a.configDir); len(entries) != 0 {
				t.Errorf("an interrupted login saved %v", entries)
			}
		})
	}
}

// TestLoginHelperProcess is `contactbulk login`, as main runs it, for
// TestLoginCtrlCOnATerminal; it does nothing in a normal test run.
func TestLoginHelperProcess(t *testing.T) {
	if os.Getenv("CONTACTBULK_LOGIN_HELPER") != "1" {
		t.Skip("run by TestLoginCtrlCOnATerminal")
	}
	ctx, abandon, stop := interrupts()
	err := run(ctx, abandon, []string{"login"}, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && err.Error() != "" {
		fmt.Fprintln(os.Stderr, "contactbulk: "+err.Error())
	}
	os.Exit(exitCode(err))
}

// ptyOutput collects what a program under script(1) writes to its
// terminal.
type ptyOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *ptyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// TestLoginCtrlCOnATerminal runs login on a real terminal (script(1)
// gives it a pseudo-terminal) and presses Ctrl-C at each prompt: login
// stops at once with exit 130, and the terminal is left as it was found,
// echoing what is typed (the password prompt turns echo off).
func TestLoginCtrlCOnATerminal(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script")
	if err != nil || runtime.GOOS != "linux" {
		t.Skip("needs script(1) from util-linux")
	}
	for _, tc := range []struct {
		name, prompt string
		env          []string
	}{
		{"at the email prompt", "Email: ", nil},
		{"at the password prompt", "Password: ", []string{"NEXUDUS_USERNAME=ann@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// stty -a after login: echo is on again (not -echo). The
			// shell traps SIGINT so that Ctrl-C ends only login: dash,
			// unlike bash, dies of it while waiting for its child.
			// SHELL is pinned because script(1) runs $SHELL.
			line := fmt.Sprintf("trap : INT; '%s' -test.run='^TestLoginHelperProcess$' -test.count=1; echo \"exit=$?\"; stty -a", os.Args[0])
			cmd := exec.Command(script, "-qfec", line, "/dev/null")
			cmd.Env = append(os.Environ(), "SHELL=/bin/sh", "CONTACTBULK_LOGIN_HELPER=1", "NEXUDUS_URL=http://127.0.0.1:1",
				"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "NEXUDUS_PASSWORD=")
			cmd.Env = append(cmd.Env, tc.env...)
			keys, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer keys.Close()
			var out ptyOutput
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{}) // closed when script has ended
			go func() {
				cmd.Wait()
				close(done)
			}()
			defer func() {
				select {
				case <-done:
				default:
					cmd.Process.Kill()
					select {
					case <-done:
					case <-time.After(10 * time.Second):
					}
				}
			}()
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), tc.prompt); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no %q prompt:\n%s", tc.prompt, out.String())
				}
			}
			time.Sleep(100 * time.Millisecond)               // the prompt is written before the read starts
			if _, err := keys.Write([]byte{3}); err != nil { // Ctrl-C
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("login went on waiting after Ctrl-C:\n%s", out.String())
			}
			got := out.String()
			if !strings.Contains(got, "exit=130") {
				t.Errorf("want exit 130:\n%s", got)
			}
			if !regexp.MustCompile(`(^|\s)echo(\s|$)`).MatchString(got) || strings.Contains(got, "-echo ") {
				t.Errorf("the terminal does not echo after login:\n%s", got)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "config", "contactbulk")); len(entries) != 0 {
				t.Errorf("an interrupted login saved %v", entries)
			}
		})
	}
}
