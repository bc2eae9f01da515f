// Package revoke takes access away when the directory says so. It handles
// the identity events the SCIM endpoint emits:
//
//   - a leaver (user deactivated or deleted): cancel every running job and
//     batch of the principal (cancels go first in the Dataproc rate
//     limiter), close every active grant, and count the requests still in
//     flight, which the request handler refuses once the principal is
//     locked. An active grant whose request has no recorded job may have
//     started a workload whose worker died before recording it: the
//     cascade cancels it by the ids the request key derives (Dataproc's
//     NotFound means nothing was submitted) and records it, so that a
//     short job cannot run to its end before the request is redelivered;
//   - a mover (group membership removed): re-check the principal's active
//     grants against the new groups and revoke what no longer holds;
//   - a reactivation restores nothing by itself.
//
// Each cascade publishes one `access revoked` audit event listing every
// action with its outcome and the latency from the SCIM call to the last
// cancel issued. The directory lock was committed with the SCIM change, so
// new requests are denied before the cascade even starts.
package revoke
