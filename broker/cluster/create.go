package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// create runs an approved request: claim, mint, record the grant, create
// the cluster, record it. A cluster no longer waiting means an earlier
// delivery created it (or it was ended or is being deleted).
func (h *Handler) create(ctx context.Context, e event.Event, req events.ClusterRequest, d store.Decision) error {
	c, err := h.current(ctx, e.ID(), d)
	switch {
	case request.RefusedInFlight(err):
		return h.refuse(ctx, c, err)
	case err != nil || !waiting(c):
		return err
	}
	release, err := h.claim(ctx, e.ID(), d)
	switch {
	case errors.Is(err, errFinished):
		return nil
	case request.RefusedInFlight(err):
		return h.refuse(ctx, c, err)
	case err != nil:
		return err
	}
	defer release()
	var spec storedSpec
	if err := json.Unmarshal([]byte(c.Spec), &spec); err != nil {
		return fault.Permanentf("cluster_spec_unreadable", "the stored configuration of cluster %s does not decode: %v", c.Name, err)
	}
	cred, err := h.Minter.Mint(ctx, d.ServiceAccount, d.CredentialLifetime)
	if err != nil {
		return err
	}
	issued, err := events.NewCredentialIssued(h.Source, events.IssuedCredential{
		RequestID: e.ID(), ServiceAccount: cred.ServiceAccount, Scopes: cred.Scopes, ExpireTime: cred.ExpireTime.UTC(),
		Lifetime: cred.ExpireTime.Sub(h.now()).Round(1e9).String(), Fingerprint: "sha256:" + cred.Fingerprint,
	}, events.WithCauseIn(e, d.EventID), events.WithSubject(e.ID()))
	if err != nil {
		return fmt.Errorf("cluster: build credential issued: %w", err)
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := request.Entitled(ctx, tx, d, h.Directory, h.Policy, h.now()); err != nil {
			return err
		}
		// No target: the grant's token creates a cluster, never a workload
		// a cascade would look for by derived ids.
		err := tx.PutGrant(ctx, store.Grant{ID: cred.Fingerprint, RequestID: e.ID(), Principal: d.Principal, UserID: d.UserID,
			EventID: issued.ID(), Role: d.Role, ServiceAccount: cred.ServiceAccount, ExpiresAt: cred.ExpireTime})
		if err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, issued)
	})
	if request.RefusedInFlight(err) {
		return h.refuse(ctx, c, err)
	}
	if err != nil {
		return err
	}
	h.wake()
	cl, err := h.Dataproc.CreateCluster(ctx, cred, dataproc.ClusterRequest{Key: d.RequestKey, RequestID: e.ID(), Principal: d.Principal,
		Role: d.Role, Project: c.Project, Region: c.Region, Config: toDataproc(spec), Labels: req.Labels})
	if err != nil {
		if fault.IsPermanent(err) {
			h.end(ctx, c.RequestID, issued.ID(), cred.Fingerprint, "Dataproc refused the cluster: "+fault.ReasonOf(err))
		}
		return err
	}
	return h.recordCreated(ctx, c.RequestID, cl, spec.Config, issued.ID(), cred.Fingerprint)
}

// current returns the stored cluster of a request and whether its
// principal is still entitled (a refusal in flight if not).
func (h *Handler) current(ctx context.Context, requestID string, d store.Decision) (store.Cluster, error) {
	var c store.Cluster
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if c, err = tx.GetCluster(ctx, requestID); err != nil {
			return err
		}
		return request.Entitled(ctx, tx, d, h.Directory, h.Policy, h.now())
	})
	return c, err
}

// recordCreated records the cluster Dataproc accepted, with its
// cluster.created caused by the credential it was created under, and
// closes that credential's grant (its work is done). A principal no longer
// entitled, or a cluster a cascade or its owner asked to delete meanwhile,
// has the cluster deleted now.
func (h *Handler) recordCreated(ctx context.Context, requestID string, cl dataproc.Cluster, cfg events.ClusterConfig, causeID, grantID string) error {
	var rec store.Cluster
	orphan, recorded := false, false
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetCluster(ctx, requestID)
		if err != nil {
			return err
		}
		switch {
		case cur.Ended:
			orphan = true // ended as never created while Dataproc created it
			return nil
		case cur.UUID != "":
			recorded = true // a concurrent delivery or the watcher recorded it
			return nil
		}
		now := h.now()
		spec := policy.SpecFromEvent(cur.Project, cur.Region, cur.Template, cfg)
		ev, err := events.NewClusterCreated(h.Source, events.ClusterCreation{
			RequestID: cur.RequestID, Cluster: cl.Name, Project: cl.Project, Region: cl.Region, Resource: cl.Resource,
			ClusterUUID: cl.UUID, Operation: cl.Operation, DataprocRequestID: cl.DataprocRequestID,
			ServiceAccount: cur.ServiceAccount, Role: cur.Role, Template: cur.Template, Config: cfg,
			AutoDeleteTime: now.Add(spec.AutoDeleteTTL).UTC(),
		}, events.WithCausationID(causeID), events.WithRequestID(cur.RequestID), events.WithSubject(cur.RequestID))
		if err != nil {
			return err
		}
		cur.UUID, cur.Operation, cur.AutoDeleteAt, cur.NextPollAt, cur.LastEventID = cl.UUID, cl.Operation, now.Add(spec.AutoDeleteTTL), now, ev.ID()
		if cur.State == store.ClusterApproved {
			cur.State = "CREATING"
		}
		if grantID != "" {
			if _, err := tx.RevokeGrant(ctx, grantID, "cluster created", now); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if cur.DeleteReason == "" {
			d, err := tx.GetDecision(ctx, cur.RequestKey)
			if err != nil {
				return err
			}
			if request.RefusedInFlight(request.Entitled(ctx, tx, d, h.Directory, h.Policy, now)) {
				// Locked (or the role lost) while the create was under way:
				// the cascade ran before the cluster existed.
				cur.DeleteReason, cur.DeleteCause = events.DeletedInFlight, ev.ID()
			}
		}
		rec = cur
		if err := tx.PutCluster(ctx, cur); err != nil {
			return err
		}
		return h.Audit.Append(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	switch {
	case orphan:
		zerolog.Ctx(ctx).Warn().Str("cluster", cl.Resource).Msg("a cluster was created after its request was ended; deleting it")
		if err := h.Dataproc.DeleteCluster(ctx, h.Caller, cl); err != nil && !dataproc.Gone(err) {
			return err
		}
		return nil
	case recorded:
		return nil
	}
	h.wake()
	zerolog.Ctx(ctx).Info().Str("cluster", cl.Resource).Str("uuid", cl.UUID).Msg("cluster created")
	if rec.DeleteReason != "" {
		return h.deleteNow(ctx, rec)
	}
	return nil
}

// refuse handles a request refused in flight: a credential minted by an
// earlier delivery may have created the cluster, so it is deleted (by its
// derived name) if it exists, or ended as never created. The refusal
// stands.
func (h *Handler) refuse(ctx context.Context, c store.Cluster, refusal error) error {
	if c.Ended || c.DeleteReason != "" {
		return refusal // already ended, or being deleted
	}
	var minted bool
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		grants, err := tx.GrantsByRequest(ctx, c.RequestID)
		if err != nil {
			return err
		}
		cur, err := tx.GetCluster(ctx, c.RequestID)
		if err != nil || cur.Ended || cur.DeleteReason != "" {
			return err
		}
		if minted = len(grants) > 0; minted {
			cur.DeleteReason, cur.DeleteCause, cur.NextPollAt = events.DeletedInFlight, cur.LastEventID, h.now()
			return tx.PutCluster(ctx, cur)
		}
		return h.notCreated(ctx, tx, cur, cur.LastEventID, "the principal lost access before the cluster was created: "+fault.ReasonOf(refusal))
	})
	if err != nil {
		return err
	}
	h.wake()
	if minted {
		if err := h.deleteNow(ctx, c); err != nil {
			return err
		}
	}
	return refusal
}

// end closes the grant and ends a cluster Dataproc refused to create.
// Failing to is logged: the watcher ends it later.
func (h *Handler) end(ctx context.Context, requestID, causeID, grantID, why string) {
	err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.RevokeGrant(ctx, grantID, why, h.now()); err != nil {
			return err
		}
		cur, err := tx.GetCluster(ctx, requestID)
		if err != nil || cur.Ended {
			return err
		}
		return h.notCreated(ctx, tx, cur, causeID, why)
	})
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("request_id", requestID).Msg("ending a cluster Dataproc refused failed")
	}
	h.wake()
}

// notCreated ends an approved cluster that was never created, with its
// cluster.state_changed to NOT_CREATED caused by causeID.
func (h *Handler) notCreated(ctx context.Context, tx store.Tx, cur store.Cluster, causeID, why string) error {
	ev, err := h.stateEvent(cur, store.ClusterNotCreated, true, causeID, why)
	if err != nil {
		return err
	}
	cur.State, cur.Ended, cur.LastEventID = store.ClusterNotCreated, true, ev.ID()
	if err := tx.PutCluster(ctx, cur); err != nil {
		return err
	}
	return h.Audit.Append(ctx, tx, ev)
}

// stateEvent is the cluster.state_changed of cur to state, caused by causeID.
func (h *Handler) stateEvent(cur store.Cluster, state string, ended bool, causeID, detail string) (event.Event, error) {
	return events.NewClusterStateChanged(h.Source, events.ClusterStateChange{
		RequestID: cur.RequestID, Cluster: cur.Name, Resource: cur.Resource, PreviousState: cur.State, State: state,
		Detail: truncate(detail, 2048), Ended: ended,
	}, events.WithCausationID(causeID), events.WithRequestID(cur.RequestID), events.WithSubject(cur.RequestID))
}

// toDataproc is the stored configuration as Dataproc's package takes it.
func toDataproc(s storedSpec) dataproc.ClusterConfig {
	spec := policy.SpecFromEvent("", "", "", s.Config)
	group := func(n policy.NodeSpec) dataproc.NodeGroup {
		g := dataproc.NodeGroup{Count: n.Count, MachineType: n.MachineType}
		for _, a := range n.Accelerators {
			g.Accelerators = append(g.Accelerators, dataproc.Accelerator{Type: a.Type, Count: a.Count})
		}
		return g
	}
	return dataproc.ClusterConfig{
		Master: group(spec.Master), Workers: group(spec.Workers), SecondaryWorkers: group(spec.SecondaryWorkers),
		ImageVersion: spec.ImageVersion, IdleDeleteTTL: spec.IdleDeleteTTL, AutoDeleteTTL: spec.AutoDeleteTTL,
		InternalIPOnly: spec.InternalIPOnly, KMSKey: spec.KMSKey, NetworkTags: spec.NetworkTags, ServiceAccount: spec.ServiceAccount,
		PersonalAuthUser: s.PersonalAuthUser, ComponentGateway: spec.ComponentGateway, OptionalComponents: spec.OptionalComponents,
		Properties: spec.Properties,
	}
}
