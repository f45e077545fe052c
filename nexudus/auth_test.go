package nexudus

import "testing"

// TestTokenHost: tokens are issued by spaces.nexudus.com, not by a
// space's own domain; a loopback URL (a sandbox) issues its own.
func TestTokenHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, token, want string
	}{
		{"https://spaces.nexudus.com", "", DefaultBaseURL},
		{"https://coworking.example.com", "", DefaultBaseURL},
		{"https://myspace.spaces.nexudus.com/", "", DefaultBaseURL},
		{"http://127.0.0.1:8080", "", "http://127.0.0.1:8080"},
		{"http://localhost:9/prefix", "", "http://localhost:9/prefix"},
		{"https://coworking.example.com", "https://auth.example.com", "https://auth.example.com"},
	}
	for _, tc := range tests {
		c, err := New(Config{BaseURL: tc.base, TokenURL: tc.token})
		if err != nil {
			t.Fatalf("New(%s): %v", tc.base, err)
		}
		if got := c.tokenURL.String(); got != tc.want {
			t.Errorf("token host for %s = %s, want %s", tc.base, got, tc.want)
		}
	}
	if _, err := New(Config{TokenURL: "http://auth.example.com"}); err == nil {
		t.Error("a plain-http token URL was accepted")
	}
}

func TestNewClientID(t *testing.T) {
	t.Parallel()
	a, err := newClientID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newClientID()
	if a == b || len(a) != 36 || a[14] != '4' {
		t.Errorf("client ids %q and %q, want two random version-4 GUIDs", a, b)
	}
}
