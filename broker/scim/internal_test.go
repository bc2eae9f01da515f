package scim

import (
	"slices"
	"testing"

	"github.com/dataproc-iis/iis/events"
)

func TestExtractValuePaths(t *testing.T) {
	tests := []struct {
		in, want string
		vps      []string
	}{
		{`emails[type eq "work"].value eq "x"`, `emails.iisValuePath0 pr`, []string{`(type eq "work") and value eq "x"`}},
		{`emails[type eq "w]."].value eq "a\"b"`, `emails.iisValuePath0 pr`, []string{`(type eq "w].") and value eq "a\"b"`}},
		{`userName eq "a" and emails[type eq "work"].value eq "x"`, `userName eq "a" and emails.iisValuePath0 pr`, []string{`(type eq "work") and value eq "x"`}},
		{`emails[type eq "work"].value pr`, `emails.iisValuePath0 pr`, []string{`(type eq "work") and value pr`}},
		{`a[b eq 1].c eq 2 and d[e eq 3 or f pr].g eq true`, `a.iisValuePath0 pr and d.iisValuePath1 pr`, []string{`(b eq 1) and c eq 2`, `(e eq 3 or f pr) and g eq true`}},
		{`not(urn:x:2.0:User:emails[type eq "work"])`, `not(urn:x:2.0:User:emails.iisValuePath0 pr)`, []string{`type eq "work"`}},
		{`userName eq "x[y].z eq 1"`, `userName eq "x[y].z eq 1"`, nil},
		{`emails[type eq "work"]`, `emails.iisValuePath0 pr`, []string{`type eq "work"`}},
	}
	for _, tt := range tests {
		got, vps, err := extractValuePaths(tt.in)
		if err != nil || got != tt.want || !slices.Equal(vps, tt.vps) {
			t.Errorf("extractValuePaths(%q) = %q, %q, %v, want %q, %q", tt.in, got, vps, err, tt.want, tt.vps)
		}
	}
	for _, in := range []string{
		`emails[type eq "work"].`, `emails[type eq "work"].value eq "unterminated`, `emails[type eq "work"`,
		`emails[type eq "work"]]`, `[type eq "work"]`, `emails[a[b eq 1]]`, `emails.iisValuePath0 pr`, `x IISVALUEPATH`,
	} {
		if got, vps, err := extractValuePaths(in); err == nil && !(len(vps) == 0 && got == in) {
			t.Errorf("extractValuePaths(%q) = %q, %q, want an error or the filter unchanged", in, got, vps)
		}
	}
}

// validEmail must never pass an address the event schema refuses, or a
// write would fail on its event.
func TestValidEmailAgreesWithEventSchema(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"ada@example.com", true},
		{"Ada.King+scim@sub.example.co.uk", true},
		{"o'brien@example.com", true},
		{"ada@example.com.", true},
		{"ada", false},
		{"@example.com", false},
		{"ada@", false},
		{".ada@example.com", false},
		{"ada.@example.com", false},
		{"a..b@example.com", false},
		{"ada lovelace@example.com", false},
		{`"ada"@example.com`, false},
		{"ada@[127.0.0.1]", false},
		{"ada@-example.com", false},
		{"ada@exämple.com", false},
		{"ädä@example.com", false},
		{"ada@example..com", false},
	}
	for _, tt := range tests {
		if got := validEmail(tt.addr); got != tt.want {
			t.Errorf("validEmail(%q) = %v, want %v", tt.addr, got, tt.want)
		}
		if !tt.want {
			continue
		}
		_, err := events.NewUserProvisioned("//test", events.UserChange{
			User: events.User{ID: "u1", UserName: "ada", Active: true, Emails: []string{tt.addr}},
		})
		if err != nil {
			t.Errorf("validEmail(%q) = true but the event schema refuses it: %v", tt.addr, err)
		}
	}
}
