package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// postToken posts a form to /api/token and decodes the JSON answer.
func (h *harness) postToken(form url.Values, contentType, clientID string) (int, map[string]any) {
	h.t.Helper()
	body := form.Encode()
	if contentType == "application/json" {
		b, _ := json.Marshal(map[string]string{"grant_type": form.Get("grant_type"), "username": form.Get("username"), "password": form.Get("password")})
		body = string(b)
	}
	req, err := http.NewRequest("POST", h.ts.URL+tokenPath, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if clientID != "" {
		req.Header.Set("client_id", clientID)
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans map[string]any
	if err := json.Unmarshal(b, &ans); err != nil {
		h.t.Fatalf("token answer %q: %v", b, err)
	}
	return resp.StatusCode, ans
}

const form = "application/x-www-form-urlencoded"

func TestAuthHeaders(t *testing.T) {
	h := start(t, Config{User: User{Email: "admin@example.com", Password: "s3cret pass"}})
	seedThree(h)
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name, auth string
		want       int
	}{
		{"no credentials", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"empty bearer", "Bearer ", 401},
		{"token", "Bearer test-token", 200},
		{"scheme in lower case", "bearer test-token", 200},
		{"basic auth", basic("admin@example.com", "s3cret pass"), 200},
		{"basic auth, email in other case", basic("Admin@Example.com", "s3cret pass"), 200},
		{"basic auth, wrong password", basic("admin@example.com", "wrong"), 401},
		{"basic auth, other user", basic("other@example.com", "s3cret pass"), 401},
		{"token as basic password", basic("admin@example.com", "test-token"), 401},
		{"unknown scheme", "Token test-token", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, b := h.doAuth("GET", collectionPath, "", tc.auth)
			if status != tc.want {
				t.Errorf("status %d, want %d: %s", status, tc.want, b)
			}
			if status == 401 && strings.Contains(string(b), "test-token") {
				t.Error("401 answer echoes the token")
			}
		})
	}
	t.Run("every endpoint needs credentials", func(t *testing.T) {
		for _, req := range []struct{ method, path, body string }{
			{"GET", collectionPath + "/1", ""},
			{"GET", collectionPath + "?id=[1]", ""},
			{"POST", collectionPath, `{"CoworkerContractId":1001,"FullName":"X"}`},
			{"PUT", collectionPath, `{"Id":1,"CoworkerContractId":1001,"FullName":"X"}`},
			{"DELETE", collectionPath + "/1", ""},
		} {
			if status, _ := h.doAuth(req.method, req.path, req.body, ""); status != 401 {
				t.Errorf("%s %s: status %d, want 401", req.method, req.path, status)
			}
		}
		if h.srv.Count() != 3 {
			t.Error("an unauthenticated write had an effect")
		}
	})
	t.Run("random token when none configured", func(t *testing.T) {
		s, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := New(Config{})
		if len(s.Token()) < 32 || s.Token() == s2.Token() {
			t.Errorf("tokens %q and %q are not random", s.Token(), s2.Token())
		}
	})
}

func TestTokenEndpoint(t *testing.T) {
	clk := newClock()
	h := start(t, Config{User: User{Email: "admin@example.com", Password: "pw"}, Now: clk.Now, TokenTTL: time.Hour})
	password := url.Values{"grant_type": {"password"}, "username": {"admin@example.com"}, "password": {"pw"}}

	t.Run("JSON body is refused", func(t *testing.T) {
		status, ans := h.postToken(password, "application/json", "")
		if status != 400 || ans["error"] != "unsupported_grant_type" {
			t.Errorf("status %d %v", status, ans)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		bad := url.Values{"grant_type": {"password"}, "username": {"admin@example.com"}, "password": {"nope"}}
		status, ans := h.postToken(bad, form, "")
		if status != 400 || ans["error"] != "invalid_grant" || ans["error_description"] != "The user name or password is incorrect." {
			t.Errorf("status %d %v", status, ans)
		}
	})
	t.Run("unknown grant type", func(t *testing.T) {
		status, ans := h.postToken(url.Values{"grant_type": {"client_credentials"}}, form, "")
		if status != 400 || ans["error"] != "unsupported_grant_type" {
			t.Errorf("status %d %v", status, ans)
		}
	})

	status, ans := h.postToken(password, form+"; charset=utf-8", "")
	if status != 200 || ans["token_type"] != "bearer" || ans["expires_in"] != float64(3600) {
		t.Fatalf("password grant: status %d %v", status, ans)
	}
	access, refresh := ans["access_token"].(string), ans["refresh_token"].(string)
	if access == "" || refresh == "" || access == h.srv.Token() {
		t.Fatalf("tokens %q %q", access, refresh)
	}
	if status, _ := h.doAuth("GET", collectionPath, "", "Bearer "+access); status != 200 {
		t.Errorf("issued token: status %d", status)
	}
	id := h.createAs("Bearer "+access, `{"CoworkerContractId":1001,"FullName":"By login"}`)
	if r := h.record(id); r.UpdatedBy == nil || *r.UpdatedBy != "admin@example.com" {
		t.Errorf("UpdatedBy %v", r.UpdatedBy)
	}

	t.Run("refresh needs the same client_id", func(t *testing.T) {
		status, ans := h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, form, "someone-else")
		if status != 400 || ans["error"] != "invalid_grant" {
			t.Errorf("status %d %v", status, ans)
		}
		status, ans = h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, form, "")
		if status != 400 {
			t.Errorf("no client_id: status %d %v", status, ans)
		}
	})

	clk.Advance(time.Hour) // the access token expires
	if status, _ := h.doAuth("GET", collectionPath, "", "Bearer "+access); status != 401 {
		t.Errorf("expired token: status %d, want 401", status)
	}

	status, ans = h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, form, "admin@example.com")
	if status != 200 {
		t.Fatalf("refresh: status %d %v", status, ans)
	}
	access2, refresh2 := ans["access_token"].(string), ans["refresh_token"].(string)
	if access2 == access || refresh2 == refresh || refresh2 == "" {
		t.Errorf("refresh did not rotate both tokens")
	}
	if status, _ := h.doAuth("GET", collectionPath, "", "Bearer "+access2); status != 200 {
		t.Errorf("refreshed token: status %d", status)
	}
	status, ans = h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, form, "admin@example.com")
	if status != 400 || ans["error"] != "invalid_grant" {
		t.Errorf("old refresh token reused: status %d %v", status, ans)
	}

	t.Run("client_id sent at sign-in is the one refresh needs", func(t *testing.T) {
		_, ans := h.postToken(password, form, "my-app")
		rt := ans["refresh_token"].(string)
		if status, _ := h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, form, "admin@example.com"); status != 400 {
			t.Errorf("email instead of client_id: status %d, want 400", status)
		}
		if status, _ := h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, form, "my-app"); status != 200 {
			t.Errorf("same client_id: status %d, want 200", status)
		}
	})
	t.Run("refresh tokens expire", func(t *testing.T) {
		_, ans := h.postToken(password, form, "")
		rt := ans["refresh_token"].(string)
		clk.Advance(16 * 24 * time.Hour)
		if status, _ := h.postToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, form, "admin@example.com"); status != 400 {
			t.Errorf("expired refresh token: status %d, want 400", status)
		}
	})
	t.Run("no user configured refuses password login", func(t *testing.T) {
		n := start(t, Config{})
		empty := url.Values{"grant_type": {"password"}, "username": {""}, "password": {""}}
		if status, ans := n.postToken(empty, form, ""); status != 400 || ans["error"] != "invalid_grant" {
			t.Errorf("status %d %v", status, ans)
		}
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		if status, _ := h.doAuth("GET", tokenPath, "", ""); status != 405 {
			t.Errorf("status %d, want 405", status)
		}
	})
}

func (h *harness) createAs(auth, body string) int64 {
	h.t.Helper()
	status, b := h.doAuth("POST", collectionPath, body, auth)
	if status != 200 {
		h.t.Fatalf("create: status %d: %s", status, b)
	}
	var ans struct{ Value struct{ Id int64 } }
	if err := json.Unmarshal(b, &ans); err != nil {
		h.t.Fatal(err)
	}
	return ans.Value.Id
}

func TestTOTP(t *testing.T) {
	// RFC 6238 appendix B, SHA1: the secret "12345678901234567890".
	const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for _, tc := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := TOTP(rfcSecret, time.Unix(tc.unix, 0))
		if err != nil || got != tc.want {
			t.Errorf("TOTP at %d = %q, %v; want %q", tc.unix, got, err, tc.want)
		}
	}
	if _, err := TOTP("not base32!", time.Now()); err == nil {
		t.Error("TOTP accepted a bad secret")
	}
	if _, err := New(Config{User: User{Email: "a@b.c", Password: "p", TOTPSecret: "!!"}}); err == nil {
		t.Error("New accepted a bad TOTP secret")
	}

	clk := newClock()
	h := start(t, Config{User: User{Email: "admin@example.com", Password: "pw", TOTPSecret: rfcSecret}, Now: clk.Now})
	base := url.Values{"grant_type": {"password"}, "username": {"admin@example.com"}, "password": {"pw"}}
	withCode := func(code string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("totp", code)
		return v
	}
	now, _ := TOTP(rfcSecret, clk.Now())
	prev, _ := TOTP(rfcSecret, clk.Now().Add(-30*time.Second))
	old, _ := TOTP(rfcSecret, clk.Now().Add(-5*time.Minute))
	tests := []struct {
		name      string
		form      url.Values
		status    int
		wantError string
	}{
		{"no code", base, 400, "two_factor_auth_check"},
		{"current code", withCode(now), 200, ""},
		{"previous step still accepted", withCode(prev), 200, ""},
		{"old code", withCode(old), 400, "invalid_grant"},
		{"garbage code", withCode("12ab56"), 400, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, ans := h.postToken(tc.form, form, "")
			if status != tc.status || (tc.wantError != "" && ans["error"] != tc.wantError) {
				t.Errorf("status %d %v, want %d %s", status, ans, tc.status, tc.wantError)
			}
		})
	}
	t.Run("basic auth refused for a two-factor user", func(t *testing.T) {
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin@example.com:pw"))
		if status, _ := h.doAuth("GET", collectionPath, "", auth); status != 401 {
			t.Errorf("status %d, want 401", status)
		}
	})
}
