// Package dataproc runs approved jobs on Google Cloud Dataproc with a minted
// credential, and follows and cancels them.
//
// A Submitter turns a job request (Target and JobSpec) into a Serverless
// batch running as the role's service account (CreateBatch), or a job on a
// named cluster (SubmitJob), through Google's own client on the regional
// endpoint, authenticated per call with the token minted by
// broker/credentials. Every id is derived from the request's key, so a
// redelivered request, or a worker that died between submit and ack, reuses
// the same batch_id / job_id / request_id and never creates a second job.
// Labels identify the request, the role and a keyed hash of the principal
// (labels cannot hold e-mail addresses). State polls a workload for the
// watcher, Cancel stops one (batches through their operation, jobs with
// CancelJob). Transient API errors are retried with backoff and jitter;
// every error that leaves the package is classified with broker/fault.
//
// Submits and cancels share Dataproc's per-region quota (400 calls a minute
// by default): a Limiter paces them per region and always serves waiting
// cancels before waiting submits, so that a mass revocation never starves
// behind a queue of new work.
package dataproc
