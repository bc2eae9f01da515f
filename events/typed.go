package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"

	"github.com/cloudevents/sdk-go/v2/event"
)

// NewJobRequested builds a job.requested.v1 event (see New).
func NewJobRequested(source string, d JobRequest, opts ...Option) (event.Event, error) {
	return New(JobRequested, source, d, opts...)
}

// NewJobApproved builds a job.approved.v1 event (see New).
func NewJobApproved(source string, d JobDecision, opts ...Option) (event.Event, error) {
	return New(JobApproved, source, d, opts...)
}

// NewJobDenied builds a job.denied.v1 event (see New).
func NewJobDenied(source string, d JobDecision, opts ...Option) (event.Event, error) {
	return New(JobDenied, source, d, opts...)
}

// NewJobSubmitted builds a job.submitted.v1 event (see New).
func NewJobSubmitted(source string, d JobSubmission, opts ...Option) (event.Event, error) {
	return New(JobSubmitted, source, d, opts...)
}

// NewJobStateChanged builds a job.state_changed.v1 event (see New).
func NewJobStateChanged(source string, d StateChange, opts ...Option) (event.Event, error) {
	return New(JobStateChanged, source, d, opts...)
}

// NewJobCancelRequested builds a job.cancel_requested.v1 event (see New).
func NewJobCancelRequested(source string, d CancelRequest, opts ...Option) (event.Event, error) {
	return New(JobCancelRequested, source, d, opts...)
}

// NewCredentialIssued builds a credential.issued.v1 event (see New).
func NewCredentialIssued(source string, d IssuedCredential, opts ...Option) (event.Event, error) {
	return New(CredentialIssued, source, d, opts...)
}

// NewAccessRevoked builds an access.revoked.v1 event (see New).
func NewAccessRevoked(source string, d Revocation, opts ...Option) (event.Event, error) {
	return New(AccessRevoked, source, d, opts...)
}

// NewUserProvisioned builds an identity.user.provisioned.v1 event (see New).
func NewUserProvisioned(source string, d UserChange, opts ...Option) (event.Event, error) {
	return New(UserProvisioned, source, d, opts...)
}

// NewUserUpdated builds an identity.user.updated.v1 event (see New).
func NewUserUpdated(source string, d UserChange, opts ...Option) (event.Event, error) {
	return New(UserUpdated, source, d, opts...)
}

// NewUserDeactivated builds an identity.user.deactivated.v1 event (see New).
func NewUserDeactivated(source string, d UserChange, opts ...Option) (event.Event, error) {
	return New(UserDeactivated, source, d, opts...)
}

// NewUserReactivated builds an identity.user.reactivated.v1 event (see New).
func NewUserReactivated(source string, d UserChange, opts ...Option) (event.Event, error) {
	return New(UserReactivated, source, d, opts...)
}

// NewUserDeleted builds an identity.user.deleted.v1 event (see New).
func NewUserDeleted(source string, d UserChange, opts ...Option) (event.Event, error) {
	return New(UserDeleted, source, d, opts...)
}

// NewGroupMembershipChanged builds an identity.group.membership_changed.v1
// event (see New).
func NewGroupMembershipChanged(source string, d MembershipChange, opts ...Option) (event.Event, error) {
	return New(GroupMembershipChanged, source, d, opts...)
}

// NewEventRejected builds an event.rejected.v1 event (see New and Reject).
func NewEventRejected(source string, d Rejection, opts ...Option) (event.Event, error) {
	return New(EventRejected, source, d, opts...)
}

// NewAuditCheckpointed builds an audit.checkpointed.v1 event (see New).
func NewAuditCheckpointed(source string, d Checkpoint, opts ...Option) (event.Event, error) {
	return New(AuditCheckpointed, source, d, opts...)
}

// DecodeJobRequest returns the data of a job.requested event.
func DecodeJobRequest(e event.Event) (JobRequest, error) { return decodeData[JobRequest](e) }

// DecodeJobDecision returns the data of a job.approved or job.denied event.
func DecodeJobDecision(e event.Event) (JobDecision, error) { return decodeData[JobDecision](e) }

// DecodeJobSubmission returns the data of a job.submitted event.
func DecodeJobSubmission(e event.Event) (JobSubmission, error) { return decodeData[JobSubmission](e) }

// DecodeStateChange returns the data of a job.state_changed event.
func DecodeStateChange(e event.Event) (StateChange, error) { return decodeData[StateChange](e) }

// DecodeCancelRequest returns the data of a job.cancel_requested event.
func DecodeCancelRequest(e event.Event) (CancelRequest, error) { return decodeData[CancelRequest](e) }

// DecodeIssuedCredential returns the data of a credential.issued event.
func DecodeIssuedCredential(e event.Event) (IssuedCredential, error) {
	return decodeData[IssuedCredential](e)
}

// DecodeRevocation returns the data of an access.revoked event.
func DecodeRevocation(e event.Event) (Revocation, error) { return decodeData[Revocation](e) }

// DecodeUserChange returns the data of an identity.user.* event.
func DecodeUserChange(e event.Event) (UserChange, error) { return decodeData[UserChange](e) }

// DecodeMembershipChange returns the data of an
// identity.group.membership_changed event.
func DecodeMembershipChange(e event.Event) (MembershipChange, error) {
	return decodeData[MembershipChange](e)
}

// DecodeRejection returns the data of an event.rejected event.
func DecodeRejection(e event.Event) (Rejection, error) { return decodeData[Rejection](e) }

// DecodeCheckpoint returns the data of an audit.checkpointed event.
func DecodeCheckpoint(e event.Event) (Checkpoint, error) { return decodeData[Checkpoint](e) }

// decodeData returns the data of e as T, the data type of e's type. The
// schema was checked by Decode (or New); here unknown fields are refused
// again, so that an event that skipped validation cannot smuggle any.
func decodeData[T any](e event.Event) (T, error) {
	var v T
	if e.Context == nil {
		return v, fail(ReasonMalformed, "event has no context")
	}
	s, ok := byType[e.Type()]
	if !ok {
		return v, fail(ReasonUnknownType, "type is not in the catalog")
	}
	if want := reflect.TypeFor[T](); s.data != want {
		return v, fail(ReasonTypeMismatch, "%s carries %s, not %s", s.Type, s.Data, want.Name())
	}
	dec := json.NewDecoder(bytes.NewReader(e.Data()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return v, fail(ReasonSchemaViolation, "%s data: field %s has the wrong JSON type", s.Type, te.Field)
		}
		return v, fail(ReasonSchemaViolation, "%s data does not decode as %s", s.Type, s.Data)
	}
	return v, nil
}
