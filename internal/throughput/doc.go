// Package throughput measures decisions per second end to end: a job
// request published to the requests topic until its decision event arrives
// on the audit topic, with every part in-process (pstest served on a TCP
// port, the dev issuer, IAM Credentials and Dataproc stand-ins, SQLite or
// PostgreSQL) and one or more brokers (service.New + Run) sharing one
// subscription and one store.
//
// Beside the broker it measures, the same way, a no-op broker (dedupe,
// store, outbox relay, one audit event per request, no decision) and the
// transport's own ceiling (a bare subscriber that publishes one event per
// request), so that the ratios show where the time goes. The benchmarks
// are in bench_test.go; `make bench-e2e` runs them and docs/benchmarks.md
// holds the figures.
package throughput
