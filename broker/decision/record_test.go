package decision

import (
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/identity"
)

func TestRecordName(t *testing.T) {
	dir := map[string]any{"directory": map[string]any{"user_name": "alice@example.com", "user_id": "u-1"}}
	for _, tt := range []struct {
		name string
		id   Identity
		want string
	}{
		{"the directory's name wins over the token's", Identity{Token: identity.Principal{ID: "00u123"}, Facts: dir}, "alice@example.com"},
		{"no directory entry: the verified principal", Identity{Token: identity.Principal{ID: "00u123"}, Facts: map[string]any{}}, "00u123"},
		{"an unverified token: its fingerprint", Identity{}, "unverified:" + identity.Fingerprint("tok")},
	} {
		if got := tt.id.RecordName("tok"); got != tt.want {
			t.Errorf("%s: RecordName = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := (Identity{Facts: dir}).DirectoryField("user_id"); got != "u-1" {
		t.Errorf("DirectoryField(user_id) = %q", got)
	}
	if got := RecordName(nil, "", "tok"); !strings.HasPrefix(got, "unverified:") || strings.Contains(got, "tok") {
		t.Errorf("RecordName without facts = %q: want a fingerprint, never the token", got)
	}
}
