package dataproc

import (
	"regexp"
	"strings"
	"testing"
)

func TestIDs(t *testing.T) {
	batchID := regexp.MustCompile(`^[a-z][a-z0-9-]{3,62}$`)
	requestID := regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	label := regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	for _, key := range []string{"", "a", "projects/x/events/123", strings.Repeat("k", 500), "ÜñÎ©ødé"} {
		id := ID(key)
		if !batchID.MatchString(id) || !requestID.MatchString(id) || id != ID(key) {
			t.Errorf("ID(%q) = %q, want a stable valid batch_id and request_id", key, id)
		}
		if l := RequestLabel(key); key != "" && !label.MatchString(l) {
			t.Errorf("RequestLabel(%q) = %q, want a valid label value", key, l)
		}
	}
	if ID("a") == ID("b") {
		t.Error("ID(a) == ID(b)")
	}
	tests := []struct{ in, want string }{
		{"req-1", "req-1"},
		{"0b6f7c1e-UUID", "r-0b6f7c1e-uuid"},
		{"a@b.com", "a-b-com"},
		{strings.Repeat("x", 70), strings.Repeat("x", 63)},
	}
	for _, tt := range tests {
		if got := RequestLabel(tt.in); got != tt.want {
			t.Errorf("RequestLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	keyed, plain := PrincipalLabel([]byte("k"), "alice@example.com"), PrincipalLabel(nil, "alice@example.com")
	if keyed == plain || !label.MatchString(keyed) || strings.Contains(keyed, "alice") || len(keyed) != 33 {
		t.Errorf("PrincipalLabel() = %q (keyed), %q (plain); want distinct opaque label values", keyed, plain)
	}
}
