package transport_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
	"github.com/dataproc-iis/iis/schemas"
)

// TestRoundTripEveryTypeThroughPubSub publishes one event of every catalog
// type, built from its schema's first example, through the real Pub/Sub
// client to pstest, receives it, and checks that it decodes to the same
// event.
func TestRoundTripEveryTypeThroughPubSub(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := pubsubserver.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := transport.NewClient(ctx, "test", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: transport.TopicName("test", "t")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: transport.SubscriptionName("test", "s"), Topic: transport.TopicName("test", "t"),
	}); err != nil {
		t.Fatal(err)
	}

	sent := map[string]events.Message{}
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	for _, spec := range events.Catalog() {
		data := firstExample(t, spec.File)
		e, err := events.NewFromJSON(spec.Type, "//test/roundtrip", data, events.WithTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
		if err != nil {
			t.Fatalf("%s: NewFromJSON(first example) = %v", spec.Type, err)
		}
		m, err := events.Encode(e)
		if err != nil {
			t.Fatalf("%s: Encode = %v", spec.Type, err)
		}
		if _, err := pub.Publish(ctx, "t", m); err != nil {
			t.Fatal(err)
		}
		sent[e.ID()] = m
	}

	got := map[string]events.Message{}
	var mu sync.Mutex
	rctx, rcancel := context.WithCancel(ctx)
	err = c.Subscriber("s").Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		got[m.Attributes["ce-id"]] = events.Message{Data: m.Data, Attributes: m.Attributes}
		if len(got) == len(sent) {
			rcancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(events.Catalog()) {
		t.Fatalf("received %d of %d types", len(got), len(events.Catalog()))
	}
	for id, want := range sent {
		in, out := decode(t, want), decode(t, got[id])
		if diff := cmp.Diff(in, out); diff != "" {
			t.Errorf("%s changed through Pub/Sub (-sent +received):\n%s", in["type"], diff)
		}
	}
}

func firstExample(t *testing.T, file string) []byte {
	t.Helper()
	b, err := fs.ReadFile(schemas.FS(), file)
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Examples []json.RawMessage }
	if err := json.Unmarshal(b, &s); err != nil || len(s.Examples) == 0 {
		t.Fatalf("%s: no examples (%v)", file, err)
	}
	return s.Examples[0]
}

// decode renders a message as its structured-mode JSON, for comparison.
func decode(t *testing.T, m events.Message) map[string]any {
	t.Helper()
	e, err := events.Decode(m)
	if err != nil {
		t.Fatalf("Decode = %v", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	json.Unmarshal(b, &v)
	return v
}
