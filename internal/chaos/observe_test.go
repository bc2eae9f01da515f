//go:build linux

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

// collector follows the audit topic from before the first request: it
// drives the schedule (how many requests are decided) and, at the end,
// says whether every chain record was delivered.
type collector struct {
	mu        sync.Mutex
	capture   *os.File             // every message as `iis tail -json` writes it
	seen      map[string]bool      // event ids received
	decidedAt map[string]time.Time // request id -> arrival of its decision
	revoked   map[string]bool      // principal -> an access.revoked arrived
	settled   map[string]bool      // user.deactivated ids with an outcome: revoked or rejected
	bad       int                  // messages that did not decode
}

func collect(ctx context.Context, c *pubsub.Client, topic, capture string) (*collector, error) {
	f, err := os.Create(capture)
	if err != nil {
		return nil, err
	}
	name := transport.SubscriptionName(c.Project(), "chaos-audit-collector")
	_, err = c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: name, Topic: transport.TopicName(c.Project(), topic), AckDeadlineSeconds: 60,
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pubsub.CreateSubscription: %w", err)
	}
	col := &collector{capture: f, seen: map[string]bool{}, decidedAt: map[string]time.Time{}, revoked: map[string]bool{}, settled: map[string]bool{}}
	sub := c.Subscriber(name)
	sub.ReceiveSettings.NumGoroutines = 4 // pstest streams ~90 msgs/s each
	sub.ReceiveSettings.MaxOutstandingMessages = 2000
	go func() {
		_ = sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) {
			col.add(m)
			m.Ack()
		})
		col.mu.Lock()
		f.Close()
		col.mu.Unlock()
	}()
	return col, nil
}

// captureLine is one line of `iis tail -json`, which `iis audit verify
// -file` reads.
type captureLine struct {
	MessageID   string            `json:"message_id"`
	PublishTime time.Time         `json:"publish_time"`
	Attributes  map[string]string `json:"attributes"`
	Data        json.RawMessage   `json:"data,omitempty"`
	RawData     []byte            `json:"raw_data,omitempty"`
}

func (c *collector) add(pm *pubsub.Message) {
	line := captureLine{MessageID: pm.ID, PublishTime: pm.PublishTime, Attributes: pm.Attributes}
	if json.Valid(pm.Data) {
		line.Data = pm.Data
	} else {
		line.RawData = pm.Data
	}
	b, _ := json.Marshal(line)
	e, err := events.Decode(events.Message{Data: pm.Data, Attributes: pm.Attributes})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capture.Write(append(b, '\n'))
	if err != nil {
		c.bad++
		return
	}
	c.seen[e.ID()] = true
	switch e.Type() {
	case events.JobApproved, events.JobDenied, events.ClusterApproved, events.ClusterDenied, events.AccessApproved, events.AccessDenied:
		if id, _ := e.Extensions()[events.ExtRequestID].(string); id != "" {
			if _, ok := c.decidedAt[id]; !ok {
				c.decidedAt[id] = time.Now()
			}
		}
	case events.AccessRevoked:
		if rv, err := events.DecodeRevocation(e); err == nil {
			c.revoked[rv.Principal.ID] = true
			c.settled[rv.Trigger.EventID] = true
		}
	case events.EventRejected:
		if rj, err := events.DecodeRejection(e); err == nil && rj.ReceivedType == events.UserDeactivated {
			c.settled[rj.ReceivedID] = true
		}
	}
}

// decided counts requests whose decision arrived.
func (c *collector) decided() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.decidedAt)
}

func (c *collector) decisionAt(id string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.decidedAt[id]
	return at, ok
}

// missing returns the ids in want that never arrived.
func (c *collector) missing(want []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range want {
		if !c.seen[id] {
			out = append(out, id)
		}
	}
	return out
}

// deactivations counts the user.deactivated events that had an outcome on
// the audit topic: an access.revoked, or a rejection.
func (c *collector) deactivations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.settled)
}

// flush makes the capture file complete up to now.
func (c *collector) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capture.Sync()
}
