package throughput

import (
	"fmt"
	"testing"
)

// BenchmarkEndToEnd publishes b.N job requests at once and reports how
// many decisions per second reached the audit topic, and the decision
// latency (publish to decision received: under a burst, mostly queueing).
// Compare:
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
		{transportOnly, "", []int{1, 3, 6}},
		{noop, "sqlite", []int{1, 3}},
		{noop, "postgres", []int{1, 3, 6}},
		{decide, "sqlite", []int{1, 3}},
		{decide, "postgres", []int{1, 3, 6}},
		{execute, "sqlite", []int{1, 3}},
		{execute, "postgres", []int{1, 3, 6}},
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
				res := r.runAt(msgs, 0)
				b.StopTimer()
				res.report(b, b.N)
			})
		}
	}
}

// BenchmarkLatency measures the decision latency at 80% of the peak, as
// the target puts it: one burst of b.N requests finds the peak
// decisions/s of the configuration, then b.N more are published at 80% of
// it, evenly spaced, and their p50/p99 latencies are reported (decide-only,
// PostgreSQL, beside the transport alone at its own 80%). The decisions/s
// reported is the paced run's.
func BenchmarkLatency(b *testing.B) {
	for _, c := range []struct {
		mode    mode
		backend string
		workers int
	}{{transportOnly, "", 1}, {transportOnly, "", 3}, {decide, "postgres", 1}, {decide, "postgres", 3}} {
		name := fmt.Sprintf("%s/workers=%d", c.mode, c.workers)
		if c.backend != "" {
			name = fmt.Sprintf("%s/%s/workers=%d", c.mode, c.backend, c.workers)
		}
		b.Run(name, func(b *testing.B) {
			r := newRig(b, c.mode, c.backend, c.workers)
			r.run(r.requests(20))
			b.ResetTimer()
			peak := r.runAt(r.requests(b.N), 0)
			rate := 0.8 * float64(b.N) / peak.elapsed.Seconds()
			res := r.runAt(r.requests(b.N), rate)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/peak.elapsed.Seconds(), "peak-decisions/s")
			b.ReportMetric(rate, "offered/s")
			res.report(b, b.N)
		})
	}
}
