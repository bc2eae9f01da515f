package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/worker"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/functions"
	"github.com/dataproc-iis/iis/internal/brokertest"
)

// serve starts the Functions Framework with the registered entry points on
// a free port and returns its base URL.
func serve(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	go funcframework.StartHostPort("127.0.0.1", port)
	base := "http://127.0.0.1:" + port
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			return base
		}
		time.Sleep(10 * time.Millisecond) // waiting for the listener to come up
	}
	t.Fatal("functions framework did not start")
	return ""
}

// push posts a Pub/Sub message the way Eventarc does: a binary-mode HTTP
// CloudEvent of type messagePublished whose data wraps the message.
func push(t *testing.T, url string, m events.Message, msgID string) int {
	t.Helper()
	return pushFrom(t, url, m, msgID, "//pubsub.googleapis.com/projects/test/topics/iis-requests")
}

// pushFrom is push from the given Eventarc source (the topic).
func pushFrom(t *testing.T, url string, m events.Message, msgID, source string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"message": map[string]any{
			"data": m.Data, "attributes": m.Attributes, "messageId": msgID,
			"publishTime": time.Now().UTC().Format(time.RFC3339Nano),
		},
		"subscription": "projects/test/subscriptions/eventarc-sub",
	})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("ce-id", "eventarc-"+msgID)
	req.Header.Set("ce-specversion", "1.0")
	req.Header.Set("ce-type", functions.MessagePublished)
	req.Header.Set("ce-source", source)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHandleMessageThroughFramework(t *testing.T) {
	env := brokertest.New(t)
	reached := make(chan string, 1)
	env.Broker.Router.Handle(events.JobRequested, worker.HandlerFunc(func(ctx context.Context, e event.Event) error {
		reached <- e.ID()
		return nil
	}))
	env.Start()
	functions.Use(env.Broker, zerolog.Nop())
	url := serve(t) + "/HandleMessage"

	req, err := events.NewJobRequested("//test", events.JobRequest{
		IDToken: "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl", Target: events.Target{Project: "analytics-prod", Region: "us-central1"},
		Job: events.JobSpec{Type: "spark", MainClass: "org.example.Main", JarURIs: []string{"gs://code/app.jar"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	if code := push(t, url, m, "100"); code/100 != 2 {
		t.Fatalf("push of a valid request: status %d, want 2xx", code)
	}
	select {
	case id := <-reached:
		if id != req.ID() {
			t.Errorf("handler got event %s, want %s", id, req.ID())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("handler not reached through the Eventarc entry point")
	}

	// A malformed message is audited and acked (2xx), never retried.
	bad := events.Message{Data: []byte(`{"job":`), Attributes: map[string]string{
		"ce-specversion": "1.0", "ce-id": "x", "ce-source": "//test", "ce-type": events.JobRequested,
		"Content-Type": "application/json",
	}}
	if code := push(t, url, bad, "101"); code/100 != 2 {
		t.Fatalf("push of a malformed request: status %d, want 2xx (ack)", code)
	}
	got := env.NextAudit(10 * time.Second)
	r, err := events.DecodeRejection(got)
	if err != nil || r.Reason != "malformed" || r.MessageID != "101" {
		t.Errorf("audit = %s %+v (%v), want event rejected malformed for message 101", got.Type(), r, err)
	}
}

// TestHandleMessageChannelFromTopic checks that the Eventarc entry point
// takes the channel from the topic Eventarc names (not from the message):
// an identity event pushed from the requests topic, or anything from a
// topic that is not the broker's, is refused and audited.
func TestHandleMessageChannelFromTopic(t *testing.T) {
	env := brokertest.New(t)
	env.Start()
	functions.Use(env.Broker, zerolog.Nop())
	url := serve(t) + "/HandleMessage"
	leaver, err := events.NewUserDeactivated("//scim", events.UserChange{
		User: events.User{ID: "u-1", UserName: "victim@example.com"}, Locked: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.Encode(leaver)
	if err != nil {
		t.Fatal(err)
	}
	for i, topic := range []string{"iis-requests", "someone-elses-topic"} {
		msgID := strconv.Itoa(200 + i)
		if code := pushFrom(t, url, m, msgID, "//pubsub.googleapis.com/projects/test/topics/"+topic); code/100 != 2 {
			t.Fatalf("push from %s: status %d, want 2xx (audited and acked)", topic, code)
		}
		got := env.NextAudit(10 * time.Second)
		r, err := events.DecodeRejection(got)
		if err != nil || r.Reason != worker.ReasonWrongChannel || r.MessageID != msgID {
			t.Errorf("push from %s: audit = %s %+v (%v), want event rejected %s", topic, got.Type(), r, err, worker.ReasonWrongChannel)
		}
	}
}
