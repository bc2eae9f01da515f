package scim

import (
	"testing"

	"github.com/dataproc-iis/iis/events"
)

func TestRewriteValuePaths(t *testing.T) {
	tests := []struct{ in, want string }{
		{`emails[type eq "work"].value eq "x"`, `emails[type eq "work" and value eq "x"]`},
		{`emails[type eq "w]."].value eq "a\"b"`, `emails[type eq "w]." and value eq "a\"b"]`},
		{`userName eq "a" and emails[type eq "work"].value eq "x"`, `userName eq "a" and emails[type eq "work" and value eq "x"]`},
		{`emails[type eq "work"].value pr`, `emails[type eq "work" and value pr]`},
		{`a[b eq 1].c eq 2 and d[e eq 3].f eq true`, `a[b eq 1 and c eq 2] and d[e eq 3 and f eq true]`},
		{`userName eq "x[y].z eq 1"`, `userName eq "x[y].z eq 1"`},
		{`emails[type eq "work"].`, `emails[type eq "work"].`},
		{`emails[type eq "work"].value eq "unterminated`, `emails[type eq "work"].value eq "unterminated`},
		{`emails[type eq "work"]`, `emails[type eq "work"]`},
	}
	for _, tt := range tests {
		if got := rewriteValuePaths(tt.in); got != tt.want {
			t.Errorf("rewriteValuePaths(%q) = %q, want %q", tt.in, got, tt.want)
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
