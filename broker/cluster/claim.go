package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/store"
)

// ReasonCreateInProgress (transient): another delivery of the request
// holds the claim on creating its cluster.
const ReasonCreateInProgress = "create_in_progress"

// errFinished says the cluster is no longer waiting for its creation
// (another delivery created it, or it was ended or is being deleted).
var errFinished = errors.New("cluster: the cluster no longer waits for its creation")

const (
	defaultClaimLease = 15 * time.Second
	claimWait         = time.Minute
)

// claimKey is the effect key of creating a request's cluster.
func claimKey(requestKey string) string { return "cluster\x00" + requestKey }

func (h *Handler) claimLease() time.Duration {
	if h.ClaimLease > 0 {
		return h.ClaimLease
	}
	return defaultClaimLease
}

// waiting reports whether the stored cluster still waits for its creation.
func waiting(c store.Cluster) bool {
	return !c.Ended && c.State == store.ClusterApproved && c.UUID == "" && c.DeleteReason == ""
}

// claim makes this delivery the only one that mints and creates for the
// request (store.Effects, as for jobs): taken in the transaction that
// re-checks the principal and that the cluster still waits, renewed while
// the delivery works, expiring if its worker dies. A delivery that finds
// it taken waits until the cluster no longer waits (errFinished) or the
// claim lapses.
func (h *Handler) claim(ctx context.Context, requestID string, d store.Decision) (release func(), err error) {
	key, holder := claimKey(d.RequestKey), request.NewHolder()
	deadline := h.now().Add(claimWait)
	pause := 20 * time.Millisecond
	for {
		var got, finished bool
		err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := request.Entitled(ctx, tx, d, h.Directory, h.Policy, h.now()); err != nil {
				return err
			}
			c, err := tx.GetCluster(ctx, requestID)
			if err != nil {
				return err
			}
			if finished = !waiting(c); finished {
				return nil
			}
			got, err = tx.ClaimEffect(ctx, key, holder, h.now(), h.claimLease())
			return err
		})
		switch {
		case err != nil:
			return nil, err
		case finished:
			return nil, errFinished
		case got:
			return h.renew(ctx, key, holder), nil
		case !h.now().Before(deadline):
			return nil, fault.AsTransient(ReasonCreateInProgress, errors.New("another delivery of this request is creating its cluster"))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// renew keeps the claim while the delivery works and returns the function
// that stops renewing and releases it.
func (h *Handler) renew(ctx context.Context, key, holder string) func() {
	stop := request.KeepEffect(ctx, h.Store, key, holder, h.claimLease(), h.now, "cluster")
	return func() {
		stop()
		err := h.Store.Update(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
			return tx.ReleaseEffect(ctx, key, holder)
		})
		if err != nil { // it expires on its own
			zerolog.Ctx(ctx).Warn().Err(err).Msg("releasing the cluster claim failed")
		}
	}
}

// claimFree reports, inside tx, whether no delivery holds the claim on
// creating the cluster of requestKey (taking and giving it back at once,
// so that a delivery claiming after this transaction sees its outcome).
func (h *Handler) claimFree(ctx context.Context, tx store.Tx, requestKey string) (bool, error) {
	holder := request.NewHolder()
	got, err := tx.ClaimEffect(ctx, claimKey(requestKey), holder, h.now(), time.Second)
	if err != nil || !got {
		return false, err
	}
	return true, tx.ReleaseEffect(ctx, claimKey(requestKey), holder)
}
