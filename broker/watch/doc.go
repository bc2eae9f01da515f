// Package watch follows the Dataproc jobs and batches the broker started.
//
// The jobs live in the store, so a restarted watcher picks up where the last
// one stopped. Each poll that sees a new state publishes `job state changed`
// (in the same transaction as the new state); a job that ends has its grants
// closed, and a job that outruns its approved duration is cancelled.
// Polling backs off while nothing changes. Watchers on several workers
// share the jobs: each round claims the due jobs (store.JobClaims, SKIP
// LOCKED on PostgreSQL) for a lease, so each job is polled by one watcher,
// and a watcher that dies only delays its jobs until the lease runs out.
// A canceller (a cascade, a cancel request) holds the jobs it cancels from
// the watchers until it has recorded the cancel (Hold), so that the trail
// reads its cause before the CANCELLING it caused.
package watch
