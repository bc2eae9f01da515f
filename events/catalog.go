package events

import (
	"reflect"
	"strings"

	"github.com/dataproc-iis/iis/schemas"
)

// Spec describes one event type of the catalog.
type Spec struct {
	Type     string // the CloudEvents type, e.g. JobRequested
	Schema   string // the dataschema URL, the $id of the type's JSON Schema
	File     string // the schema's file name in package schemas
	Data     string // the Go type of the data, e.g. "JobRequest"
	Producer string // who publishes it
	Consumer string // who reads it
	Summary  string // what it means
	// Channel is the only worker subscription that may carry the type
	// (ChannelRequests or ChannelIdentity); ChannelAudit types are facts the
	// broker reports and no worker accepts.
	Channel string
	data    reflect.Type
}

// Channels: which subscription a type arrives on. Routing by channel keeps
// whoever may publish job requests from injecting identity events (a forged
// leaver), and keeps audit facts from being replayed as input.
const (
	ChannelRequests = "requests"
	ChannelIdentity = "identity"
	ChannelAudit    = "audit"
)

// catalog is the single table everything else derives from: type constants
// map to their data struct and their schema here, and nowhere else.
var catalog = []Spec{
	spec[JobRequest](JobRequested, ChannelRequests, "pipelines (Airflow, CI, iis publish)", "broker worker",
		"Run a Dataproc job under a role; the ID token proves who asks."),
	spec[JobDecision](JobApproved, ChannelAudit, "broker (policy)", "broker (credentials), audit",
		"The policy approved a request: binding, role, service account, limits, replayable input."),
	spec[JobDecision](JobDenied, ChannelAudit, "broker (identity, directory, policy)", "audit, requester",
		"The request was refused; reasons say why."),
	spec[JobSubmission](JobSubmitted, ChannelAudit, "broker (dataproc)", "watcher, audit",
		"The job was submitted to Dataproc as a Serverless batch or a cluster job."),
	spec[StateChange](JobStateChanged, ChannelAudit, "watcher", "broker (grants), audit, requester",
		"A job the broker started changed state; ended closes its grant."),
	spec[CancelRequest](JobCancelRequested, ChannelRequests, "owner or admin (iis, pipelines)", "broker worker",
		"Cancel the job of an earlier request."),
	spec[IssuedCredential](CredentialIssued, ChannelAudit, "broker (credentials)", "audit",
		"A short-lived access token was minted; identified by its fingerprint only."),
	spec[Revocation](AccessRevoked, ChannelAudit, "broker (revoke)", "audit, SIEM",
		"The revocation cascade ran: what was done, each outcome, how long it took."),
	spec[UserChange](UserProvisioned, ChannelIdentity, "SCIM endpoint", "audit",
		"A user was created (joiner)."),
	spec[UserChange](UserUpdated, ChannelIdentity, "SCIM endpoint", "broker (revoke: movers), audit",
		"A user's attributes changed; changed names them."),
	spec[UserChange](UserDeactivated, ChannelIdentity, "SCIM endpoint", "broker (revoke), audit",
		"A user was set inactive (leaver) and locked."),
	spec[UserChange](UserReactivated, ChannelIdentity, "SCIM endpoint", "audit",
		"A user was set active again and unlocked."),
	spec[UserChange](UserDeleted, ChannelIdentity, "SCIM endpoint", "broker (revoke), audit",
		"A user was deleted; stays locked."),
	spec[MembershipChange](GroupMembershipChanged, ChannelIdentity, "SCIM endpoint", "broker (revoke: re-check grants), audit",
		"Users were added to or removed from a group (mover)."),
	spec[ApprovalRequest](ApprovalRequested, ChannelAudit, "broker (policy: approval rules)", "approvers' bridges (approvals topic), audit",
		"A request waits for approvers: who may approve, how many, why, until when."),
	spec[ApprovalVerdict](ApprovalGranted, ChannelRequests, "approvers (iis approve, bridges)", "broker worker",
		"An approver approves a waiting request; their own token proves who approves."),
	spec[ApprovalVerdict](ApprovalRejected, ChannelRequests, "approvers (iis reject, bridges)", "broker worker",
		"An approver rejects a waiting request; their own token proves who rejects."),
	spec[RecordedApproval](ApprovalRecorded, ChannelAudit, "broker (approval)", "audit, requester",
		"An approver's answer was verified and counted: how far each rule is."),
	spec[ApprovalExpiry](ApprovalExpired, ChannelAudit, "broker (approval)", "audit, requester",
		"A waiting request was not approved in time; it is denied."),
	spec[Rejection](EventRejected, ChannelAudit, "broker worker, functions", "audit, operators",
		"A received message was not accepted and was acked: reason and ids, never its payload."),
	spec[LoginFailure](LoginFailed, ChannelAudit, "broker (login service)", "audit, SIEM",
		"A login, session exchange or refresh was refused; a specific reason, fingerprints only."),
	spec[LoginSuccess](LoginSucceeded, ChannelAudit, "broker (login service)", "audit, SIEM",
		"A person logged in through an OIDC or SAML IdP and the directory knows them."),
	spec[IssuedSession](SessionIssued, ChannelAudit, "broker (login service)", "audit",
		"The broker signed a session token; identified by its fingerprint only."),
	spec[Checkpoint](AuditCheckpointed, ChannelAudit, "broker (checkpoint)", "audit, SIEM, iis audit verify",
		"The audit chain's head was signed (Cloud KMS) and archived outside the database; not itself chained."),
	spec[ClusterRequest](ClusterRequested, ChannelRequests, "people and pipelines (iis publish)", "broker worker",
		"Create a Dataproc cluster from a template under a role; the ID token proves who asks."),
	spec[ClusterDecision](ClusterApproved, ChannelAudit, "broker (policy)", "broker (clusters), audit",
		"The policy approved a cluster request: role, template, the whole configuration, replayable input."),
	spec[ClusterDecision](ClusterDenied, ChannelAudit, "broker (identity, directory, policy)", "audit, requester",
		"The cluster request was refused; each reason names the field and the cap at fault."),
	spec[ClusterCreation](ClusterCreated, ChannelAudit, "broker (clusters)", "watcher, audit, requester",
		"Dataproc accepted the cluster's creation under the role's minted token, with its TTLs."),
	spec[ClusterStateChange](ClusterStateChanged, ChannelAudit, "broker (cluster watcher, cascades)", "audit, requester",
		"A cluster the broker created changed state (CREATING, RUNNING, ERROR, DELETING)."),
	spec[ClusterDeleteRequest](ClusterDeleteRequested, ChannelRequests, "owner or admin (iis publish)", "broker worker",
		"Delete the cluster of an earlier cluster request."),
	spec[ClusterDeletion](ClusterDeleted, ChannelAudit, "broker (cluster watcher)", "audit, SIEM",
		"A cluster the broker created is gone: why (requested, TTL, leaver, ...)."),
	spec[AccessRequest](AccessRequested, ChannelRequests, "people (iis publish)", "broker worker",
		"View a cluster's logs or web UIs for a while; the ID token proves who asks."),
	spec[AccessDecision](AccessApproved, ChannelAudit, "broker (policy)", "broker (access), audit",
		"The policy approved an access request: the IAM role, member, cluster and expiry."),
	spec[AccessDecision](AccessDenied, ChannelAudit, "broker (identity, directory, policy)", "audit, requester",
		"The access request was refused; reasons say why."),
	spec[AccessGrant](AccessGranted, ChannelAudit, "broker (access)", "audit, SIEM",
		"A conditional IAM binding (request.time < expiry) was added to the cluster."),
	spec[AccessExpiry](AccessExpired, ChannelAudit, "broker (access reconciler)", "audit, SIEM",
		"A binding's time was up and the broker removed it from the cluster's IAM policy."),
	spec[AccessDrift](AccessDriftFound, ChannelAudit, "broker (access reconciler)", "audit, SIEM, operators",
		"A cluster's IAM policy held bindings no grant backs (removed) or lacked one a grant backs."),
}

func spec[T any](typ, channel, producer, consumer, summary string) Spec {
	file := strings.TrimPrefix(typ, Prefix+".") + ".json"
	t := reflect.TypeFor[T]()
	return Spec{
		Type: typ, Schema: schemas.URL(file), File: file, Data: t.Name(),
		Producer: producer, Consumer: consumer, Summary: summary, Channel: channel, data: t,
	}
}

// byType indexes the catalog.
var byType = func() map[string]*Spec {
	m := make(map[string]*Spec, len(catalog))
	for i := range catalog {
		m[catalog[i].Type] = &catalog[i]
	}
	return m
}()

// Catalog returns every event type of the catalog, in a stable order.
func Catalog() []Spec { return append([]Spec(nil), catalog...) }

// Lookup returns the Spec of an event type.
func Lookup(typ string) (Spec, bool) {
	s, ok := byType[typ]
	if !ok {
		return Spec{}, false
	}
	return *s, true
}

// Known reports whether typ is an event type of the catalog.
func Known(typ string) bool { _, ok := byType[typ]; return ok }
