package sandbox

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// client is who made a request: key identifies it for the rate limits (the
// configured token, or the user behind a Basic login or an issued token;
// hashed, so that no token is kept in the limiter), user the name written
// into UpdatedBy.
type client struct {
	key  string
	user string
}

// issued is one grant of /api/token.
type issued struct {
	clientID string // the client_id at sign-in (the email when none was sent)
	user     string
	expires  time.Time
}

// authenticate checks the Authorization header: the configured token, an
// unexpired token issued by /api/token, or Basic auth with the user's
// email and password.
func (s *Server) authenticate(r *http.Request) (client, bool) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		if subtle.ConstantTimeCompare([]byte(cred), []byte(s.token)) == 1 {
			return client{key: keyOf("bearer", cred), user: s.updatedBy()}, true
		}
		s.authMu.Lock()
		g, ok := s.access[cred]
		if ok && !s.now().Before(g.expires) {
			delete(s.access, cred)
			ok = false
		}
		s.authMu.Unlock()
		if ok {
			// Limits follow the user, so that signing in again or
			// refreshing does not start a fresh allowance.
			return client{key: keyOf("user", strings.ToLower(g.user)), user: g.user}, true
		}
	case strings.EqualFold(scheme, "Basic"):
		email, password, ok := r.BasicAuth()
		u := s.cfg.User
		if ok && u.Email != "" && u.TOTPSecret == "" && strings.EqualFold(email, u.Email) &&
			subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) == 1 {
			return client{key: keyOf("user", strings.ToLower(email)), user: u.Email}, true
		}
	}
	return client{}, false
}

// updatedBy is the name written into UpdatedBy for the configured token.
func (s *Server) updatedBy() string {
	if s.cfg.User.Email != "" {
		return s.cfg.User.Email
	}
	return "admin@example.com"
}

func keyOf(kind, cred string) string {
	sum := sha256.Sum256([]byte(kind + ":" + cred))
	return hex.EncodeToString(sum[:12])
}

// serveToken answers POST /api/token: the password and refresh_token grants.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		tokenError(w, "unsupported_grant_type", "")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "The request body could not be read.")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "password":
		s.passwordGrant(w, r)
	case "refresh_token":
		s.refreshGrant(w, r)
	default:
		tokenError(w, "unsupported_grant_type", "")
	}
}

func (s *Server) passwordGrant(w http.ResponseWriter, r *http.Request) {
	u := s.cfg.User
	email, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	if u.Email == "" || !strings.EqualFold(email, u.Email) ||
		subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1 {
		tokenError(w, "invalid_grant", "The user name or password is incorrect.")
		return
	}
	if u.TOTPSecret != "" {
		code := strings.TrimSpace(r.PostForm.Get("totp"))
		if code == "" {
			tokenError(w, "two_factor_auth_check", "This account uses two-factor sign-in: send the current code as totp.")
			return
		}
		if !validTOTP(u.TOTPSecret, code, s.now()) {
			tokenError(w, "invalid_grant", "The two-factor code is incorrect.")
			return
		}
	}
	clientID := clientIDOf(r)
	if clientID == "" {
		clientID = email
	}
	s.grant(w, clientID, u.Email)
}

// clientIDOf is the client_id a token request sends: a header, or a form
// field.
func clientIDOf(r *http.Request) string {
	if id := r.Header.Get("client_id"); id != "" {
		return id
	}
	return r.PostForm.Get("client_id")
}

func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request) {
	rt := r.PostForm.Get("refresh_token")
	clientID := clientIDOf(r)
	s.authMu.Lock()
	g, ok := s.refresh[rt]
	if ok && !s.now().Before(g.expires) {
		delete(s.refresh, rt)
		ok = false
	}
	if ok && !strings.EqualFold(clientID, g.clientID) {
		ok = false
	}
	if ok {
		delete(s.refresh, rt)
	}
	s.authMu.Unlock()
	if rt == "" || !ok {
		tokenError(w, "invalid_grant", "The refresh token is invalid or has expired.")
		return
	}
	s.grant(w, g.clientID, g.user)
}

// grant issues a new access token and refresh token; as Nexudus does, it
// invalidates every older refresh token of the same client_id (access
// tokens stay valid until they expire).
func (s *Server) grant(w http.ResponseWriter, clientID, user string) {
	now := s.now()
	access, refresh := randomToken(), randomToken()
	s.authMu.Lock()
	for rt, g := range s.refresh {
		if strings.EqualFold(g.clientID, clientID) {
			delete(s.refresh, rt)
		}
	}
	s.access[access] = issued{clientID: clientID, user: user, expires: now.Add(s.cfg.TokenTTL)}
	s.refresh[refresh] = issued{clientID: clientID, user: user, expires: now.Add(s.cfg.RefreshTTL)}
	s.authMu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"token_type":    "bearer",
		"expires_in":    int64(s.cfg.TokenTTL / time.Second),
		"refresh_token": refresh,
	})
}

func tokenError(w http.ResponseWriter, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	writeJSON(w, http.StatusBadRequest, body)
}

// decodeSecret reads a base32 TOTP secret, ignoring case, spaces and padding.
func decodeSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(secret), " ", ""))
	s = strings.TrimRight(s, "=")
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base32")
	}
	if len(key) == 0 {
		return nil, errors.New("empty")
	}
	return key, nil
}

// TOTP returns the RFC 6238 code (SHA1, 30 s steps, 6 digits) of a base32
// secret at time t; it returns an error when the secret is not base32.
func TOTP(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return totpAt(key, t.Unix()/30), nil
}

func totpAt(key []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1000000)
}

// validTOTP accepts the code of the current step or either neighbour.
func validTOTP(secret, code string, now time.Time) bool {
	key, err := decodeSecret(secret)
	if err != nil {
		return false
	}
	step := now.Unix() / 30
	for d := int64(-1); d <= 1; d++ {
		if subtle.ConstantTimeCompare([]byte(totpAt(key, step+d)), []byte(code)) == 1 {
			return true
		}
	}
	return false
}
