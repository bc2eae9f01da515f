package functions

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"
)

// Watch polls the jobs that are due once and publishes what changed, and
// denies the requests nobody approved in time. Cloud Scheduler calls it
// (every minute, say) where no long-running worker runs the watcher: Cloud
// Run functions get no CPU between requests.
func Watch(w http.ResponseWriter, r *http.Request) {
	b, err := current(r.Context())
	if err != nil {
		http.Error(w, "broker unavailable", http.StatusServiceUnavailable)
		return
	}
	if b.watcher == nil {
		http.Error(w, "this broker runs no jobs (no policy, or decide-only)", http.StatusNotFound)
		return
	}
	ctx := b.log.WithContext(r.Context())
	n, err := b.watcher.Poll(ctx)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("watch poll failed")
	}
	if b.sweep != nil {
		// No worker runs the expirer here: requests nobody approved in
		// time are denied on the watcher's schedule.
		if _, serr := b.sweep(ctx); serr != nil {
			zerolog.Ctx(ctx).Warn().Err(serr).Msg("expiring waiting requests failed")
			err = errors.Join(err, serr)
		}
	}
	if _, derr := b.drain(ctx); derr != nil {
		zerolog.Ctx(ctx).Warn().Err(derr).Msg("outbox drain after watch failed")
	}
	if err != nil {
		http.Error(w, "some polls failed; they are retried on the next call", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "%d jobs changed state\n", n)
}
