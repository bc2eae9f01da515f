package events

import "github.com/cloudevents/sdk-go/v2/event"

// NewClusterRequested builds a cluster.requested.v1 event (see New).
func NewClusterRequested(source string, d ClusterRequest, opts ...Option) (event.Event, error) {
	return New(ClusterRequested, source, d, opts...)
}

// NewClusterApproved builds a cluster.approved.v1 event (see New).
func NewClusterApproved(source string, d ClusterDecision, opts ...Option) (event.Event, error) {
	return New(ClusterApproved, source, d, opts...)
}

// NewClusterDenied builds a cluster.denied.v1 event (see New).
func NewClusterDenied(source string, d ClusterDecision, opts ...Option) (event.Event, error) {
	return New(ClusterDenied, source, d, opts...)
}

// NewClusterCreated builds a cluster.created.v1 event (see New).
func NewClusterCreated(source string, d ClusterCreation, opts ...Option) (event.Event, error) {
	return New(ClusterCreated, source, d, opts...)
}

// NewClusterStateChanged builds a cluster.state_changed.v1 event (see New).
func NewClusterStateChanged(source string, d ClusterStateChange, opts ...Option) (event.Event, error) {
	return New(ClusterStateChanged, source, d, opts...)
}

// NewClusterDeleteRequested builds a cluster.delete_requested.v1 event (see New).
func NewClusterDeleteRequested(source string, d ClusterDeleteRequest, opts ...Option) (event.Event, error) {
	return New(ClusterDeleteRequested, source, d, opts...)
}

// NewClusterDeleted builds a cluster.deleted.v1 event (see New).
func NewClusterDeleted(source string, d ClusterDeletion, opts ...Option) (event.Event, error) {
	return New(ClusterDeleted, source, d, opts...)
}

// NewAccessRequested builds an access.requested.v1 event (see New).
func NewAccessRequested(source string, d AccessRequest, opts ...Option) (event.Event, error) {
	return New(AccessRequested, source, d, opts...)
}

// NewAccessApproved builds an access.approved.v1 event (see New).
func NewAccessApproved(source string, d AccessDecision, opts ...Option) (event.Event, error) {
	return New(AccessApproved, source, d, opts...)
}

// NewAccessDenied builds an access.denied.v1 event (see New).
func NewAccessDenied(source string, d AccessDecision, opts ...Option) (event.Event, error) {
	return New(AccessDenied, source, d, opts...)
}

// NewAccessGranted builds an access.granted.v1 event (see New).
func NewAccessGranted(source string, d AccessGrant, opts ...Option) (event.Event, error) {
	return New(AccessGranted, source, d, opts...)
}

// NewAccessExpired builds an access.expired.v1 event (see New).
func NewAccessExpired(source string, d AccessExpiry, opts ...Option) (event.Event, error) {
	return New(AccessExpired, source, d, opts...)
}

// NewAccessDriftFound builds an access.drift_found.v1 event (see New).
func NewAccessDriftFound(source string, d AccessDrift, opts ...Option) (event.Event, error) {
	return New(AccessDriftFound, source, d, opts...)
}

// DecodeClusterRequest returns the data of a cluster.requested event.
func DecodeClusterRequest(e event.Event) (ClusterRequest, error) {
	return decodeData[ClusterRequest](e)
}

// DecodeClusterDecision returns the data of a cluster.approved or cluster.denied event.
func DecodeClusterDecision(e event.Event) (ClusterDecision, error) {
	return decodeData[ClusterDecision](e)
}

// DecodeClusterCreation returns the data of a cluster.created event.
func DecodeClusterCreation(e event.Event) (ClusterCreation, error) {
	return decodeData[ClusterCreation](e)
}

// DecodeClusterStateChange returns the data of a cluster.state_changed event.
func DecodeClusterStateChange(e event.Event) (ClusterStateChange, error) {
	return decodeData[ClusterStateChange](e)
}

// DecodeClusterDeleteRequest returns the data of a cluster.delete_requested event.
func DecodeClusterDeleteRequest(e event.Event) (ClusterDeleteRequest, error) {
	return decodeData[ClusterDeleteRequest](e)
}

// DecodeClusterDeletion returns the data of a cluster.deleted event.
func DecodeClusterDeletion(e event.Event) (ClusterDeletion, error) {
	return decodeData[ClusterDeletion](e)
}

// DecodeAccessRequest returns the data of an access.requested event.
func DecodeAccessRequest(e event.Event) (AccessRequest, error) { return decodeData[AccessRequest](e) }

// DecodeAccessDecision returns the data of an access.approved or access.denied event.
func DecodeAccessDecision(e event.Event) (AccessDecision, error) {
	return decodeData[AccessDecision](e)
}

// DecodeAccessGrant returns the data of an access.granted event.
func DecodeAccessGrant(e event.Event) (AccessGrant, error) { return decodeData[AccessGrant](e) }

// DecodeAccessExpiry returns the data of an access.expired event.
func DecodeAccessExpiry(e event.Event) (AccessExpiry, error) { return decodeData[AccessExpiry](e) }

// DecodeAccessDrift returns the data of an access.drift_found event.
func DecodeAccessDrift(e event.Event) (AccessDrift, error) { return decodeData[AccessDrift](e) }
