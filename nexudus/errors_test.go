package nexudus

import (
	"strings"
	"testing"
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
