package events

// Prefix is the reverse-DNS prefix of every event type. A type reads
// <Prefix>.<resource>.<past-tense verb>.v<major>.
const Prefix = "dev.dataproc-iis"

// Event types, one per fact the system reports.
const (
	// JobRequested: a pipeline asks to run a Dataproc job (data: JobRequest).
	JobRequested = Prefix + ".job.requested.v1"
	// JobApproved: the policy approved a request (data: JobDecision).
	JobApproved = Prefix + ".job.approved.v1"
	// JobDenied: the broker refused a request (data: JobDecision).
	JobDenied = Prefix + ".job.denied.v1"
	// JobSubmitted: an approved job was submitted to Dataproc (data: JobSubmission).
	JobSubmitted = Prefix + ".job.submitted.v1"
	// JobStateChanged: a job the broker started changed state (data: StateChange).
	JobStateChanged = Prefix + ".job.state_changed.v1"
	// JobCancelRequested: someone asks to cancel a job (data: CancelRequest).
	JobCancelRequested = Prefix + ".job.cancel_requested.v1"
	// CredentialIssued: a short-lived token was minted for a role (data: IssuedCredential).
	CredentialIssued = Prefix + ".credential.issued.v1"
	// AccessRevoked: the revocation cascade ran for a principal (data: Revocation).
	AccessRevoked = Prefix + ".access.revoked.v1"
	// UserProvisioned: SCIM created a user (data: UserChange).
	UserProvisioned = Prefix + ".identity.user.provisioned.v1"
	// UserUpdated: SCIM changed a user's attributes (data: UserChange).
	UserUpdated = Prefix + ".identity.user.updated.v1"
	// UserDeactivated: SCIM set a user inactive; the principal is locked (data: UserChange).
	UserDeactivated = Prefix + ".identity.user.deactivated.v1"
	// UserReactivated: SCIM set a user active again; the principal is unlocked (data: UserChange).
	UserReactivated = Prefix + ".identity.user.reactivated.v1"
	// UserDeleted: SCIM deleted a user; the principal stays locked (data: UserChange).
	UserDeleted = Prefix + ".identity.user.deleted.v1"
	// GroupMembershipChanged: SCIM added or removed group members (data: MembershipChange).
	GroupMembershipChanged = Prefix + ".identity.group.membership_changed.v1"
	// EventRejected: a received message could not be accepted (data: Rejection).
	EventRejected = Prefix + ".event.rejected.v1"
	// LoginFailed: a login, session exchange or refresh was refused (data: LoginFailure).
	LoginFailed = Prefix + ".login.failed.v1"
	// LoginSucceeded: a person logged in through an IdP and got a session (data: LoginSuccess).
	LoginSucceeded = Prefix + ".login.succeeded.v1"
	// SessionIssued: the broker signed a session token (data: IssuedSession).
	SessionIssued = Prefix + ".session.issued.v1"
	// AuditCheckpointed: the audit chain's head was signed and archived (data: Checkpoint).
	AuditCheckpointed = Prefix + ".audit.checkpointed.v1"
)

// Cluster and access event types.
const (
	// ClusterRequested: a principal asks for a cluster from a template (data: ClusterRequest).
	ClusterRequested = Prefix + ".cluster.requested.v1"
	// ClusterApproved: the policy approved a cluster request (data: ClusterDecision).
	ClusterApproved = Prefix + ".cluster.approved.v1"
	// ClusterDenied: the broker refused a cluster request (data: ClusterDecision).
	ClusterDenied = Prefix + ".cluster.denied.v1"
	// ClusterCreated: Dataproc accepted the cluster's creation (data: ClusterCreation).
	ClusterCreated = Prefix + ".cluster.created.v1"
	// ClusterStateChanged: a cluster the broker created changed state (data: ClusterStateChange).
	ClusterStateChanged = Prefix + ".cluster.state_changed.v1"
	// ClusterDeleteRequested: someone asks to delete a cluster (data: ClusterDeleteRequest).
	ClusterDeleteRequested = Prefix + ".cluster.delete_requested.v1"
	// ClusterDeleted: a cluster the broker created is gone (data: ClusterDeletion).
	ClusterDeleted = Prefix + ".cluster.deleted.v1"
	// AccessRequested: a principal asks to view a cluster's logs or UIs for a while (data: AccessRequest).
	AccessRequested = Prefix + ".access.requested.v1"
	// AccessApproved: the policy approved an access request (data: AccessDecision).
	AccessApproved = Prefix + ".access.approved.v1"
	// AccessDenied: the broker refused an access request (data: AccessDecision).
	AccessDenied = Prefix + ".access.denied.v1"
	// AccessGranted: the conditional IAM binding is on the cluster (data: AccessGrant).
	AccessGranted = Prefix + ".access.granted.v1"
	// AccessExpired: a binding's time was up and it was removed (data: AccessExpiry).
	AccessExpired = Prefix + ".access.expired.v1"
	// AccessDriftFound: the reconciler found IAM bindings out of step with the grants (data: AccessDrift).
	AccessDriftFound = Prefix + ".access.drift_found.v1"
)

// CloudEvents extension attributes. Their values are strings; in Pub/Sub
// binary mode they travel as the attributes "ce-<name>".
const (
	// ExtCausationID is the id of the event that caused this one.
	ExtCausationID = "causationid"
	// ExtRequestID is the id of the original job.requested event, so that one
	// query follows a job from trigger to output.
	ExtRequestID = "requestid"
	// ExtTraceparent is the W3C Trace Context traceparent, passed through.
	ExtTraceparent = "traceparent"
	// ExtAuditSeq is reserved for the audit trail: the record's sequence number.
	ExtAuditSeq = "auditseq"
	// ExtAuditPrev is reserved for the audit trail: the hash of the previous record.
	ExtAuditPrev = "auditprev"
)

// ContentType is the data content type of every event in the catalog.
const ContentType = "application/json"
