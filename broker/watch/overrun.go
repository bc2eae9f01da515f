package watch

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
)

// overrun cancels a job that has run past the duration its approval
// allowed (batches also carry it as their TTL; cluster jobs have none), and
// otherwise just backs off.
func (w *Watcher) overrun(ctx context.Context, j store.Job) error {
	var d store.Decision
	err := w.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		d, err = tx.GetDecision(ctx, j.RequestKey)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return w.reschedule(ctx, j, j.State, false, err)
	}
	if d.MaxDuration > 0 && w.Now().Sub(j.CreatedAt) > d.MaxDuration {
		zerolog.Ctx(ctx).Warn().Str("request_id", j.RequestID).Dur("max_duration", d.MaxDuration).
			Msg("job outran its approved duration; cancelling")
		if err := w.dataproc.Cancel(ctx, w.caller, Submission(j)); err != nil {
			if _, ended := dataproc.EndedState(err); ended {
				err = nil // it ended meanwhile: the next poll records how
			}
			return w.reschedule(ctx, j, j.State, false, err)
		}
	}
	return w.reschedule(ctx, j, j.State, false, nil)
}
