package events

import (
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

const (
	testSource = "//dataproc-iis.dev/tests"
	// testToken looks like a JWT; tests assert it never leaks.
	testToken   = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0LXN1YmplY3QtbXVzdC1ub3QtbGVhayJ9.c2VjcmV0LXNpZ25hdHVyZS1tdXN0LW5vdC1sZWFr"
	testTrace   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	testRequest = "7c1f2d0e-55a1-4c43-9a0e-2f7f1e6f4b10"
	testSA      = "sa-analytics-etl@acme-analytics-prod.iam.gserviceaccount.com"
	testBatch   = "projects/acme-analytics-prod/locations/europe-west4/batches/iis-7c1f2d0e55a14c43"
)

var testTime = time.Date(2025, 11, 27, 2, 0, 3, 512_000_000, time.UTC)

const testDigest = "sha256:2b1a9e1c0f5d4b8a7e6c3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"

var sampleCounts = []ApprovalCount{{Rule: "role:analytics-etl", Count: 2, Approvers: []string{"grace@example.com"}}}

// sample is one event type with valid data, bound to its typed constructor
// and decoder.
type sample struct {
	typ    string
	data   any
	build  func(opts ...Option) (event.Event, error)
	decode func(event.Event) (any, error)
}

func row[T any](typ string, d T, build func(string, T, ...Option) (event.Event, error), decode func(event.Event) (T, error)) sample {
	return sample{
		typ:    typ,
		data:   d,
		build:  func(opts ...Option) (event.Event, error) { return build(testSource, d, opts...) },
		decode: func(e event.Event) (any, error) { return decode(e) },
	}
}

func sampleJobRequest() JobRequest {
	return JobRequest{
		IDToken: testToken,
		Role:    "analytics-etl",
		Target:  Target{Project: "acme-analytics-prod", Region: "europe-west4"},
		Job: JobSpec{
			Type:          JobTypePySpark,
			MainPythonURI: "gs://acme-etl-code/jobs/daily_sales.py",
			Args:          []string{"--date", "2025-11-27"},
			PythonURIs:    []string{"gs://acme-etl-code/lib/acme_etl-1.4.0.zip"},
			Properties:    map[string]string{"spark.executor.memory": "4g"},
			Inputs:        []string{"gs://acme-raw/sales/2025-11-27/"},
			Outputs:       []string{"gs://acme-curated/sales/daily/"},
		},
		Justification: "Nightly sales aggregation",
		MaxDuration:   "2h",
		Labels:        map[string]string{"team": "analytics"},
	}
}

var samplePrincipal = Principal{
	ID: "ada@example.com", Email: "ada@example.com", Type: PrincipalHuman,
	Issuer: "https://accounts.google.com", Groups: []string{"analytics-engineers"},
}

func sampleDecision(outcome string) JobDecision {
	p := samplePrincipal
	d := JobDecision{
		RequestID: testRequest, Principal: &p, Outcome: outcome, PolicyVersion: "2025-11-20.3",
		Input: DecisionInput{
			Claims:  map[string]any{"iss": "https://accounts.google.com", "email_verified": true, "groups": []any{"a", "b"}},
			Request: sampleJobRequest().Facts(),
			Time:    testTime,
		},
	}
	if outcome == OutcomeApproved {
		d.Binding, d.Role, d.ServiceAccount = "analytics-engineers-etl", "analytics-etl", testSA
		d.MaxDuration, d.CredentialLifetime = "2h", "15m"
		return d
	}
	d.Reasons = []Reason{{Code: "role_not_granted", Message: "no binding grants role analytics-etl"}}
	return d
}

func sampleUser(active bool) User {
	return User{
		ID: "2819c223-7f76-453a-919d-413861904646", UserName: "ada@example.com", ExternalID: "00u1abcd",
		DisplayName: "Ada Lovelace", Active: active, Emails: []string{"ada@example.com"}, Groups: []string{"analytics-engineers"},
	}
}

func samples() []sample {
	return append([]sample{
		row(JobRequested, sampleJobRequest(), NewJobRequested, DecodeJobRequest),
		row(JobApproved, sampleDecision(OutcomeApproved), NewJobApproved, DecodeJobDecision),
		row(JobDenied, sampleDecision(OutcomeDenied), NewJobDenied, DecodeJobDecision),
		row(JobSubmitted, JobSubmission{
			RequestID: testRequest, Kind: KindBatch, Project: "acme-analytics-prod", Region: "europe-west4",
			Resource: testBatch, DataprocRequestID: "iis-7c1f2d0e55a14c439a0e2f7f1e6f4b10", ServiceAccount: testSA,
			Labels: map[string]string{"iis-request": testRequest},
		}, NewJobSubmitted, DecodeJobSubmission),
		row(JobStateChanged, StateChange{
			RequestID: testRequest, Resource: testBatch, PreviousState: "RUNNING", State: "SUCCEEDED", Ended: true,
		}, NewJobStateChanged, DecodeStateChange),
		row(JobCancelRequested, CancelRequest{IDToken: testToken, RequestID: testRequest, Reason: "wrong date"},
			NewJobCancelRequested, DecodeCancelRequest),
		row(CredentialIssued, IssuedCredential{
			RequestID: testRequest, ServiceAccount: testSA, Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"},
			ExpireTime: testTime.Add(15 * time.Minute), Lifetime: "15m", Fingerprint: "sha256:9f86d081884c7d659a2feaa0c55ad015",
		}, NewCredentialIssued, DecodeIssuedCredential),
		row(AccessRevoked, Revocation{
			Principal: samplePrincipal,
			Trigger:   Trigger{EventID: "c0a8012e", EventType: UserDeactivated, Action: "user_deactivated"},
			Actions: []RevokeAction{
				{Kind: ActionCancelJob, Resource: testBatch, Outcome: ActionSucceeded},
				{Kind: ActionRevokeGrant, Resource: "grant/1", Outcome: ActionFailed, Error: "dataproc.CancelBatch: unavailable"},
			},
			LatencyMS: 842, StartedAt: testTime, FinishedAt: testTime.Add(842 * time.Millisecond),
		}, NewAccessRevoked, DecodeRevocation),
		row(UserProvisioned, UserChange{User: sampleUser(true), Actor: "okta"}, NewUserProvisioned, DecodeUserChange),
		row(UserUpdated, UserChange{User: sampleUser(true), Changed: []string{"displayName"}, Actor: "okta"},
			NewUserUpdated, DecodeUserChange),
		row(UserDeactivated, UserChange{User: sampleUser(false), Changed: []string{"active"}, Locked: true},
			NewUserDeactivated, DecodeUserChange),
		row(UserReactivated, UserChange{User: sampleUser(true), Changed: []string{"active"}},
			NewUserReactivated, DecodeUserChange),
		row(UserDeleted, UserChange{User: sampleUser(false), Locked: true}, NewUserDeleted, DecodeUserChange),
		row(GroupMembershipChanged, MembershipChange{
			Group:   Group{ID: "e9e30dba", DisplayName: "finance-readers"},
			Removed: []Member{{ID: "2819c223", UserName: "ada@example.com"}},
		}, NewGroupMembershipChanged, DecodeMembershipChange),
		row(ApprovalRequested, ApprovalRequest{
			RequestID: testRequest, RequestDigest: testDigest, Principal: samplePrincipal, Role: "analytics-etl",
			Binding: "group:analytics-engineers", ServiceAccount: testSA, PolicyVersion: "sha256:4e1f",
			Requirements: []ApprovalRequirement{{Rule: "role:analytics-etl", Approvers: []string{"data-owners"}, Count: 2, Reason: "writes curated tables"}},
			ExpiresAt:    testTime.Add(4 * time.Hour), Window: "8h", ApprovalURL: "https://iis.example.com/approvals/" + testRequest,
			Request: sampleJobRequest().Facts(),
		}, NewApprovalRequested, DecodeApprovalRequest),
		row(ApprovalGranted, ApprovalVerdict{IDToken: testToken, RequestID: testRequest, RequestDigest: testDigest, Comment: "ok"},
			NewApprovalGranted, DecodeApprovalVerdict),
		row(ApprovalRejected, ApprovalVerdict{IDToken: testToken, RequestID: testRequest, RequestDigest: testDigest},
			NewApprovalRejected, DecodeApprovalVerdict),
		row(ApprovalRecorded, RecordedApproval{
			RequestID: testRequest, Verdict: VerdictGranted, Approver: samplePrincipal, ApprovalEventID: "0b7e1c9a",
			TokenFingerprint: "sha256:5d41402abc4b2a76b9719d91", Counts: sampleCounts, Complete: false,
		}, NewApprovalRecorded, DecodeRecordedApproval),
		row(ApprovalExpired, ApprovalExpiry{RequestID: testRequest, Principal: samplePrincipal, ExpiresAt: testTime, Counts: sampleCounts},
			NewApprovalExpired, DecodeApprovalExpiry),
		row(EventRejected, Rejection{Reason: ReasonSchemaViolation, Detail: "at /job: missing properties: type",
			ReceivedType: JobRequested, ReceivedID: "x-1", MessageID: "1286"}, NewEventRejected, DecodeRejection),
		row(LoginFailed, LoginFailure{
			Login: Login{FlowID: "f1", IdP: "okta-saml", Protocol: ProtocolSAML, Client: ClientLoopback},
			Stage: "idp_response", Reason: "saml_replayed", Message: "assertion id was already used",
		}, NewLoginFailed, DecodeLoginFailure),
		row(LoginSucceeded, LoginSuccess{
			Login:     Login{FlowID: "f1", IdP: "okta-saml", Protocol: ProtocolSAML, Subject: "ada@example.com", EvidenceFingerprint: "sha256:7d1a54127b222502f5b79b5f"},
			Principal: Principal{ID: "ada@example.com", Email: "ada@example.com", Type: PrincipalHuman},
			UserID:    "2819c223", SessionFingerprint: "sha256:0b3f1c6a9e2d4f8a7c5e1b3d", AuthenticatedAt: testTime,
		}, NewLoginSucceeded, DecodeLoginSuccess),
		row(SessionIssued, IssuedSession{
			Principal: Principal{ID: "ada@example.com", Email: "ada@example.com", Type: PrincipalHuman},
			UserID:    "2819c223", Fingerprint: "sha256:0b3f1c6a9e2d4f8a7c5e1b3d", KeyID: "session-es256-1",
			Issuer: "https://iis.example.com/session", Audience: "iis", Reason: SessionLogin, IdP: "okta-saml",
			IssuedAt: testTime, ExpiresAt: testTime.Add(time.Hour), AuthTime: testTime,
		}, NewSessionIssued, DecodeIssuedSession),
		row(AuditCheckpointed, Checkpoint{ChainID: "3f6c2b1e-8d4a-4f7b-9c1e-5a2d7b8e9f01", Seq: 120,
			Hash: strings.Repeat("ab", 32), Count: 120, Time: time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC),
			Previous:  &CheckpointRef{Seq: 77, Hash: strings.Repeat("cd", 32)},
			KeyID:     "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
			Algorithm: "EC_SIGN_P256_SHA256", Signature: "MEUCIQ=="}, NewAuditCheckpointed, DecodeCheckpoint),
	}, clusterSamples()...)
}
