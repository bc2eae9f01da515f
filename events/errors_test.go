package events

import (
	"errors"
	"testing"

	"github.com/dataproc-iis/iis/broker/fault"
)

func reasonOf(err error) string { return fault.ReasonOf(err) }

// wantFault fails unless err is a permanent *fault.Error with the reason.
func wantFault(t *testing.T, call string, err error, reason string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s = nil, want a %s error", call, reason)
		return
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Permanent {
		t.Errorf("%s = %v (%T), want a permanent *fault.Error", call, err, err)
	}
	if got := fault.ReasonOf(err); got != reason {
		t.Errorf("%s reason = %q (%v), want %q", call, got, err, reason)
	}
}
