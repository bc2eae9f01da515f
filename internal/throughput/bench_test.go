package throughput

import (
	"fmt"
	"testing"
)

// BenchmarkEndToEnd publishes b.N job requests at once and reports how
// many decisions per second reached the audit topic. Compare:
//
//	transport  the ceiling: pstest and the client, one event per request
//	noop       + the broker: dedupe, store transaction, audit chain, relay
//	decide     + the decision: token, directory, policy
//	execute    + mint, submit and watch the job (decisions/s while running jobs)
//
// Several workers on SQLite share one file on one machine (WAL, one
// writer at a time); on PostgreSQL they may run anywhere.
func BenchmarkEndToEnd(b *testing.B) {
	for _, c := range []struct {
		mode    mode
		backend string
		workers []int
	}{
		{transportOnly, "", []int{1, 3}},
		{noop, "sqlite", []int{1, 3}},
		{noop, "postgres", []int{1, 3}},
		{decide, "sqlite", []int{1, 3}},
		{decide, "postgres", []int{1, 3, 6}},
		{execute, "sqlite", []int{1, 3}},
		{execute, "postgres", []int{1, 3}},
	} {
		for _, w := range c.workers {
			name := fmt.Sprintf("%s/workers=%d", c.mode, w)
			if c.backend != "" {
				name = fmt.Sprintf("%s/%s/workers=%d", c.mode, c.backend, w)
			}
			b.Run(name, func(b *testing.B) {
				r := newRig(b, c.mode, c.backend, w)
				r.run(r.requests(20)) // warm up: JWKS, connections, caches
				msgs := r.requests(b.N)
				b.ReportAllocs()
				b.ResetTimer()
				elapsed := r.run(msgs)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "decisions/s")
			})
		}
	}
}
