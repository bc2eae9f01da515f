package throughput

import "testing"

// TestRig runs a few requests through each mode on SQLite, so that the
// benchmarks' harness keeps working between benchmark runs.
func TestRig(t *testing.T) {
	for _, m := range []mode{transportOnly, noop, decide, execute} {
		t.Run(string(m), func(t *testing.T) {
			r := newRig(t, m, "sqlite", 1)
			d := r.run(r.requests(10))
			if d <= 0 {
				t.Errorf("run(10 requests) took %v, want > 0", d)
			}
			t.Logf("10 requests decided in %v", d)
		})
	}
}
