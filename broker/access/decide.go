package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Reasons of access denials decided here, before the policy.
const (
	ReasonClusterNotFound   = "access_cluster_not_found"   // no cluster the broker created is named
	ReasonClusterNotRunning = "access_cluster_not_running" // the cluster is not (or no longer) RUNNING
	ReasonNoMember          = "access_no_member"           // the principal has no e-mail address IAM could name
)

// decide returns the recorded decision, making and recording it (with its
// audit event and, for an approval, the binding it grants) on the first
// delivery.
func (h *Handler) decide(ctx context.Context, e event.Event, req events.AccessRequest) (store.Decision, error) {
	key := store.EventKey(e.Source(), e.ID())
	digest := Digest(req)
	d, err := request.Recorded(ctx, h.Store, key)
	switch {
	case err == nil:
		return d, request.SameRequest(d, digest)
	case !errors.Is(err, store.ErrNotFound):
		return d, err
	}
	pol := h.Policy.Current()
	if pol == nil {
		return d, fault.AsTransient(decision.ReasonPolicyUnavailable, errors.New("no active policy"))
	}
	at := h.now().UTC()
	id, err := h.Identity.Identify(ctx, req.IDToken)
	if err != nil {
		return d, err
	}
	principal, userID := id.RecordName(req.IDToken), id.DirectoryField("user_id")
	var out decided
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if out, err = h.evaluate(ctx, tx, pol, id, req, at); err != nil {
			return err
		}
		ev, err := h.event(e, req, id, out, at)
		if err != nil {
			return fmt.Errorf("access: build decision event: %w", err)
		}
		d = store.Decision{RequestKey: key, RequestID: e.ID(), Principal: principal, UserID: userID, EventID: ev.ID(),
			Outcome: store.OutcomeDenied, Role: out.pd.Role, PolicyVersion: pol.Version(), DecidedAt: at, RequestDigest: digest}
		for _, r := range out.pd.Reasons {
			d.Reasons = append(d.Reasons, r.Code)
		}
		if out.pd.Allowed {
			d.Outcome, d.MaxDuration = store.OutcomeApproved, out.pd.Duration
		}
		first, err := tx.RecordDecision(ctx, d)
		if err != nil {
			return err
		}
		if !first {
			if d, err = tx.GetDecision(ctx, key); err != nil {
				return err
			}
			return request.SameRequest(d, digest)
		}
		if err := h.Audit.Append(ctx, tx, ev); err != nil {
			return err
		}
		if !out.pd.Allowed {
			return nil
		}
		return tx.PutBinding(ctx, store.Binding{ID: Title(key), RequestID: e.ID(), RequestKey: key,
			ClusterRequestID: out.cluster.RequestID, Resource: out.cluster.Resource, Principal: principal, UserID: userID,
			Member: out.member, IAMRole: out.pd.IAMRole, ExpiresAt: out.pd.ExpiresAt, State: store.BindingPending, EventID: ev.ID()})
	})
	if err != nil {
		return d, err
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("outcome", d.Outcome).Str("principal", principal).Str("view", req.View).
		Str("cluster", out.cluster.Resource).Msg("access request decided")
	return d, nil
}

// decided is an access decision and what it was made on.
type decided struct {
	pd      policy.AccessDecision
	cluster store.Cluster
	member  string
}

// evaluate resolves the cluster the request names and decides: the token
// and directory first, then that it is a running cluster of the broker's,
// then the policy.
func (h *Handler) evaluate(ctx context.Context, tx store.Tx, pol *policy.Policy, id decision.Identity, req events.AccessRequest, at time.Time) (decided, error) {
	var out decided
	deny := func(code, msg string) (decided, error) {
		out.pd = policy.AccessDecision{Reasons: []policy.Reason{{Code: code, Message: msg}}, Version: pol.Version()}
		return out, nil
	}
	if id.Code != "" {
		return deny(id.Code, id.Message)
	}
	c, err := clusterNamed(ctx, tx, req)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return deny(ReasonClusterNotFound, "the request names no cluster the broker created")
	case err != nil:
		return out, err
	}
	out.cluster = c
	if c.Ended || c.State != "RUNNING" || c.DeleteReason != "" {
		return deny(ReasonClusterNotRunning, fmt.Sprintf("cluster %s is %s, not RUNNING", c.Name, c.State))
	}
	if out.member = member(id.Principal); out.member == "" {
		return deny(ReasonNoMember, id.Principal.ID+" has no e-mail address for an IAM binding")
	}
	d, _ := time.ParseDuration(req.Duration) // the schema guarantees the form
	out.pd = pol.EvaluateAccess(policy.AccessRequest{Principal: id.Principal, Owner: c.Principal, Project: c.Project,
		Region: c.Region, Cluster: c.Name, View: req.View, Duration: d, Justification: req.Justification, Time: at})
	return out, nil
}

// clusterNamed is the cluster an access request names: by its cluster
// request, or as the cluster a job ran on.
func clusterNamed(ctx context.Context, tx store.Tx, req events.AccessRequest) (store.Cluster, error) {
	if req.ClusterRequestID != "" {
		return tx.GetCluster(ctx, req.ClusterRequestID)
	}
	j, err := tx.GetJob(ctx, req.JobRequestID)
	if err != nil {
		return store.Cluster{}, err
	}
	if j.Cluster == "" {
		return store.Cluster{}, fmt.Errorf("a Serverless batch: %w", store.ErrNotFound)
	}
	return tx.FindCluster(ctx, j.Project, j.Region, j.Cluster)
}

// member is the IAM member of a principal: user:EMAIL for a human,
// serviceAccount:EMAIL for a workload.
func member(p policy.Principal) string {
	email := p.Email
	if email == "" && strings.Contains(p.ID, "@") {
		email = p.ID
	}
	if email == "" || strings.ContainsAny(email, " \t\n:") {
		return ""
	}
	if p.Type == policy.TypeWorkload {
		return "serviceAccount:" + strings.ToLower(email)
	}
	return "user:" + strings.ToLower(email)
}

// event is the access.approved or access.denied audit event.
func (h *Handler) event(e event.Event, req events.AccessRequest, id decision.Identity, out decided, at time.Time) (event.Event, error) {
	stage := id.Stage
	if stage == "" {
		stage = decision.StagePolicy
	}
	ad := events.AccessDecision{RequestID: e.ID(), Outcome: events.OutcomeDenied, Role: out.pd.Role, View: req.View,
		PolicyVersion: out.pd.Version, Input: events.AccessDecisionInput{Claims: id.Token.Claims, Request: req.Facts(), Time: at,
			Stage: stage, Identity: id.Facts, Owner: out.cluster.Principal}}
	if t := id.Token; t.ID != "" {
		ad.Principal = &events.Principal{ID: t.ID, Email: t.Email, Type: t.Type, Issuer: t.Issuer, Groups: t.Groups}
		if p := id.Principal; p.ID != "" {
			ad.Principal.ID, ad.Principal.Groups, ad.Principal.Email = p.ID, p.Groups, p.Email
		}
	}
	if out.cluster.Resource != "" {
		ad.Resource = out.cluster.Resource
	}
	for _, r := range out.pd.Reasons {
		ad.Reasons = append(ad.Reasons, events.Reason{Code: r.Code, Message: truncate(r.Message, 1024)})
	}
	opts := []events.Option{events.WithCause(e), events.WithSubject(e.ID())}
	if !out.pd.Allowed {
		return events.NewAccessDenied(h.Source, ad, opts...)
	}
	ad.Outcome, ad.Binding, ad.IAMRole, ad.Member, ad.ExpiresAt = events.OutcomeApproved, out.pd.Binding, out.pd.IAMRole, out.member, out.pd.ExpiresAt.UTC()
	return events.NewAccessApproved(h.Source, ad, opts...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
