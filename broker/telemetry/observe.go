package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Gauges are the store's counts; store.Store implements it.
type Gauges interface {
	OutboxBacklog(ctx context.Context) (n int64, oldest time.Time, err error)
	ActiveJobsByState(ctx context.Context) (map[string]int64, error)
}

// ObserveStore reports, at each collection, the outbox depth and the age
// of its oldest unpublished message (iis_outbox_depth,
// iis_outbox_oldest_age_seconds) and the active jobs by state
// (iis_jobs_active). Every process on a store reports the same figures:
// aggregate them with max, not sum. It returns the function that stops it.
func (t *Telemetry) ObserveStore(st Gauges) (stop func() error, err error) {
	m := t.m.meter
	depth, err1 := m.Int64ObservableGauge("iis.outbox.depth", metric.WithDescription("Outbox messages not yet published (audit records waiting to be chained included)."))
	age, err2 := m.Float64ObservableGauge("iis.outbox.oldest.age", metric.WithUnit("s"), metric.WithDescription("Age of the oldest unpublished outbox message (0 when none)."))
	jobs, err3 := m.Int64ObservableGauge("iis.jobs.active", metric.WithDescription("Jobs the broker follows that have not ended, by state."))
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return nil, err
		}
	}
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if n, oldest, err := st.OutboxBacklog(ctx); err == nil {
			o.ObserveInt64(depth, n)
			a := 0.0
			if !oldest.IsZero() {
				a = max(0, time.Since(oldest).Seconds())
			}
			o.ObserveFloat64(age, a)
		}
		if byState, err := st.ActiveJobsByState(ctx); err == nil {
			for s, n := range byState {
				o.ObserveInt64(jobs, n, metric.WithAttributes(attribute.String("state", stateSet.value(s))))
			}
		}
		return nil // a store that does not answer shows as a gap
	}, depth, age, jobs)
	if err != nil {
		return nil, err
	}
	return reg.Unregister, nil
}
