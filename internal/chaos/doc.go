// Package chaos checks what the broker promises when many workers share one
// subscription and one PostgreSQL and some of them die mid-flight: exactly
// one decision per request, at most one Dataproc workload per request, no
// workload left running for a leaver, a complete audit trail per request and
// an audit chain that verifies.
//
// The package code is the judge: it reads the audit chain, the recorded
// decisions and the workloads the Dataproc API lists, and reports counts and
// violations (Check, VerifyChain). The chaos test itself (chaos_test.go,
// run by `make test-chaos` with IIS_CHAOS=1 and IIS_TEST_POSTGRES_DSN) builds
// the iis binary, runs `iis dev -broker=false` and three `iis serve` workers
// as separate processes, publishes a thousand job requests with duplicates,
// SIGKILLs and restarts workers, deactivates users over SCIM mid-run, and
// hands what it observed to Check.
package chaos
