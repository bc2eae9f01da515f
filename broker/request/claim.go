package request

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// ReasonMintInProgress (transient): another delivery of the request holds
// the claim on minting its credential and has not finished yet.
const ReasonMintInProgress = "mint_in_progress"

// errFinished says another delivery finished the request while this one
// waited for its claim.
var errFinished = errors.New("request: another delivery finished the request")

const (
	defaultClaimLease = 15 * time.Second
	// claimWait bounds how long a delivery waits for another's claim
	// before it gives up (transient: redelivered).
	claimWait = time.Minute
)

func (h *Handler) claimLease() time.Duration {
	if h.ClaimLease > 0 {
		return h.ClaimLease
	}
	return defaultClaimLease
}

// mintClaim is a delivery's claim on minting its request's credential.
type mintClaim struct {
	key, holder string
	stop        func()
	released    bool // released in the transaction that recorded the job
}

// claimMint makes this delivery the only one that mints and submits for
// the request. Minting is an effect: two deliveries of one event at once
// (a publisher that sent it twice, a redelivery racing a slow worker) must
// not mint two credentials. The claim is taken in the transaction that
// re-checks the principal and finds no job recorded, renewed while the
// delivery works, released when its job is recorded, and expires if its
// worker dies. A delivery that finds it taken waits until the holder
// records the job (errFinished) or its claim lapses.
func (h *Handler) claimMint(ctx context.Context, e event.Event, d store.Decision) (*mintClaim, error) {
	c := &mintClaim{key: "mint\x00" + d.RequestKey, holder: NewHolder()}
	deadline := h.now().Add(claimWait)
	pause := 20 * time.Millisecond
	for {
		var got, done bool
		err := h.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			got, done = false, false
			if err := h.entitled(ctx, tx, d); err != nil {
				return err
			}
			if _, err := tx.GetJob(ctx, e.ID()); err == nil {
				done = true // recorded by a delivery that held the claim before
				return nil
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			var err error
			got, err = tx.ClaimEffect(ctx, c.key, c.holder, h.now(), h.claimLease())
			return err
		})
		switch {
		case err != nil:
			return nil, err
		case done:
			return nil, errFinished
		case got:
			c.stop = h.renew(ctx, c.key, c.holder)
			return c, nil
		}
		if done, err := h.finished(ctx, e.ID(), d); done || err != nil {
			if err == nil {
				err = errFinished
			}
			return nil, err
		}
		if !h.now().Before(deadline) {
			return nil, fault.AsTransient(ReasonMintInProgress, errors.New("another delivery of this request is minting its credential"))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// done stops renewing the claim and releases it unless the job's record
// did.
func (h *Handler) doneMint(ctx context.Context, c *mintClaim) {
	c.stop()
	if c.released {
		return
	}
	err := h.Store.Update(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
		return tx.ReleaseEffect(ctx, c.key, c.holder)
	})
	if err != nil { // it expires on its own
		zerolog.Ctx(ctx).Warn().Err(err).Msg("releasing the mint claim failed")
	}
}

// finished reports whether another delivery recorded the request's job, or
// the request was marked processed (rejected for good).
func (h *Handler) finished(ctx context.Context, requestID string, d store.Decision) (bool, error) {
	var done bool
	err := h.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetJob(ctx, requestID); err == nil {
			done = true
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var err error
		done, err = tx.IsProcessed(ctx, d.RequestKey)
		return err
	})
	return done, err
}

// renew keeps the claim while the delivery works and returns the function
// that stops renewing.
func (h *Handler) renew(ctx context.Context, key, holder string) func() {
	return KeepEffect(ctx, h.Store, key, holder, h.claimLease(), h.now, "mint")
}

// KeepEffect renews holder's claim on the effect key every lease/3 until
// the returned function is called (and has waited for the renewer), so a
// claim outlives a slow delivery but not a dead worker. what names the
// claim in the log.
func KeepEffect(ctx context.Context, st store.Store, key, holder string, lease time.Duration, now func() time.Time, what string) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				err := st.Update(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
					_, err := tx.ClaimEffect(ctx, key, holder, now(), lease)
					return err
				})
				if err != nil {
					zerolog.Ctx(ctx).Warn().Err(err).Msgf("renewing the %s claim failed", what)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// NewHolder names one delivery's claim.
func NewHolder() string {
	var b [12]byte
	rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}
