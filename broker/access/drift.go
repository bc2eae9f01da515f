package access

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Drift compares the IAM policy of every running cluster with the bindings
// the store records for it. A binding the broker made (its condition's
// title starts with iis-) that no binding not removed backs is removed; a
// binding the store has ACTIVE and not expired that the policy lacks in two
// drift rounds in a row is reported, once (a cascade removes a binding
// from IAM a moment before it records that). Each cluster with findings
// gets one access.drift_found, a trigger: it names no cause.
func (r *Reconciler) Drift(ctx context.Context) error {
	h := r.h
	var clusters []store.Cluster
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		clusters, err = tx.ListActiveClusters(ctx)
		return err
	})
	if err != nil {
		return err
	}
	before := r.missing
	r.missing = map[string]int{}
	var errs []error
	for _, c := range clusters {
		if c.State != "RUNNING" || c.UUID == "" {
			continue
		}
		if err := r.driftOf(ctx, c, before); err != nil && !dataproc.Gone(err) {
			errs = append(errs, fmt.Errorf("%s: %w", c.Resource, err))
		}
	}
	return errors.Join(errs...)
}

func (r *Reconciler) driftOf(ctx context.Context, c store.Cluster, before map[string]int) error {
	h := r.h
	inIAM, err := h.IAM.Bindings(ctx, h.Caller, clusterOf(c))
	if err != nil {
		return err
	}
	var recorded []store.Binding
	err = h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		recorded, err = tx.ListBindingsByCluster(ctx, c.RequestID)
		return err
	})
	if err != nil {
		return err
	}
	byTitle := map[string]store.Binding{}
	for _, b := range recorded {
		byTitle[b.ID] = b
	}
	now := h.now()
	var findings []events.DriftFinding
	var unbacked []string
	seen := map[string]bool{}
	for _, b := range inIAM {
		seen[b.Title] = true
		rec, ok := byTitle[b.Title]
		if ok && rec.State != store.BindingRemoved && rec.Member == b.Member && rec.IAMRole == b.Role {
			continue // backed (an expired one is the expiry's to remove)
		}
		f := events.DriftFinding{Kind: events.DriftUnbacked, IAMRole: b.Role, Member: b.Member, ConditionTitle: b.Title, Action: events.DriftRemoved}
		switch {
		case !ok:
			f.Detail = "no grant of the broker's has this binding"
		case rec.State == store.BindingRemoved:
			f.RequestID, f.Detail = rec.RequestID, "its grant was removed ("+rec.RemoveReason+"); the binding was still in the policy"
		default:
			f.RequestID, f.Detail = rec.RequestID, "the binding's member or role is not its grant's"
		}
		findings = append(findings, f)
		unbacked = append(unbacked, b.Title)
	}
	for _, rec := range recorded {
		if rec.State != store.BindingActive || !rec.ExpiresAt.After(now) || seen[rec.ID] {
			continue
		}
		r.missing[rec.ID] = before[rec.ID] + 1
		if r.missing[rec.ID] == 2 {
			findings = append(findings, events.DriftFinding{Kind: events.DriftMissing, IAMRole: rec.IAMRole, Member: rec.Member,
				ConditionTitle: rec.ID, RequestID: rec.RequestID, Action: events.DriftReported,
				Detail: "the grant is active but its binding is not in the policy"})
		}
	}
	if len(findings) == 0 {
		return nil
	}
	if len(unbacked) > 0 {
		if _, err := h.IAM.RemoveBindings(ctx, h.Caller, clusterOf(c), unbacked...); err != nil {
			return err
		}
	}
	ev, err := events.NewAccessDriftFound(h.Source, events.AccessDrift{Resource: c.Resource, Findings: findings},
		events.WithSubject(c.RequestID), events.WithRequestID(c.RequestID))
	if err != nil {
		return err
	}
	err = h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error { return h.Audit.Append(ctx, tx, ev) })
	if err == nil {
		h.wake()
		zerolog.Ctx(ctx).Warn().Str("cluster", c.Resource).Int("findings", len(findings)).Int("removed", len(unbacked)).Msg("IAM drift found")
	}
	return err
}
