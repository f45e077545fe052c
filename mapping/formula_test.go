package mapping

import "testing"

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text", "Ada Lovelace", "Ada Lovelace"},
		{"formula", "=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"plus formula", "+A1+A2", "'+A1+A2"},
		{"minus formula", "-2+3*cmd|' /C calc'!A0", "'-2+3*cmd|' /C calc'!A0"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\tx", "'\tx"},
		{"carriage return", "\rx", "'\rx"},
		{"negative number", "-12.5", "-12.5"},
		{"positive number", "+3", "+3"},
		{"phone", "+44 20 7946 0000", "+44 20 7946 0000"},
		{"phone with brackets", "+1 (555) 010-0199", "+1 (555) 010-0199"},
		{"lone sign", "-", "'-"},
		{"apostrophe text", "'hello", "'hello"},
		{"apostrophe before a formula", "'=x", "''=x"},
		{"apostrophes before a formula", "''+A1", "'''+A1"},
		{"apostrophe before a phone", "'+44 20 7946 0000", "'+44 20 7946 0000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Quote(tc.in)
			if got != tc.want {
				t.Fatalf("Quote(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if back := Unquote(got); back != tc.in {
				t.Fatalf("Unquote(Quote(%q)) = %q", tc.in, back)
			}
		})
	}
}
