// Package request handles job requests from end to end: decide, record the
// decision, mint a short-lived credential for the role's service account,
// submit the job to Dataproc under it, and record the job, with an audit
// event for every step, each written in the same transaction as the state
// it reports.
//
// Every step is idempotent, so a redelivered request (or a worker killed
// between steps) resumes where it stopped: the decision is made once, the
// Dataproc ids are derived from the request, and a second submit finds the
// first job instead of creating another.
package request
