package mapping

// Spreadsheet programs run a cell that starts with =, +, -, @, tab or
// carriage return as a formula (CSV injection). Exports and results files
// neutralise such cells with a leading apostrophe; imports undo it, so an
// export fed back to import keeps every value as it was.

// NeedsQuote reports whether a spreadsheet would run s as a formula, or s
// is an apostrophe before such a cell (quoted again so that Unquote gives
// it back whole). Plain numbers ("-12.5") and phone numbers
// ("+44 20 7946 0000") are left alone.
func NeedsQuote(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		return !isNumberOrPhone(s[1:])
	case '\'':
		// Already looks quoted: Unquote would take the apostrophe off.
		return NeedsQuote(s[1:])
	}
	return false
}

// Quote returns s with a leading apostrophe when NeedsQuote(s), else s.
func Quote(s string) string {
	if NeedsQuote(s) {
		return "'" + s
	}
	return s
}

// Unquote undoes Quote: it drops a leading apostrophe that Quote would have
// added, and leaves every other value as it is.
func Unquote(s string) string {
	if len(s) > 1 && s[0] == '\'' && NeedsQuote(s[1:]) {
		return s[1:]
	}
	return s
}

// isNumberOrPhone reports whether s (after a leading sign) is a plain
// number or a phone number: digits with spaces, dots, hyphens, slashes and
// parentheses, at least one digit and nothing else.
func isNumberOrPhone(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '/':
		default:
			return false
		}
	}
	return digits > 0
}
