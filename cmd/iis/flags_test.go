package main

import (
	"strings"
	"testing"
	"time"
)

// TestFlagsRefuseBadEnvironment: a malformed environment value is an error
// naming the variable, not a silent fallback to the default.
func TestFlagsRefuseBadEnvironment(t *testing.T) {
	for _, tc := range []struct{ env, value string }{
		{"IIS_TEST_BOOL", "ture"},
		{"IIS_TEST_INT", "ten"},
		{"IIS_TEST_DURATION", "30"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			var b bool
			var n int
			var d time.Duration
			f := newFlags("test", &syncBuffer{})
			f.Bool(&b, "b", "IIS_TEST_BOOL", false, "")
			f.Int(&n, "n", "IIS_TEST_INT", 1, "")
			f.Duration(&d, "d", "IIS_TEST_DURATION", time.Second, "")
			err := f.Parse(nil)
			if err == nil || !strings.Contains(err.Error(), tc.env) {
				t.Errorf("Parse with %s=%q = %v, want an error naming %s", tc.env, tc.value, err, tc.env)
			}
		})
	}
	t.Setenv("IIS_TEST_BOOL", "true")
	var b bool
	f := newFlags("test", &syncBuffer{})
	f.Bool(&b, "b", "IIS_TEST_BOOL", false, "")
	if err := f.Parse(nil); err != nil || !b {
		t.Errorf("Parse with IIS_TEST_BOOL=true = %v, b = %v; want nil, true", err, b)
	}
	// The flag still wins over the environment.
	if err := f.Parse([]string{"-b=false"}); err != nil || b {
		t.Errorf("Parse(-b=false) = %v, b = %v; want nil, false", err, b)
	}
}
