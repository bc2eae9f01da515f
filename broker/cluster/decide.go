package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// storedSpec is what the store keeps of an approved cluster's
// configuration (store.Cluster.Spec).
type storedSpec struct {
	Config events.ClusterConfig `json:"config"`
	// PersonalAuthUser is the requester's e-mail address when the cluster
	// has Personal Cluster Authentication.
	PersonalAuthUser string `json:"personal_auth_user,omitempty"`
}

// decide returns the recorded decision, making and recording it (with its
// audit event, and the cluster it approves) if this is the first delivery.
// The policy is evaluated in the recording transaction, on the number of
// clusters the principal has then, so that two requests at once cannot
// both take the last of the role's max_clusters.
func (h *Handler) decide(ctx context.Context, e event.Event, req events.ClusterRequest) (store.Decision, error) {
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
		return d, err // transient: redeliver
	}
	principal, userID := id.RecordName(req.IDToken), id.DirectoryField("user_id")
	var pd policy.ClusterDecision
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		active := 0
		if id.Code == "" {
			cs, err := activeClusters(ctx, tx, userID, principal)
			if err != nil {
				return err
			}
			active = len(cs)
		}
		pd = evaluate(pol, id, req, active, at)
		ev, rec, err := h.records(e, req, id, pd, active, at)
		if err != nil {
			return fmt.Errorf("cluster: build decision event: %w", err)
		}
		d = store.Decision{RequestKey: key, RequestID: e.ID(), Principal: principal, UserID: userID, EventID: ev.ID(),
			Outcome: store.OutcomeDenied, Role: pd.Role, PolicyVersion: pd.Version, DecidedAt: at, RequestDigest: digest}
		for _, r := range pd.Reasons {
			d.Reasons = append(d.Reasons, r.Code)
		}
		if pd.Allowed {
			d.Outcome, d.ServiceAccount, d.CredentialLifetime = store.OutcomeApproved, pd.ServiceAccount, pd.CredentialLifetime
		}
		first, err := tx.RecordDecision(ctx, d)
		if err != nil {
			return err
		}
		if !first { // a concurrent delivery decided first: keep its decision
			if d, err = tx.GetDecision(ctx, key); err != nil {
				return err
			}
			return request.SameRequest(d, digest)
		}
		if err := h.Audit.Append(ctx, tx, ev); err != nil {
			return err
		}
		if rec == nil {
			return nil
		}
		rec.Principal, rec.UserID = principal, userID
		return tx.PutCluster(ctx, *rec)
	})
	if err != nil {
		return d, err
	}
	h.wake()
	reason := "denied"
	if len(pd.Reasons) > 0 {
		reason = pd.Reasons[len(pd.Reasons)-1].Code
	}
	zerolog.Ctx(ctx).Info().Str("outcome", d.Outcome).Str("principal", d.Principal).Str("role", d.Role).
		Str("template", req.Template).Str("reason", reason).Msg("cluster request decided")
	return d, nil
}

// evaluate is the policy's decision, or the refusal of a token or
// directory check.
func evaluate(pol *policy.Policy, id decision.Identity, req events.ClusterRequest, active int, at time.Time) policy.ClusterDecision {
	if id.Code != "" {
		return policy.ClusterDecision{Version: pol.Version(), Reasons: []policy.ClusterReason{{Code: id.Code, Message: id.Message}}}
	}
	return pol.EvaluateCluster(policy.ClusterRequest{
		Principal: id.Principal, Role: req.Role, Template: req.Template, Project: req.Project, Region: req.Region,
		Config: req.Config, Justification: req.Justification, Labels: req.Labels, ActiveClusters: active, Time: at,
	})
}

// records builds the decision's audit event and, for an approval, the
// cluster record it approves.
func (h *Handler) records(e event.Event, req events.ClusterRequest, id decision.Identity, pd policy.ClusterDecision, active int, at time.Time) (event.Event, *store.Cluster, error) {
	stage := id.Stage
	if stage == "" {
		stage = decision.StagePolicy
	}
	cd := events.ClusterDecision{
		RequestID: e.ID(), Outcome: events.OutcomeDenied, Role: pd.Role, PolicyVersion: pd.Version,
		Input: events.ClusterDecisionInput{Claims: id.Token.Claims, Request: req.Facts(), Time: at, Stage: stage,
			Identity: id.Facts, ActiveClusters: active},
	}
	if t := id.Token; t.ID != "" {
		cd.Principal = &events.Principal{ID: t.ID, Email: t.Email, Type: t.Type, Issuer: t.Issuer, Groups: t.Groups}
		if p := id.Principal; p.ID != "" {
			cd.Principal.ID, cd.Principal.Groups, cd.Principal.Email = p.ID, p.Groups, p.Email
		}
	}
	for _, r := range pd.Reasons {
		cd.Reasons = append(cd.Reasons, events.ClusterReason{Code: r.Code, Field: r.Field, Cap: truncate(r.Cap, 512), Message: truncate(r.Message, 1024)})
	}
	opts := []events.Option{events.WithCause(e), events.WithSubject(e.ID())}
	if !pd.Allowed {
		ev, err := events.NewClusterDenied(h.Source, cd, opts...)
		return ev, nil, err
	}
	key := store.EventKey(e.Source(), e.ID())
	s := pd.Spec
	cl := dataproc.ExpectedCluster(key, s.Project, s.Region)
	cfg := s.EventConfig()
	cd.Outcome, cd.Binding, cd.Template, cd.ServiceAccount = events.OutcomeApproved, pd.Binding, pd.Template, pd.ServiceAccount
	cd.Cluster, cd.Project, cd.Region, cd.Config = cl.Name, s.Project, s.Region, &cfg
	cd.CredentialLifetime = pd.CredentialLifetime.String()
	ev, err := events.NewClusterApproved(h.Source, cd, opts...)
	if err != nil {
		return ev, nil, err
	}
	stored := storedSpec{Config: cfg}
	if s.PersonalAuth {
		stored.PersonalAuthUser = id.Principal.Email
		if stored.PersonalAuthUser == "" {
			stored.PersonalAuthUser = id.Principal.ID
		}
	}
	spec, err := json.Marshal(stored)
	if err != nil {
		return ev, nil, err
	}
	rec := &store.Cluster{
		RequestID: e.ID(), RequestKey: key, Role: pd.Role, Template: pd.Template, ServiceAccount: pd.ServiceAccount,
		Project: s.Project, Region: s.Region, Name: cl.Name, Resource: cl.Resource, DataprocRequestID: cl.DataprocRequestID,
		Spec: string(spec), State: store.ClusterApproved, NextPollAt: at.Add(h.abandonAfter()), LastEventID: ev.ID(),
	}
	return ev, rec, nil
}

// activeClusters are the clusters not ended of a user (by id), or of a
// principal name when there is no user id.
func activeClusters(ctx context.Context, tx store.Tx, userID, principal string) ([]store.Cluster, error) {
	if userID != "" {
		return tx.ListActiveClustersByUser(ctx, userID)
	}
	return tx.ListActiveClustersByPrincipal(ctx, principal)
}

// Digest identifies a cluster request exactly (token included); only the
// digest is stored.
func Digest(r events.ClusterRequest) string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
