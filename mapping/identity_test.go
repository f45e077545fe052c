package mapping

import (
	"testing"
	"unicode/utf8"
)

func TestNameKey(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"Ann Lee", "ann lee", " ANN  LEE ", "Ann\u00a0Lee", "ann\tlee"},
		{"José Martínez", "JOSE\u0301 MARTI\u0301NEZ", "josé martínez"},
		{"Straße", "STRASSE", "strasse"},
		{"王芳", " 王芳 "},
	}
	for _, group := range same {
		want := NameKey(group[0])
		for _, s := range group[1:] {
			if got := NameKey(s); got != want {
				t.Errorf("NameKey(%q) = %q, want %q as for %q", s, got, want, group[0])
			}
		}
	}
	differ := [][2]string{{"Ann Lee", "Anne Lee"}, {"Ann Lee", "AnnLee"}, {"José", "Jose"}}
	for _, d := range differ {
		if NameKey(d[0]) == NameKey(d[1]) {
			t.Errorf("NameKey(%q) == NameKey(%q); they are different names", d[0], d[1])
		}
	}
}

func TestFieldKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  func(string) string
		a, b string
		same bool
	}{
		{"email case", EmailKey, "Ann.Lee@Example.COM", " ann.lee@example.com", true},
		{"email differs", EmailKey, "ann@example.com", "ann.lee@example.com", false},
		{"phone spacing", PhoneKey, "+44 20 7946 0000", "+442079460000", true},
		{"phone punctuation", PhoneKey, "+44 (20) 7946-0000", "+44.20.7946.0000", true},
		{"phone plus matters", PhoneKey, "+44 20 7946 0000", "44 20 7946 0000", false},
		{"phone leading zero matters", PhoneKey, "020 7946 0000", "20 7946 0000", false},
		{"phone extension kept", PhoneKey, "020 7946 0000 x12", "020 7946 0000", false},
		{"post code spacing and case", PostCodeKey, "sw1a 1aa", "SW1A1AA", true},
		{"post code zeros", PostCodeKey, "02134", "2134", false},
		{"text spacing", TextKey, " 1  High Street ", "1 High Street", true},
		{"text case matters", TextKey, "1 high street", "1 High Street", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.key(tc.a) == tc.key(tc.b); got != tc.same {
				t.Errorf("%q and %q: same = %v, want %v (%q, %q)", tc.a, tc.b, got, tc.same, tc.key(tc.a), tc.key(tc.b))
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	coworker := int64(2001)
	a := Contact{CoworkerContractID: 1001, FullName: "Ann Lee", ContractContactType: TypeDirector}
	b := Contact{CoworkerContractID: 1001, FullName: " ann  LEE", Email: "other@example.com", ContractContactType: TypeDirector}
	if IdentityOf(a) != IdentityOf(b) {
		t.Errorf("%v and %v: want one identity", IdentityOf(a), IdentityOf(b))
	}
	for name, c := range map[string]Contact{
		"other contract": {CoworkerContractID: 1002, FullName: "Ann Lee", ContractContactType: TypeDirector},
		"other type":     {CoworkerContractID: 1001, FullName: "Ann Lee", ContractContactType: TypeNominatedRecipient},
		"linked":         {CoworkerContractID: 1001, FullName: "Ann Lee", CoworkerID: &coworker, ContractContactType: TypeDirector},
	} {
		if IdentityOf(c) == IdentityOf(a) || IdentityOf(c).Key() == IdentityOf(a).Key() {
			t.Errorf("%s: %v has the identity of %v", name, IdentityOf(c), IdentityOf(a))
		}
	}
	linked := Contact{CoworkerContractID: 1001, FullName: "Whatever", CoworkerID: &coworker, ContractContactType: TypeDirector}
	if got, want := IdentityOf(linked).Key(), "1001/1/coworker:2001"; got != want {
		t.Errorf("linked key %q, want %q (the name does not count)", got, want)
	}
}

// FuzzNameKey checks that a key is its own key, holds no surrounding or
// doubled spaces, and ignores ASCII case.
func FuzzNameKey(f *testing.F) {
	for _, s := range []string{"Ann Lee", " ann  lee ", "José", "Straße", "ǅ", "ﬁ", "\u00a0x\u2003y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		k := NameKey(s)
		if NameKey(k) != k {
			t.Errorf("NameKey(%q) = %q, whose key is %q", s, k, NameKey(k))
		}
		if k != collapseSpace(k) {
			t.Errorf("NameKey(%q) = %q keeps surrounding or doubled spaces", s, k)
		}
	})
}

func TestNearName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		near bool
	}{
		{"Ann Lee", "Ann Leigh", true},
		{"Jon Smith", "John Smith", true},
		{"Zoe Ashford", "ZOË  ashford", true},
		{"Ann Lee", "Bob Roe", false},
		{"Ann Lee", "", false},
		{"Li", "Wu", true}, // short names: up to three letters may change
		{"Al", "Alexander", false},
	} {
		if got := NearName(tc.a, tc.b); got != tc.near {
			t.Errorf("NearName(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.near)
		}
	}
}
