package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
)

// MessagePublished is the Eventarc type that carries a Pub/Sub message.
const MessagePublished = "google.cloud.pubsub.topic.v1.messagePublished"

// envelope is the data of a messagePublished CloudEvent
// (google.events.cloud.pubsub.v1.MessagePublishedData).
type envelope struct {
	Message struct {
		Data        []byte            `json:"data"` // base64 in JSON
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime string            `json:"publishTime"`
	} `json:"message"`
	Subscription    string `json:"subscription"`
	DeliveryAttempt int    `json:"deliveryAttempt"` // set when the subscription dead-letters
}

// errRetry is returned to have Eventarc deliver the message again.
var errRetry = errors.New("message not processed; it will be redelivered")

// HandleMessage processes one Pub/Sub message pushed by Eventarc.
func HandleMessage(ctx context.Context, ce cloudevents.Event) error {
	b, err := current(ctx)
	if err != nil {
		return fmt.Errorf("broker unavailable: %w", err)
	}
	log := b.log.With().Str("eventarc_id", ce.ID()).Logger()
	ctx = log.WithContext(ctx)
	d := delivery(ce)
	d.Channel = b.channel(ce.Source())
	if b.proc.Process(ctx, d) == worker.Nack {
		return errRetry
	}
	// No background relay runs between invocations: publish what this
	// message produced before returning. Anything left is sent by the next
	// relay that runs, so this is an optimisation, not a guarantee.
	if _, err := b.drain(ctx); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("outbox drain after message failed")
	}
	return nil
}

// channel is the worker channel of the topic an Eventarc event came from
// ("//pubsub.googleapis.com/projects/P/topics/T", set by Eventarc, not by
// the publisher), or "" for any other topic: the processor then refuses
// the message, so that a job request cannot arrive as an identity event or
// the reverse.
func (b *backend) channel(source string) string {
	i := strings.LastIndex(source, "/topics/")
	const prefix = "//pubsub.googleapis.com/projects/"
	if i < len(prefix) || !strings.HasPrefix(source, prefix) {
		return ""
	}
	if b.project != "" && source[len(prefix):i] != b.project {
		return "" // a topic of the same name in another project
	}
	switch source[i+len("/topics/"):] {
	case b.topology.Requests:
		return events.ChannelRequests
	case b.topology.Identity:
		return events.ChannelIdentity
	}
	return ""
}

// delivery unwraps the Pub/Sub message. An envelope that is not a
// messagePublished is passed on as an opaque message, so that the
// processor audits it as not a CloudEvent and it is acked, not retried.
func delivery(ce cloudevents.Event) worker.Delivery {
	var env envelope
	if ce.Type() != MessagePublished || json.Unmarshal(ce.Data(), &env) != nil {
		return worker.Delivery{ID: "eventarc:" + ce.ID(), Message: events.Message{Data: ce.Data(), Attributes: map[string]string{}}}
	}
	id := env.Message.MessageID
	if id == "" {
		id = "eventarc:" + ce.ID()
	}
	attrs := env.Message.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return worker.Delivery{ID: id, Message: events.Message{Data: env.Message.Data, Attributes: attrs}, Attempt: env.DeliveryAttempt}
}
