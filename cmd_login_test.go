package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contactbulk/nexudus"
	"contactbulk/sandbox"
)

const totpSecret = "JBSWY3DPEHPK3PXP"

func TestLogin(t *testing.T) {
	_, url := startClientSandbox(t, sandbox.Config{})
	creds := map[string]string{"NEXUDUS_URL": url, "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword}
	a, stdout, stderr := clientTestApp(t, creds)
	store := nexudus.SessionStore{Dir: a.configDir}

	if err := a.run(context.Background(), []string{"login"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "Signed in to "+url+" as "+clientTestEmail) {
		t.Errorf("stdout = %q", stdout.String())
	}
	path := store.Path(url)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("saved login %s: %v; want a 0600 file", path, err)
	}
	if dir, err := os.Stat(a.configDir); err != nil || dir.Mode().Perm() != 0o700 {
		t.Fatalf("config dir: %v; want 0700", err)
	}
	sess, err := store.Load(url)
	// The login has a client_id of its own, never the email, so that
	// another application signing in with the email leaves it alone.
	if err != nil || sess == nil || sess.AccessToken == "" || sess.RefreshToken == "" || !isGUID(sess.ClientID) || sess.Email != clientTestEmail || sess.Expiry.Before(time.Now()) {
		t.Fatalf("saved login = %+v, %v", sess, err)
	}
	raw, _ := os.ReadFile(path)
	for _, out := range []string{stdout.String(), stderr.String(), string(raw)} {
		if strings.Contains(out, clientTestPassword) {
			t.Errorf("the password was written: %q", out)
		}
	}
	if strings.Contains(stdout.String()+stderr.String(), sess.AccessToken) || strings.Contains(stdout.String()+stderr.String(), sess.RefreshToken) {
		t.Error("login printed a token")
	}

	// Later commands use the saved login.
	client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: "100/s", timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("connect after login: %v", err)
	}
	if _, err := client.List(context.Background(), nexudus.ListOptions{Size: 1}); err != nil {
		t.Fatalf("List with the saved login: %v", err)
	}
	closeFn()

	stdout.b.Reset()
	if err := a.run(context.Background(), []string{"login", "--logout"}); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("saved login still there after --logout: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "Signed out of "+url) {
		t.Errorf("stdout = %q", stdout.String())
	}
	stdout.b.Reset()
	if err := a.run(context.Background(), []string{"login", "--logout"}); err != nil {
		t.Fatalf("second logout: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "No saved login for "+url) {
		t.Errorf("stdout = %q", stdout.String())
	}
}

func TestLoginPromptsOnATerminal(t *testing.T) {
	_, url := startClientSandbox(t, sandbox.Config{})
	a, _, stderr := clientTestApp(t, map[string]string{"NEXUDUS_URL": url})
	a.isTerminal = func(any) bool { return true }
	a.stdin = strings.NewReader(clientTestEmail + "\n" + clientTestPassword + "\n")
	if err := a.run(context.Background(), []string{"login"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	if got := stderr.String(); !strings.Contains(got, "Email: ") || !strings.Contains(got, "Password: ") || strings.Contains(got, clientTestPassword) {
		t.Errorf("prompts = %q, want Email and Password prompts and no password", got)
	}
	if sess, err := (nexudus.SessionStore{Dir: a.configDir}).Load(url); err != nil || sess == nil {
		t.Fatalf("no saved login: %v", err)
	}
}

func TestLoginTwoFactor(t *testing.T) {
	user := sandbox.User{Email: clientTestEmail, Password: clientTestPassword, TOTPSecret: totpSecret}
	_, url := startClientSandbox(t, sandbox.Config{User: user})
	creds := map[string]string{"NEXUDUS_URL": url, "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword}
	code := func(t *testing.T) string {
		c, err := sandbox.TOTP(totpSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("missing code unattended", func(t *testing.T) {
		a, _, _ := clientTestApp(t, creds)
		err := a.run(context.Background(), []string{"login"})
		if exitCode(err) != exitCannotRun || !strings.Contains(err.Error(), "--totp") {
			t.Fatalf("err = %v, want exit 2 naming --totp", err)
		}
	})
	t.Run("wrong code", func(t *testing.T) {
		a, _, _ := clientTestApp(t, creds)
		err := a.run(context.Background(), []string{"login", "--totp", "000000x"})
		if exitCode(err) != exitCannotRun || !strings.Contains(err.Error(), "code was not accepted") {
			t.Fatalf("err = %v, want exit 2 saying the code was refused", err)
		}
	})
	t.Run("--totp", func(t *testing.T) {
		a, _, _ := clientTestApp(t, creds)
		if err := a.run(context.Background(), []string{"login", "--totp", code(t)}); err != nil {
			t.Fatalf("login --totp: %v", err)
		}
	})
	t.Run("prompted on a terminal", func(t *testing.T) {
		a, _, stderr := clientTestApp(t, creds)
		a.isTerminal = func(any) bool { return true }
		a.stdin = strings.NewReader(code(t) + "\n")
		if err := a.run(context.Background(), []string{"login"}); err != nil {
			t.Fatalf("login: %v", err)
		}
		if !strings.Contains(stderr.String(), "Two-factor code: ") {
			t.Errorf("stderr = %q, want a code prompt", stderr.String())
		}
	})
}

func TestLoginFailures(t *testing.T) {
	_, url := startClientSandbox(t, sandbox.Config{})
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"no credentials and no terminal", []string{"login"}, map[string]string{"NEXUDUS_URL": url},
			"set NEXUDUS_USERNAME and NEXUDUS_PASSWORD"},
		{"only the email", []string{"login"}, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_USERNAME": clientTestEmail},
			"set NEXUDUS_USERNAME and NEXUDUS_PASSWORD"},
		{"wrong password", []string{"login"}, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": "x" + clientTestPassword},
			"refused"},
		{"plain http elsewhere", []string{"login", "--url", "http://spaces.nexudus.com"}, map[string]string{"NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword},
			"use https"},
		{"unreachable", []string{"login"}, map[string]string{"NEXUDUS_URL": closedURL(t), "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword},
			"cannot sign in"},
		{"not the token endpoint", []string{"login", "--url", url + "/nowhere"}, map[string]string{"NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword},
			"refused"},
		{"stray argument", []string{"login", "extra"}, nil, "takes no arguments"},
		{"bad flag", []string{"login", "--token", "x"}, nil, "unknown flag: --token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, stdout, stderr := clientTestApp(t, tc.env)
			err := a.run(context.Background(), tc.args)
			if code := exitCode(err); code != exitCannotRun {
				t.Fatalf("exit = %d (%v), want 2", code, err)
			}
			msg := exitText(err)
			if !strings.Contains(msg, tc.wantErr) {
				t.Errorf("error = %q, want it to contain %q", msg, tc.wantErr)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line", msg)
			}
			for _, out := range []string{msg, stdout.String(), stderr.String()} {
				if strings.Contains(out, clientTestPassword) || strings.Contains(out, clientTestToken) {
					t.Errorf("output shows a secret: %q", out)
				}
			}
			if _, err := os.Stat(filepath.Join(a.configDir)); err == nil {
				entries, _ := os.ReadDir(a.configDir)
				if len(entries) > 0 {
					t.Errorf("a failed login saved %d files", len(entries))
				}
			}
		})
	}
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

// isGUID reports whether s is written as a GUID (8-4-4-4-12 hex digits).
func isGUID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) != 5 {
		return false
	}
	for i, p := range parts {
		if len(p) != []int{8, 4, 4, 4, 12}[i] || strings.Trim(p, "0123456789abcdef") != "" {
			return false
		}
	}
	return true
}

// TestLoginSurvivesOtherAppsSigningIn: after `contactbulk login`, another
// application signing in with the same email (under the email as
// client_id) leaves our login working; a login saved by an older version,
// whose client_id is the email, keeps working until then, and the next
// login replaces it with a client_id of its own.
func TestLoginSurvivesOtherAppsSigningIn(t *testing.T) {
	t.Parallel()
	_, url := startClientSandbox(t, sandbox.Config{})
	signInAs := func(t *testing.T, clientID string) string {
		t.Helper()
		form := neturl.Values{"grant_type": {"password"}, "username": {clientTestEmail}, "password": {clientTestPassword}}
		req, err := http.NewRequest(http.MethodPost, url+"/api/token", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if clientID != "" {
			req.Header.Set("client_id", clientID)
		}
		resp, err := testHTTPClient(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
			t.Fatalf("sign-in as %q: %d %v", clientID, resp.StatusCode, err)
		}
		return tok.RefreshToken
	}
	// list runs a listing through connect with the saved login, its access
	// token spoilt first so that the call must refresh.
	list := func(t *testing.T, a *app) error {
		t.Helper()
		store := nexudus.SessionStore{Dir: a.configDir}
		sess, err := store.Load(url)
		if err != nil || sess == nil {
			t.Fatalf("saved login: %v, %v", sess, err)
		}
		sess.AccessToken = "spoilt"
		if err := store.Save(url, *sess); err != nil {
			t.Fatal(err)
		}
		client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: "100/s", timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer closeFn()
		_, err = client.List(context.Background(), nexudus.ListOptions{Size: 1})
		return err
	}

	a, _, _ := clientTestApp(t, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword})
	store := nexudus.SessionStore{Dir: a.configDir}
	// An older version's login: signed in under the email.
	if err := store.Save(url, nexudus.Session{AccessToken: "x", RefreshToken: signInAs(t, clientTestEmail), ClientID: clientTestEmail}); err != nil {
		t.Fatal(err)
	}
	if err := list(t, a); err != nil {
		t.Fatalf("an older version's login stopped working: %v", err)
	}
	if err := a.run(context.Background(), []string{"login"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	sess, _ := store.Load(url)
	if sess == nil || !isGUID(sess.ClientID) {
		t.Fatalf("the new login's client_id = %+v, want a GUID", sess)
	}
	signInAs(t, "")              // another app, no client_id: the email
	signInAs(t, clientTestEmail) // another app, the email as client_id
	if err := list(t, a); err != nil {
		t.Fatalf("our login stopped working after other apps signed in: %v", err)
	}
}

// TestLoginAcrossBehaviours signs in, then uses the saved login (its
// access token spoilt, so that it must refresh), against each server
// behaviour that touches sign-in: it works, or it stops with exit 2 and
// one line, no secret shown, nothing saved.
func TestLoginAcrossBehaviours(t *testing.T) {
	t.Parallel()
	plain := closedURL(t) // where a redirect points: nothing may reach it
	tests := []struct {
		name    string
		b       sandbox.Behaviour
		limits  sandbox.Limits
		wantErr string // "" when sign-in and refresh work
	}{
		{name: "as documented"},
		{name: "503 with Retry-After", b: sandbox.Behaviour{Unavailable: 0.3}},
		{name: "another app at the limits", b: sandbox.Behaviour{OtherApp: 60}, limits: sandbox.DocumentedLimits()},
		{name: "write quota spent elsewhere", b: sandbox.Behaviour{QuotaSpent: time.Hour}},
		{name: "dates local with Z", b: sandbox.Behaviour{Dates: sandbox.DatesLocalZ}},
		{name: "read-only roles", b: sandbox.Behaviour{Roles: []string{"ContractContact-List", "ContractContact-Read"}}},
		{name: "redirect to plain http", b: sandbox.Behaviour{RedirectTo: plain}, wantErr: "redirect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, url := startClientSandbox(t, sandbox.Config{Behaviour: tc.b, Limits: tc.limits})
			a, stdout, stderr := clientTestApp(t, map[string]string{"NEXUDUS_URL": url, "NEXUDUS_USERNAME": clientTestEmail, "NEXUDUS_PASSWORD": clientTestPassword})
			err := a.run(context.Background(), []string{"login"})
			for _, out := range []string{exitText(err), stdout.String(), stderr.String()} {
				if strings.Contains(out, clientTestPassword) {
					t.Errorf("the password was shown: %q", out)
				}
			}
			if tc.wantErr != "" {
				if code := exitCode(err); code != exitCannotRun || !strings.Contains(exitText(err), tc.wantErr) || strings.Contains(exitText(err), "\n") {
					t.Fatalf("exit %d (%v), want 2 and one line saying %q", code, err, tc.wantErr)
				}
				if entries, _ := os.ReadDir(a.configDir); len(entries) > 0 {
					t.Errorf("a refused login saved %d files", len(entries))
				}
				return
			}
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			store := nexudus.SessionStore{Dir: a.configDir}
			sess, err := store.Load(url)
			if err != nil || sess == nil {
				t.Fatalf("saved login: %v, %v", sess, err)
			}
			sess.AccessToken = "spoilt"
			if err := store.Save(url, *sess); err != nil {
				t.Fatal(err)
			}
			client, closeFn, err := a.connect(context.Background(), &clientFlags{rate: "100/min", timeout: 5 * time.Second})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer closeFn()
			if _, err := client.List(context.Background(), nexudus.ListOptions{Size: 1}); err != nil {
				t.Fatalf("a listing with the saved login (refreshed): %v", err)
			}
			if renewed, _ := store.Load(url); renewed == nil || renewed.AccessToken == "spoilt" || renewed.RefreshToken == sess.RefreshToken {
				t.Errorf("the refresh was not saved: %+v", renewed)
			}
		})
	}
}
