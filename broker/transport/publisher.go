package transport

import (
	"context"
	"fmt"
	"sync"

	"cloud.google.com/go/pubsub/v2"

	"github.com/dataproc-iis/iis/events"
)

// Publisher publishes encoded events to topics by ID, keeping one
// pubsub.Publisher (and its batching goroutines) per topic.
type Publisher struct {
	client *pubsub.Client

	mu   sync.Mutex
	pubs map[string]*pubsub.Publisher
}

// NewPublisher returns a Publisher over c.
func NewPublisher(c *pubsub.Client) *Publisher {
	return &Publisher{client: c, pubs: map[string]*pubsub.Publisher{}}
}

// Publish sends m to topic and waits for the server's acknowledgement,
// returning the server-assigned message ID.
func (p *Publisher) Publish(ctx context.Context, topic string, m events.Message) (string, error) {
	res := p.topic(topic).Publish(ctx, &pubsub.Message{Data: m.Data, Attributes: m.Attributes})
	id, err := res.Get(ctx)
	if err != nil {
		return "", fmt.Errorf("pubsub.Publish(%s): %w", topic, err)
	}
	return id, nil
}

func (p *Publisher) topic(id string) *pubsub.Publisher {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.pubs[id]
	if !ok {
		t = p.client.Publisher(id)
		p.pubs[id] = t
	}
	return t
}

// Stop flushes and stops every topic publisher.
func (p *Publisher) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.pubs {
		t.Stop()
	}
	p.pubs = map[string]*pubsub.Publisher{}
}
