package functions

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
)

const (
	scimTokenA = "function-token-a-0123456789abcdef"
	scimTokenB = "function-token-b-fedcba9876543210"
)

// scimEnv points the SCIM entry point at a fresh store and a local Pub/Sub
// server through the environment, as Cloud Run would, and returns a
// subscription to the identity topic.
func scimEnv(t *testing.T) *pubsub.Subscriber {
	t.Helper()
	srv, err := pubsubserver.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	c, err := transport.NewClient(ctx, "test", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	topo := transport.DefaultTopology()
	if err := transport.Ensure(ctx, c, topo); err != nil {
		t.Fatal(err)
	}
	sub := transport.SubscriptionName("test", "scim-test")
	if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: sub, Topic: transport.TopicName("test", topo.Identity), AckDeadlineSeconds: 10,
	}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IIS_STORE", filepath.Join(t.TempDir(), "iis.db"))
	t.Setenv("IIS_SCIM_TOKENS", scimTokenA+", "+scimTokenB)
	t.Setenv("IIS_SCIM_TOKENS_FILE", "")
	t.Setenv("IIS_PROJECT", "test")
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	t.Setenv("IIS_LOG_LEVEL", "error")
	resetSCIM(t)
	return c.Subscriber(sub)
}

// resetSCIM forgets the endpoint built by an earlier test, and closes the
// one this test builds when it ends.
func resetSCIM(t *testing.T) {
	scimMu.Lock()
	scimCur = nil
	scimMu.Unlock()
	t.Cleanup(func() {
		scimMu.Lock()
		defer scimMu.Unlock()
		if scimCur != nil && scimCur.close != nil {
			scimCur.close()
		}
		scimCur = nil
	})
}

func callSCIM(token, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://scim-abc.a.run.app"+path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	SCIM(w, r)
	return w
}

func TestSCIMFromEnvironment(t *testing.T) {
	sub := scimEnv(t)
	w := callSCIM(scimTokenA, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","password":"hunter2-hunter2"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST /scim/v2/Users = %d %s, want 201", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "hunter2") {
		t.Errorf("response returns the password: %s", w.Body)
	}
	var created struct{ ID string }
	json.Unmarshal(w.Body.Bytes(), &created)

	// The write drained the outbox before returning: the event is on the
	// identity topic.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan events.Message, 1)
	go sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		select {
		case got <- events.Message{Data: m.Data, Attributes: m.Attributes}:
		default:
		}
		cancel()
	})
	select {
	case m := <-got:
		ev, err := events.Decode(m)
		if err != nil {
			t.Fatalf("events.Decode = %v", err)
		}
		if ev.Type() != events.UserProvisioned || ev.Subject() != created.ID {
			t.Errorf("identity event = %s about %s, want %s about %s", ev.Type(), ev.Subject(), events.UserProvisioned, created.ID)
		}
	case <-ctx.Done():
		t.Fatal("no identity event was published")
	}

	if w := callSCIM(scimTokenB, "GET", "/scim/v2/Users/"+created.ID, ""); w.Code != http.StatusOK {
		t.Errorf("GET with the second token = %d, want 200", w.Code)
	}
	w = callSCIM("", "GET", "/scim/v2/Users", "")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"status":"401"`) {
		t.Errorf("GET without a token = %d %s, want a SCIM 401", w.Code, w.Body)
	}
}

func TestSCIMTokensFile(t *testing.T) {
	scimEnv(t)
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# rotated\n"+scimTokenB+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IIS_SCIM_TOKENS", "")
	t.Setenv("IIS_SCIM_TOKENS_FILE", file)
	if w := callSCIM(scimTokenB, "GET", "/scim/v2/Users", ""); w.Code != http.StatusOK {
		t.Errorf("GET with the file's token = %d %s, want 200", w.Code, w.Body)
	}
	if w := callSCIM(scimTokenA, "GET", "/scim/v2/Users", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("GET with a token not in the file = %d, want 401", w.Code)
	}
}

func TestSCIMMisconfigured(t *testing.T) {
	scimEnv(t)
	t.Setenv("IIS_SCIM_TOKENS", "short")
	w := callSCIM("short", "GET", "/scim/v2/Users", "")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Errorf("GET with a bad configuration = %d %s, want a SCIM 503", w.Code, w.Body)
	}
	// The failure is not cached: once the configuration is fixed, it works.
	t.Setenv("IIS_SCIM_TOKENS", scimTokenA)
	if w := callSCIM(scimTokenA, "GET", "/scim/v2/Users", ""); w.Code != http.StatusOK {
		t.Errorf("GET after fixing the configuration = %d %s, want 200", w.Code, w.Body)
	}
}

func TestSCIMPanic(t *testing.T) {
	resetSCIM(t)
	UseSCIM(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		func(context.Context) (int, error) { return 0, nil }, zerolog.Nop())
	w := callSCIM(scimTokenA, "PATCH", "/scim/v2/Users/x", "{}")
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("panicking handler = %d, want 500", w.Code)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["status"] != "500" ||
		w.Header().Get("Content-Type") != "application/scim+json" {
		t.Errorf("panic response = %s (%s), want a SCIM error body", w.Body, w.Header().Get("Content-Type"))
	}
}
