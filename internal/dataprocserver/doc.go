// Package dataprocserver is an in-process Dataproc API for local development
// and tests: google.cloud.dataproc.v1.JobController, BatchController,
// ClusterController, google.longrunning.Operations and google.iam.v1.IAMPolicy
// (clusters' IAM policies) on one TCP port, reached by Google's own client
// (cloud.google.com/go/dataproc/v2/apiv1) through option.WithEndpoint.
//
// Clusters follow CREATING, RUNNING (or ERROR), DELETING and gone on the
// server's clock, are deleted at their lifecycle TTLs (idle_delete_ttl counts
// from the last job's end; auto_delete_ttl or auto_delete_time), refuse a
// delete while CREATING as Dataproc does, answer a repeated request_id with
// the first operation, and count against a quota of live clusters. Their IAM
// policies carry etags: a SetIamPolicy with a stale etag is Aborted, so that
// a read-modify-write loses no concurrent writer's binding. Jobs run on a
// configured cluster or on a created one that is RUNNING.
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
