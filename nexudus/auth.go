package nexudus

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenPath is where Nexudus issues tokens.
const tokenPath = "/api/token"

// refreshMargin renews an access token this long before it expires.
const refreshMargin = 30 * time.Second

// ErrTOTPRequired says the account signs in with a two-factor code and none
// (or a wrong one) was given.
var ErrTOTPRequired = errors.New("this account needs a two-factor code")

// tokenAnswer is the body of a successful /api/token answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// SignIn posts the password grant (with totp when not empty) to the token
// host's /api/token under a client_id of its own, a new random GUID, so
// that another application signing in with the same email does not
// invalidate this login's refresh token. It keeps the session for later
// calls and returns it (ClientID and Email set). A refused sign-in is an
// *APIError; an account that needs a code wraps ErrTOTPRequired too.
func (c *Client) SignIn(ctx context.Context, email, password, totp string) (Session, error) {
	form := url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}}
	if totp != "" {
		form.Set("totp", totp)
	}
	clientID, err := newClientID()
	if err != nil {
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	sess, err := c.grant(ctx, form, clientID)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusBadRequest || ae.Status == http.StatusUnauthorized) && (containsFold(ae.Message, "two_factor") || containsFold(ae.Message, "two-factor")) {
			return Session{}, fmt.Errorf("sign in: %w: %w", ErrTOTPRequired, err)
		}
		return Session{}, fmt.Errorf("sign in: %w", err)
	}
	sess.Email = email
	c.authMu.Lock()
	c.session = &sess
	c.authMu.Unlock()
	return sess, nil
}

// newClientID returns a random GUID (version 4) to sign in under.
func newClientID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a client id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// grant posts one form to the token host's /api/token, with clientID in
// the client_id header, and reads the tokens it answers.
func (c *Client) grant(ctx context.Context, form url.Values, clientID string) (Session, error) {
	h := http.Header{}
	h.Set("client_id", clientID)
	body, err := c.do(ctx, &request{method: http.MethodPost, path: tokenPath, body: []byte(form.Encode()),
		contentType: "application/x-www-form-urlencoded", header: h, kind: kindGrant, host: c.tokenURL})
	if err != nil {
		return Session{}, err
	}
	var ans tokenAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		return Session{}, errors.New("unexpected answer from /api/token")
	}
	if CheckToken(ans.AccessToken) != nil || CheckToken(ans.RefreshToken) != nil {
		return Session{}, errors.New("/api/token answered a token that cannot be sent back")
	}
	s := Session{BaseURL: c.cfg.BaseURL, AccessToken: ans.AccessToken, RefreshToken: ans.RefreshToken, ClientID: clientID}
	if ans.ExpiresIn > 0 {
		s.Expiry = c.cfg.Now().Add(time.Duration(ans.ExpiresIn) * time.Second)
	}
	return s, nil
}

// accessToken returns the token to send, refreshing a session that has
// expired or is about to.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	if c.cfg.Token != "" {
		return c.cfg.Token, nil
	}
	c.authMu.Lock()
	s := c.session
	c.authMu.Unlock()
	if s == nil {
		return "", &APIError{Status: http.StatusUnauthorized, Message: "not signed in: " + unauthorizedHint}
	}
	if !s.Expiry.IsZero() && c.cfg.Now().Add(refreshMargin).After(s.Expiry) && s.RefreshToken != "" {
		if err := c.refresh(ctx, s.AccessToken); err != nil {
			return "", err
		}
		c.authMu.Lock()
		s = c.session
		c.authMu.Unlock()
	}
	return s.AccessToken, nil
}

// canRefresh reports whether a 401 may be cured by refreshing.
func (c *Client) canRefresh() bool {
	if c.cfg.Token != "" {
		return false
	}
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return c.session != nil && c.session.RefreshToken != ""
}

// refresh renews the session with its refresh token, unless another call
// already replaced the access token stale was; it saves the rotated tokens.
func (c *Client) refresh(ctx context.Context, stale string) error {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.session == nil || c.session.AccessToken != stale {
		return nil
	}
	old := *c.session
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}}
	sess, err := c.grant(ctx, form, old.ClientID)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
			return &APIError{Status: http.StatusUnauthorized, Message: "the saved login has expired: run `contactbulk login` again or set NEXUDUS_TOKEN"}
		}
		return fmt.Errorf("refresh login: %w", err)
	}
	if sess.RefreshToken == "" {
		sess.RefreshToken = old.RefreshToken
	}
	sess.Email = old.Email
	c.session = &sess
	c.cfg.Logf("login refreshed; it now expires %s", sess.Expiry.Local().Format("2006-01-02 15:04"))
	if c.cfg.SaveSession != nil {
		if err := c.cfg.SaveSession(sess); err != nil {
			return fmt.Errorf("refresh login: %w", err)
		}
	}
	return nil
}

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
