package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/events"
)

// Result tells the transport what to do with a message.
type Result int

const (
	// Ack: the message is done with (processed, duplicate, or rejected and audited).
	Ack Result = iota
	// Nack: deliver the message again later.
	Nack
)

func (r Result) String() string {
	if r == Ack {
		return "ack"
	}
	return "nack"
}

// Delivery is one received message, independent of how it arrived.
type Delivery struct {
	ID      string // the transport's message id (Pub/Sub messageId)
	Message events.Message
	// Attempt is Pub/Sub's delivery attempt (1 for the first; 0 when the
	// subscription has no dead-letter policy and so does not count).
	Attempt int
	// Channel is the subscription the message arrived on
	// (events.ChannelRequests or events.ChannelIdentity). An event is
	// handled only on the channel its type belongs to; a delivery without
	// a channel is refused.
	Channel string
}

// ReasonWrongChannel rejects an event that arrived on a subscription its
// type may not use: a job request on the identity subscription, or an
// identity event on the requests one (which anyone allowed to publish job
// requests could otherwise use to forge a leaver).
const ReasonWrongChannel = "wrong_subscription"

// Auditor appends an audit event in a transaction. audit.Log satisfies it.
type Auditor interface {
	Append(ctx context.Context, tx store.Tx, e event.Event) error
}

// Processor decides the fate of each delivery.
type Processor struct {
	cfg    Config
	store  store.Store
	audit  Auditor
	router Router
	wake   func() // tells the outbox relay that new rows exist
	now    func() time.Time

	mu     sync.Mutex
	panics map[string]int // dedupe key -> panics so far
}

// NewProcessor returns a Processor. wake may be nil.
func NewProcessor(cfg Config, st store.Store, a Auditor, r Router, wake func()) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if wake == nil {
		wake = func() {}
	}
	return &Processor{cfg: cfg, store: st, audit: a, router: r, wake: wake, now: time.Now, panics: map[string]int{}}, nil
}

// Process handles one delivery and says whether to ack it. It never panics
// and never acks a message whose outcome was not recorded.
func (p *Processor) Process(ctx context.Context, d Delivery) (res Result) {
	log := zerolog.Ctx(ctx).With().Str("message_id", d.ID).Logger()
	ctx = log.WithContext(ctx)

	e, err := events.Decode(d.Message)
	if err != nil {
		return p.reject(ctx, "message\x00"+d.ID, d, err, nil, true)
	}
	log = log.With().Str("event_id", e.ID()).Str("event_type", e.Type()).
		Str("event_source", e.Source()).Str("subject", e.Subject()).Logger()
	if tp, ok := e.Extensions()[events.ExtTraceparent]; ok {
		log = log.With().Interface("traceparent", tp).Logger()
	}
	ctx = log.WithContext(ctx)
	ctx, span := startSpan(ctx, e, d)
	defer func() { endSpan(ctx, span, res) }()

	key := Key(e)
	if spec, _ := events.Lookup(e.Type()); spec.Channel != d.Channel || d.Channel == "" {
		err := fault.Permanentf(ReasonWrongChannel, "type %s is accepted only on the %s subscription; this message came on %q",
			e.Type(), spec.Channel, d.Channel)
		return p.reject(ctx, "channel\x00"+d.Channel+"\x00"+key, d, err, &e, true)
	}
	digest := Digest(e)
	prev, seen, err := p.seen(ctx, key)
	if err != nil {
		log.Warn().Err(err).Msg("dedupe lookup failed; will retry")
		return nacked(ctx, err)
	}
	if seen && prev != "" && prev != digest {
		// Not a redelivery: another body under a processed source and id,
		// which may be one publisher suppressing another's event. Audited
		// once per conflicting body.
		err := fault.Permanentf(ReasonDuplicateConflict, "event %s from %s was already processed with another body; this one is not processed",
			e.ID(), e.Source())
		return p.reject(ctx, key+"\x00conflict\x00"+digest, d, err, &e, true)
	}
	if seen {
		log.Debug().Msg("duplicate delivery dropped")
		return Ack
	}
	h, ok := p.router[e.Type()]
	if !ok {
		err := fault.Permanentf("unhandled_type", "no handler for type %q on this subscription", e.Type())
		return p.reject(ctx, key, d, err, &e, true)
	}

	err = call(ctx, h, e)
	var pe *panicError
	switch {
	case err == nil:
		return p.done(ctx, key, digest)
	case errors.As(err, &pe):
		n := p.countPanic(key)
		log.Error().Str("panic", pe.value).Int("panics", n).Msg("handler panicked")
		final := n >= p.cfg.MaxPanics
		res := p.reject(ctx, key, d, err, &e, final)
		if !final {
			return nacked(ctx, err)
		}
		return res
	case fault.IsPermanent(err):
		return p.reject(ctx, key, d, err, &e, true)
	case p.cfg.MaxAttempts > 0 && d.Attempt >= p.cfg.MaxAttempts:
		// Retrying has not helped: audit why and stop, rather than loop
		// until Pub/Sub dead-letters the message.
		err = fault.AsPermanent(fault.ReasonOf(err), fmt.Errorf("gave up after %d delivery attempts: %w", d.Attempt, err))
		return p.reject(ctx, key, d, err, &e, true)
	default:
		log.Warn().Err(err).Int("attempt", d.Attempt).Msg("transient failure; will retry")
		return nacked(ctx, err)
	}
}

// Key is the dedupe key of an event: its source and id.
func Key(e event.Event) string { return e.Source() + "\x00" + e.ID() }

// ReasonDuplicateConflict rejects an event whose source and id were
// processed before with another type, subject or body.
const ReasonDuplicateConflict = "duplicate_conflict"

// Digest identifies what an event says: the SHA-256 of its type, subject
// and data. A redelivery has the same digest; a different event reusing
// the source and id does not.
func Digest(e event.Event) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(e.Type()), []byte(e.Subject()), e.Data()} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (p *Processor) seen(ctx context.Context, key string) (digest string, seen bool, err error) {
	err = p.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		digest, seen, err = tx.ProcessedDigest(ctx, key)
		return err
	})
	return digest, seen, err
}

func (p *Processor) done(ctx context.Context, key, digest string) Result {
	p.clearPanics(key)
	err := p.store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MarkProcessed(ctx, key, digest, p.now())
		return err
	})
	if err != nil {
		// The handler is idempotent; redelivery finds its work done.
		zerolog.Ctx(ctx).Warn().Err(err).Msg("marking processed failed; will retry")
		return Nack
	}
	return Ack
}

// reject audits one `event rejected` for the delivery. With final set it
// also marks the key processed in the same transaction, so the rejection is
// recorded exactly once and the message can be acked.
func (p *Processor) reject(ctx context.Context, key string, d Delivery, cause error, e *event.Event, final bool) Result {
	log := zerolog.Ctx(ctx)
	// Identifying attributes and the error text only: a payload may hold
	// secrets and is never copied.
	r := events.Reject(d.Message, d.ID, cause)
	var opts []events.Option
	if e != nil {
		opts = append(opts, events.WithCause(*e))
	}
	rejected, err := events.NewEventRejected(p.cfg.Source, r, opts...)
	if err != nil {
		log.Error().Err(err).Msg("building event rejected failed; will retry")
		return Nack
	}
	digest := ""
	if e != nil && key == Key(*e) {
		digest = Digest(*e) // a later event with another body is a conflict
	}
	err = p.store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if final {
			first, err := tx.MarkProcessed(ctx, key, digest, p.now())
			if err != nil || !first {
				return err
			}
		}
		return p.audit.Append(ctx, tx, rejected)
	})
	if err != nil {
		log.Warn().Err(err).Msg("auditing a rejection failed; will retry")
		return Nack
	}
	p.wake()
	if final {
		p.clearPanics(key)
	}
	log.Info().Str("reason", r.Reason).Str("detail", r.Detail).Msg("event rejected")
	if final {
		telemetry.Current().Rejected(ctx, r.Reason)
	}
	return Ack
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (p *Processor) countPanic(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.panics) > 10000 { // bound memory under a storm of poison messages
		p.panics = map[string]int{}
	}
	p.panics[key]++
	return p.panics[key]
}

func (p *Processor) clearPanics(key string) {
	p.mu.Lock()
	delete(p.panics, key)
	p.mu.Unlock()
}

type panicError struct{ value string }

func (e *panicError) Error() string { return "handler panicked: " + e.value }

// call runs h and turns a panic into a permanent-looking *panicError.
func call(ctx context.Context, h Handler, e event.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fault.AsPermanent("handler_panic", &panicError{value: truncate(fmt.Sprint(r), 200)})
		}
	}()
	return h.Handle(ctx, e)
}
