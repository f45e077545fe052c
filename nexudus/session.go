package nexudus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"contactbulk/safefile"
)

// Session is what a sign-in at /api/token yields: the access token, the
// refresh token that renews it, when the access token expires, the
// client_id the refresh must be sent with (a GUID of this login's own; a
// login saved by an older version has the email there, which keeps
// working until the next sign-in) and the email signed in with.
type Session struct {
	BaseURL      string    `json:"base_url"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
	ClientID     string    `json:"client_id"`
	Email        string    `json:"email,omitempty"`
}

// User returns who the session signed in as: Email, or for a login saved
// before it was kept, the client_id, which was the email then.
func (s *Session) User() string {
	if s.Email != "" {
		return s.Email
	}
	return s.ClientID
}

// SessionStore keeps one saved Session per base URL in Dir, each in a file
// only the user may read (0600, directory 0700).
type SessionStore struct {
	Dir string
}

// keyOf names a base URL in file names.
func keyOf(baseURL string) string {
	sum := sha256.Sum256([]byte(strings.TrimRight(baseURL, "/")))
	return hex.EncodeToString(sum[:8])
}

// Path returns the file holding the session for baseURL.
func (s SessionStore) Path(baseURL string) string {
	return filepath.Join(s.Dir, "session-"+keyOf(baseURL)+".json")
}

// Load returns the session saved for baseURL, or nil and no error when
// there is none.
func (s SessionStore) Load(baseURL string) (*Session, error) {
	if s.Dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(s.Path(baseURL))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read saved login: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return nil, fmt.Errorf("read saved login %s: not valid JSON (run `contactbulk login` again)", s.Path(baseURL))
	}
	if sess.AccessToken == "" && sess.RefreshToken == "" {
		return nil, nil
	}
	return &sess, nil
}

// Save writes sess for baseURL, replacing any earlier one atomically.
func (s SessionStore) Save(baseURL string, sess Session) error {
	if s.Dir == "" {
		return errors.New("save login: no config directory")
	}
	sess.BaseURL = strings.TrimRight(baseURL, "/")
	b, err := json.MarshalIndent(sess, "", "  ")
	if err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	if err := writePrivate(s.Path(baseURL), b); err != nil {
		return fmt.Errorf("save login: %w", err)
	}
	return nil
}

// Remove deletes the session saved for baseURL; it reports whether there
// was one.
func (s SessionStore) Remove(baseURL string) (bool, error) {
	if s.Dir == "" {
		return false, nil
	}
	err := os.Remove(s.Path(baseURL))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remove saved login: %w", err)
	}
	return true, nil
}

// writePrivate writes b to path, complete or not at all, the file 0600
// and its directory 0700.
func writePrivate(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return safefile.WriteFile(path, b)
}
