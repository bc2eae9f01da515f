package watch

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/store"
)

// CancelHold bounds how long a canceller keeps its jobs from the watchers
// should it die before releasing them.
const CancelHold = 2 * time.Minute

// Hold keeps the watchers off the jobs while the caller cancels them: from
// before the Cancel call until release, after the cancel is recorded. The
// CANCELLING that Dataproc reports meanwhile is then recorded once, by the
// canceller, caused by what asked for the cancel, rather than by a watcher
// ahead of it. A watcher that claimed a job before the hold sees that its
// claim moved and leaves the job alone. A hold that cannot be written is
// logged and the cancel goes ahead: a cancel is never held up by its
// bookkeeping, the trail only risks reading in another order. now is the
// caller's clock, for the hold and its release alike.
func Hold(ctx context.Context, st store.JobClaims, ids []string, now func() time.Time) (release func()) {
	if len(ids) == 0 {
		return func() {}
	}
	if err := st.ReleaseJobs(ctx, ids, now().Add(CancelHold)); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int("jobs", len(ids)).Msg("could not hold the jobs from the watchers; cancelling anyway")
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := st.ReleaseJobs(rctx, ids, now()); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Int("jobs", len(ids)).Dur("hold", CancelHold).
				Msg("could not release held jobs: the watchers pick them up when the hold runs out")
		}
	}
}
