// Package dataprocserver is an in-process Dataproc API for local development
// and tests: google.cloud.dataproc.v1.JobController, BatchController and
// google.longrunning.Operations on one TCP port, reached by Google's own client
// (cloud.google.com/go/dataproc/v2/apiv1) through option.WithEndpoint.
//
// It keeps what the broker relies on from the real service: request_id
// idempotency for SubmitJob and CreateBatch, batch_id uniqueness, the formats
// of ids and labels, label filters on List calls, a job and batch state
// machine whose timing is configurable and driven by an injectable clock (so
// tests advance time instead of sleeping), and authentication: every call must
// carry a bearer token minted by the local IAM Credentials server for the
// service account the workload runs as (or for a configured admin account),
// otherwise it fails with Unauthenticated or PermissionDenied as the real API
// does. Faults are injected with server interceptors.
//
// Nothing in broker/ imports it; production never runs it.
package dataprocserver
