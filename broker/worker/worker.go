package worker

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/events"
)

// Worker pulls messages from Pub/Sub subscriptions and runs them through a
// Processor.
type Worker struct {
	cfg  Config
	proc *Processor
	subs []subscriber
}

type subscriber struct {
	*pubsub.Subscriber
	channel string
}

// Subscription is a subscription ID and the channel its messages belong to
// (events.ChannelRequests or events.ChannelIdentity).
type Subscription struct {
	ID      string
	Channel string
}

// New returns a worker that serves every subscription in subs with proc.
func New(cfg Config, c *pubsub.Client, proc *Processor, subs ...Subscription) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, proc: proc}
	for _, sub := range subs {
		if sub.ID == "" || (sub.Channel != events.ChannelRequests && sub.Channel != events.ChannelIdentity) {
			return nil, fmt.Errorf("worker: subscription %q needs the requests or identity channel, not %q", sub.ID, sub.Channel)
		}
		s := c.Subscriber(sub.ID)
		s.ReceiveSettings.MaxOutstandingMessages = cfg.MaxOutstandingMessages
		s.ReceiveSettings.NumGoroutines = cfg.NumGoroutines
		s.ReceiveSettings.MaxDurationPerAckExtension = cfg.MaxAckExtension
		// A negative timeout selects the client's graceful shutdown, which
		// waits for callbacks and flushes their acks before Receive
		// returns; the timed mode returns before acks are sent. Run bounds
		// the wait itself by cancelling handlers after ShutdownTimeout.
		s.ReceiveSettings.ShutdownOptions = &pubsub.ShutdownOptions{
			Behavior: pubsub.ShutdownBehaviorWaitForProcessing,
			Timeout:  -1,
		}
		w.subs = append(w.subs, subscriber{Subscriber: s, channel: sub.Channel})
	}
	return w, nil
}

// Run receives until ctx is done, then stops pulling and lets in-flight
// messages finish (up to ShutdownTimeout) before returning.
func (w *Worker) Run(ctx context.Context) error {
	log := zerolog.Ctx(ctx)
	// Handlers run under a context that outlives ctx by ShutdownTimeout, so
	// that a shutdown drains in-flight work instead of failing it.
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go func() {
		select {
		case <-ctx.Done():
			t := time.AfterFunc(w.cfg.ShutdownTimeout, stop)
			<-work.Done()
			t.Stop()
		case <-work.Done():
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	for _, s := range w.subs {
		s := s
		g.Go(func() error {
			log.Info().Str("subscription", s.ID()).Str("channel", s.channel).Int("max_outstanding", w.cfg.MaxOutstandingMessages).
				Int("streams", w.cfg.NumGoroutines).Msg("receiving")
			return s.Receive(gctx, func(_ context.Context, m *pubsub.Message) {
				d := Delivery{ID: m.ID, Message: events.Message{Data: m.Data, Attributes: m.Attributes}, Channel: s.channel}
				if m.DeliveryAttempt != nil {
					d.Attempt = *m.DeliveryAttempt
				}
				res := w.proc.Process(work, d)
				if res == Ack {
					m.Ack()
				} else {
					m.Nack()
				}
			})
		})
	}
	waited := make(chan error, 1)
	go func() { waited <- g.Wait() }()
	select {
	case err := <-waited:
		log.Info().Msg("receivers stopped; in-flight messages drained")
		return err
	case <-work.Done():
		// Handlers were cancelled at the deadline; give them a moment to
		// return, then give up on any that ignore their context.
		select {
		case err := <-waited:
			return err
		case <-time.After(5 * time.Second):
			return fmt.Errorf("worker: shutdown timed out after %v with handlers still running", w.cfg.ShutdownTimeout)
		}
	}
}
