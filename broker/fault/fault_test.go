package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name   string
		err    error
		kind   Kind
		reason string
	}{
		{"unclassified is transient", base, Transient, "internal"},
		{"permanent", AsPermanent("schema_violation", base), Permanent, "schema_violation"},
		{"wrapped permanent", fmt.Errorf("decode: %w", AsPermanent("malformed", base)), Permanent, "malformed"},
		{"transient", AsTransient("store_unavailable", base), Transient, "store_unavailable"},
		{"permanentf", Permanentf("denied", "role %q", "x"), Permanent, "denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.kind)
			}
			if got := ReasonOf(tt.err); got != tt.reason {
				t.Errorf("ReasonOf(%v) = %q, want %q", tt.err, got, tt.reason)
			}
			if !errors.Is(tt.err, base) && tt.name != "permanentf" {
				t.Errorf("errors.Is(%v, base) = false", tt.err)
			}
		})
	}
	if AsPermanent("x", nil) != nil || AsTransient("x", nil) != nil {
		t.Error("nil error must stay nil")
	}
}
