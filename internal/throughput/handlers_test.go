package throughput

import (
	"context"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
)

// noopHandler audits one job.denied per request and decides nothing: the
// broker's own cost (dedupe, transaction, chain, outbox relay).
type noopHandler struct {
	st    store.Store
	audit interface {
		Append(ctx context.Context, tx store.Tx, e event.Event) error
	}
}

func (h *noopHandler) Handle(ctx context.Context, e event.Event) error {
	ev, err := denial(e)
	if err != nil {
		return err
	}
	return h.st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return h.audit.Append(ctx, tx, ev) })
}

// denial is the one event the no-op handlers emit for a request.
func denial(req event.Event) (event.Event, error) {
	jr, err := events.DecodeJobRequest(req)
	if err != nil {
		return event.Event{}, err
	}
	return events.NewJobDenied(source, events.JobDecision{
		RequestID: req.ID(), Outcome: events.OutcomeDenied,
		Reasons: []events.Reason{{Code: "benchmark_noop", Message: "no-op handler: nothing was decided"}},
		Input:   events.DecisionInput{Request: jr.Facts(), Time: time.Now().UTC()},
	}, events.WithCause(req), events.WithSubject(req.ID()))
}

// republish is the transport's ceiling: a subscriber with the worker's
// receive settings that publishes one event per request and acks.
func (r *rig) republish(c *pubsub.Client) {
	d := worker.DefaultConfig()
	sub := c.Subscriber(r.topo.RequestsSub)
	sub.ReceiveSettings.NumGoroutines = d.NumGoroutines
	sub.ReceiveSettings.MaxOutstandingMessages = d.MaxOutstandingMessages
	pub := transport.NewPublisher(c)
	r.background(func(ctx context.Context) {
		defer pub.Stop()
		_ = sub.Receive(ctx, func(ctx context.Context, m *pubsub.Message) {
			e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
			if err == nil {
				var out event.Event
				if out, err = denial(e); err == nil {
					var enc events.Message
					if enc, err = events.Encode(out); err == nil {
						_, err = pub.Publish(ctx, r.topo.Audit, enc)
					}
				}
			}
			if err != nil {
				m.Nack()
				return
			}
			m.Ack()
		})
	})
}
