package decision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/telemetry"
)

// TokenVerifier verifies an ID token; *identity.Verifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (identity.Principal, error)
}

// PolicySource provides the active policy; *policy.Holder implements it.
type PolicySource interface {
	Current() *policy.Policy
}

var (
	_ TokenVerifier = (*identity.Verifier)(nil)
	_ PolicySource  = (*policy.Holder)(nil)
)

// Stages at which a decision was reached.
const (
	StageToken     = "token"
	StageDirectory = "directory"
	StagePolicy    = "policy"
)

// Decider makes the decision on a job request. Verifier and Policy are
// required; Directory is optional (nil: tokens alone say who is who).
type Decider struct {
	Verifier  TokenVerifier
	Directory Directory
	Policy    PolicySource
	Now       func() time.Time // default time.Now
}

// Outcome is a decision and what it was made on. It never holds the token.
type Outcome struct {
	// Principal is the verified principal (zero if the token failed; the
	// input snapshot then holds the token's fingerprint).
	Principal identity.Principal
	// Decision is the policy decision, or a denial with the token or
	// directory reason (Reasons[0].Code) when those failed.
	Decision policy.Decision
	// Stage is where the decision was reached: StageToken, StageDirectory
	// or StagePolicy.
	Stage string
}

// Allowed reports whether the request is approved.
func (o Outcome) Allowed() bool { return o.Decision.Allowed }

// Reason is the code of the decisive reason: "allowed", or the first reason
// of a denial.
func (o Outcome) Reason() string {
	if len(o.Decision.Reasons) == 0 {
		return "denied"
	}
	if o.Decision.Allowed {
		return o.Decision.Reasons[len(o.Decision.Reasons)-1].Code
	}
	return o.Decision.Reasons[0].Code
}

// Decide verifies rawToken, checks the principal against the directory and
// evaluates the policy on req with the verified principal (whatever
// req.Principal holds is replaced). The error is non-nil only for transient
// failures, classified with fault (issuer_unavailable,
// directory_unavailable, policy_unavailable): retry the message. Every
// denial is an Outcome.
func (d *Decider) Decide(ctx context.Context, rawToken string, req policy.Request) (out Outcome, err error) {
	ctx, span := telemetry.Start(ctx, "iis.decide")
	start := time.Now()
	defer func() { observe(ctx, span, start, out, err) }()
	pol := d.Policy.Current()
	if pol == nil {
		return Outcome{}, fault.AsTransient(ReasonPolicyUnavailable, errors.New("decision: no active policy"))
	}
	if req.Time.IsZero() {
		req.Time = d.now()
	}
	req.Time = req.Time.UTC()
	req.Principal = policy.Principal{}
	id, err := d.Identify(ctx, rawToken)
	if err != nil {
		return Outcome{}, err
	}
	if id.Code != "" {
		return denied(pol, req, id.Stage, id.Token, id.Facts, id.Code, id.Message), nil
	}
	req.Principal = id.Principal
	_, pspan := telemetry.Start(ctx, "iis.policy")
	dec := pol.Evaluate(req)
	pspan.End()
	dec.Input["identity"] = id.Facts
	return Outcome{Principal: id.Token, Decision: dec, Stage: StagePolicy}, nil
}

// Identity is who a request's token names, as the policy is to see them.
type Identity struct {
	// Token is the verified principal (zero if the token failed).
	Token identity.Principal
	// Principal is the principal the policy evaluates: the directory's
	// user name and groups (plus trusted token groups) when the directory
	// is on.
	Principal policy.Principal
	// Facts are the identity facts a decision records: the token's
	// fingerprint, its claims, the directory entry and the token groups
	// counted or dropped. Never the token.
	Facts map[string]any
	// Stage, Code and Message say why the principal may not ask at all
	// (an invalid token, an unknown, locked or inactive principal); Code is
	// empty when the policy is to decide.
	Stage, Code, Message string
}

// Identify verifies rawToken and looks the principal up in the directory:
// the first half of a decision, shared by every kind of request. The error
// is non-nil only for transient failures; a refusal is an Identity with a
// Code.
func (d *Decider) Identify(ctx context.Context, rawToken string) (Identity, error) {
	vctx, vspan := telemetry.Start(ctx, "iis.verify")
	p, err := d.Verifier.Verify(vctx, rawToken)
	telemetry.End(vspan, err)
	if err != nil {
		if !fault.IsPermanent(err) {
			return Identity{}, fmt.Errorf("decision: verify token: %w", err)
		}
		return Identity{Facts: map[string]any{"token_fingerprint": identity.Fingerprint(rawToken)},
			Stage: StageToken, Code: fault.ReasonOf(err), Message: err.Error()}, nil
	}
	ident := map[string]any{"token_fingerprint": p.TokenFingerprint, "claims": p.Claims}
	id := Identity{Token: p, Facts: ident}
	groups := p.Groups
	if len(p.UntrustedGroups) > 0 {
		ident["untrusted_token_groups"] = p.UntrustedGroups // dropped: issuer not trusted for groups
	}
	name, email := p.ID, p.Email
	if d.Directory != nil {
		dctx, dspan := telemetry.Start(ctx, "iis.directory")
		e, err := d.Directory.Lookup(dctx, p)
		telemetry.End(dspan, err)
		switch {
		case errors.Is(err, ErrNotFound):
			id.Stage, id.Code, id.Message = StageDirectory, ReasonPrincipalUnknown, fmt.Sprintf("%s is not in the directory", p.ID)
			return id, nil
		case fault.IsPermanent(err):
			id.Stage, id.Code, id.Message = StageDirectory, fault.ReasonOf(err), err.Error()
			return id, nil
		case err != nil:
			if fault.KindOf(err) == fault.Transient && fault.ReasonOf(err) == "internal" {
				err = fault.AsTransient(ReasonDirectoryUnavailable, err)
			}
			return Identity{}, fmt.Errorf("decision: directory lookup: %w", err)
		}
		ident["directory"] = map[string]any{"user_id": e.UserID, "user_name": e.UserName, "linked_by": e.LinkedBy,
			"active": e.Active, "locked": e.Locked, "groups": e.Groups}
		switch {
		case e.Locked:
			id.Stage, id.Code, id.Message = StageDirectory, ReasonPrincipalLocked, fmt.Sprintf("%s is locked in the directory", p.ID)
			return id, nil
		case !e.Active:
			id.Stage, id.Code, id.Message = StageDirectory, ReasonPrincipalInactive, fmt.Sprintf("%s is deactivated in the directory", p.ID)
			return id, nil
		}
		groups = union(e.Groups, p.Groups)
		// The directory says who it is: bindings and conditions see its
		// user name, and its primary e-mail when the token vouched for none.
		if e.UserName != "" {
			name = e.UserName
		}
		if email == "" {
			email = e.Email
		}
	}
	ident["token_groups"] = p.Groups // counted: issuer trusted for groups
	id.Principal = policy.Principal{ID: name, Email: email, Type: p.Type, Issuer: p.Issuer, Groups: groups}
	return id, nil
}

func (d *Decider) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// denied is the outcome of a request denied before policy evaluation; its
// snapshot holds the request, the identity facts known so far and the
// policy version in force.
func denied(pol *policy.Policy, req policy.Request, stage string, p identity.Principal, ident map[string]any, code, msg string) Outcome {
	if p.ID != "" {
		req.Principal = policy.Principal{ID: p.ID, Email: p.Email, Type: p.Type, Issuer: p.Issuer, Groups: p.Groups}
	}
	in := policy.Snapshot(req)
	if p.ID == "" {
		delete(in, "principal")
	}
	in["identity"] = ident
	return Outcome{
		Principal: p,
		Stage:     stage,
		Decision: policy.Decision{
			Reasons: []policy.Reason{{Code: code, Message: msg}},
			Version: pol.Version(),
			Input:   in,
		},
	}
}

// union returns a followed by the members of b not in a.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := slices.Clip(a)
	for _, g := range b {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
