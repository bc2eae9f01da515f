package request

import (
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// policyRequest is what the policy evaluates. The principal is filled by the
// decider from verified claims, never from the request body.
func policyRequest(r events.JobRequest, at time.Time) policy.Request {
	md, _ := time.ParseDuration(r.MaxDuration) // the schema guarantees the form
	return policy.Request{
		Role:          r.Role,
		Target:        policy.Target(r.Target),
		Job:           policy.Job(r.Job),
		Justification: r.Justification,
		MaxDuration:   md,
		Time:          at,
	}
}

// principalID is who a decision is recorded against (decision.RecordName).
func principalID(out decision.Outcome, token string) string {
	return decision.RecordName(identityFacts(out), out.Principal.ID, token)
}

// directoryField is a field of the directory entry the decision found.
func directoryField(out decision.Outcome, name string) string {
	return decision.DirectoryField(identityFacts(out), name)
}

func identityFacts(out decision.Outcome) map[string]any {
	facts, _ := out.Decision.Input["identity"].(map[string]any)
	return facts
}

func record(key, requestID, principal string, out decision.Outcome, at time.Time) store.Decision {
	d := store.Decision{
		RequestKey:    key,
		RequestID:     requestID,
		Principal:     principal,
		UserID:        directoryField(out, "user_id"),
		Outcome:       store.OutcomeDenied,
		Role:          out.Decision.Role,
		PolicyVersion: out.Decision.Version,
		DecidedAt:     at,
	}
	for _, r := range out.Decision.Reasons {
		d.Reasons = append(d.Reasons, r.Code)
	}
	if out.Allowed() {
		d.Outcome = store.OutcomeApproved
		d.ServiceAccount = out.Decision.ServiceAccount
		d.MaxDuration = out.Decision.MaxDuration
		d.CredentialLifetime = out.Decision.CredentialLifetime
	}
	return d
}

// decisionEvent is the job.approved or job.denied audit event: reasons,
// binding, role, policy version and the input snapshot to replay it (and,
// for a request an approval window covers, the approvals that cover it).
func decisionEvent(source string, cause event.Event, req events.JobRequest, out decision.Outcome, at time.Time,
	approvals []events.ApprovalCount) (event.Event, error) {
	pd := out.Decision
	jd := events.JobDecision{
		RequestID:     cause.ID(),
		Outcome:       events.OutcomeDenied,
		Binding:       pd.Binding,
		Role:          pd.Role,
		PolicyVersion: pd.Version,
		Input: events.DecisionInput{
			Claims:  out.Principal.Claims,
			Request: req.Facts(),
			Time:    at.UTC(),
			Stage:   out.Stage,
		},
	}
	if ident, ok := pd.Input["identity"].(map[string]any); ok {
		jd.Input.Identity = ident
	}
	jd.Principal, jd.Approvals = requester(out), approvals
	for _, r := range pd.Reasons {
		jd.Reasons = append(jd.Reasons, events.Reason{Code: r.Code, Message: r.Message})
	}
	opts := []events.Option{events.WithCause(cause), events.WithSubject(cause.ID())}
	if out.Allowed() {
		jd.Outcome = events.OutcomeApproved
		jd.ServiceAccount = pd.ServiceAccount
		if pd.MaxDuration > 0 {
			jd.MaxDuration = pd.MaxDuration.String()
		}
		if pd.CredentialLifetime > 0 {
			jd.CredentialLifetime = pd.CredentialLifetime.String()
		}
		return events.NewJobApproved(source, jd, opts...)
	}
	return events.NewJobDenied(source, jd, opts...)
}

// requester is the requester as decision events show them: whom the
// policy saw (the directory's user and the groups it used, directory and
// trusted token groups), or nil when the token did not verify.
func requester(out decision.Outcome) *events.Principal {
	p := out.Principal
	if p.ID == "" {
		return nil
	}
	ep := &events.Principal{ID: p.ID, Email: p.Email, Type: p.Type, Issuer: p.Issuer, Groups: p.Groups}
	if pp, ok := out.Decision.Input["principal"].(*policy.Principal); ok && pp.ID != "" {
		ep.ID, ep.Groups = pp.ID, pp.Groups
		if pp.Email != "" {
			ep.Email = pp.Email
		}
	}
	return ep
}
