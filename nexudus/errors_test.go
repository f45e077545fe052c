package nexudus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNewAPIError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantMsg    string
		wantFields int
		wantError  string
	}{
		{"validation", 400, `{"Message":"FullName: required","Errors":[{"AttemptedValue":null,"Message":"required","PropertyName":"FullName"}]}`,
			"FullName: required", 1, "FullName: required"},
		{"token refusal", 400, `{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`,
			"The user name or password is incorrect. (invalid_grant)", 0, "nexudus: 400: The user name or password is incorrect. (invalid_grant)"},
		{"token code only", 400, `{"error":"unsupported_grant_type"}`, "unsupported_grant_type", 0, "nexudus: 400: unsupported_grant_type"},
		{"plain text", 409, "You must wait before accessing this url again.", "You must wait before accessing this url again.", 0, "nexudus: 409: You must wait"},
		{"html page", 502, "<html><body>Bad gateway</body></html>", "", 0, "nexudus: HTTP 502"},
		{"empty", 500, "", "", 0, "nexudus: HTTP 500"},
		{"long text is cut", 500, strings.Repeat("x", 300), strings.Repeat("x", 200) + "...", 0, "nexudus: 500: xxx"},
		{"401 says how to fix it", 401, `{"Message":"Authorization has been denied for this request."}`,
			"Authorization has been denied for this request: " + unauthorizedHint, 0, "run `contactbulk login` or set NEXUDUS_TOKEN"},
		{"401 without a body", 401, "", unauthorizedHint, 0, "run `contactbulk login`"},
		// Server text reaches a terminal: no escape sequences, no split characters.
		{"escape sequences are dropped", 400, `{"Message":"bad\u001b[2J\u001b]0;title\u0007 value\u009b31m\u007f"}`,
			"bad[2J]0;title value31m", 0, "nexudus: 400: bad[2J]0;title value31m"},
		{"line breaks and tabs", 400, `{"Message":"FullName: required\r\nEmail:\tinvalid\n\n"}`,
			"FullName: required; Email: invalid", 0, "nexudus: 400: FullName: required; Email: invalid"},
		{"escapes in the fields", 400, `{"Errors":[{"PropertyName":"Full\u001bName","Message":"too\u001b[31m long\u0000"}]}`,
			"", 1, "FullName: too[31m long"},
		{"escapes in a token refusal", 400, `{"error":"invalid\u001b_grant","error_description":"no\u001b[5m"}`,
			"no[5m (invalid_grant)", 0, "no[5m (invalid_grant)"},
		{"escapes in plain text", 409, "wait\x1b[1m\x9b now", "wait[1m\ufffd now", 0, "nexudus: 409: wait[1m"},
		{"long text is cut on a character boundary", 500, strings.Repeat("x", 199) + "éyyy", strings.Repeat("x", 199) + "é...", 0, "nexudus: 500: xxx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIError(tc.status, []byte(tc.body))
			if e.Status != tc.status || e.Message != tc.wantMsg || len(e.Fields) != tc.wantFields {
				t.Errorf("newAPIError = {%d %q %d fields}, want {%d %q %d fields}", e.Status, e.Message, len(e.Fields), tc.status, tc.wantMsg, tc.wantFields)
			}
			if !strings.Contains(e.Error(), tc.wantError) {
				t.Errorf("Error() = %q, want it to contain %q", e.Error(), tc.wantError)
			}
		})
	}
}

func TestAnswerError(t *testing.T) {
	no := false
	tests := []struct {
		name       string
		answer     writeAnswer
		wantStatus int
		wantMsg    string
	}{
		{"status from the body", writeAnswer{Status: 422, Message: "nope", WasSuccessful: &no}, 422, "nope"},
		{"no status: a 400", writeAnswer{WasSuccessful: &no, Message: "nope"}, 400, "nope"},
		{"nothing said", writeAnswer{WasSuccessful: &no}, 400, "the server answered WasSuccessful: false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := answerError(200, tc.answer)
			if e.Status != tc.wantStatus || e.Message != tc.wantMsg {
				t.Errorf("answerError = {%d %q}, want {%d %q}", e.Status, e.Message, tc.wantStatus, tc.wantMsg)
			}
		})
	}
}

// FuzzNewAPIError: whatever a server answers, the error's text is valid
// UTF-8 without control characters (a terminal's escape sequences start
// with one), and a plain-text answer is cut to 200 characters.
func FuzzNewAPIError(f *testing.F) {
	for _, seed := range []string{
		`{"Message":"a\u001b[2Jb"}`, `{"Errors":[{"PropertyName":"x\u009b","Message":"y\n"}]}`,
		`{"error":"e\u0007","error_description":"d\r"}`, "plain \x1b[31m text", strings.Repeat("é", 150), "\xff\x9b1m",
	} {
		f.Add(400, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newAPIError(status, body)
		texts := []string{e.Message, e.Error()}
		for _, fe := range e.Fields {
			texts = append(texts, fe.PropertyName, fe.Message)
		}
		for _, text := range texts {
			if !utf8.ValidString(text) {
				t.Fatalf("%q is not UTF-8", text)
			}
			for _, r := range text {
				if r < 0x20 || r >= 0x7f && r < 0xa0 {
					t.Fatalf("%q holds the control character %U", text, r)
				}
			}
		}
		if json := len(body) > 0 && (body[0] == '{' || body[0] == '['); !json && status != 401 {
			if n := utf8.RuneCountInString(strings.TrimSuffix(e.Message, "...")); n > 200 {
				t.Fatalf("plain-text message of %d characters, want at most 200", n)
			}
		}
	})
}
