// Package access grants time-bound access to the logs and web UIs of the
// clusters the broker created, and takes it back.
//
// An access.requested event names a cluster (by its request, or by a job
// that ran on it) and a view (logs or ui). It is decided like any request
// (token, directory, the role's clusters.access section) and, on approval,
// recorded with the binding it grants before anything changes in IAM. The
// broker then adds a conditional IAM binding to that cluster only (member,
// the view's IAM role, request.time < the expiry) through the Dataproc
// client's GetIamPolicy/SetIamPolicy with etag read-modify-write, retried
// on conflict so that concurrent writers lose nothing, and reports it as
// access.granted.
//
// The Reconciler removes bindings whose time is up (access.expired; IAM had
// already stopped honouring them) and compares each cluster's IAM policy
// with the store: a binding the broker made that no grant backs is removed
// and reported, a grant whose binding is missing is reported
// (access.drift_found). The leaver cascade (broker/revoke) removes a
// leaver's bindings; a deleted cluster takes its bindings with it.
package access
