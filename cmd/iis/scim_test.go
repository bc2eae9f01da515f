package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
)

const scimTestToken = "test-token-0123456789abcdef"

var scimLine = regexp.MustCompile(`SCIM endpoint: (http://\S+/scim/v2)`)

// TestSCIMEventSource: `iis scim` stamps its identity events with -source
// (IIS_SOURCE, which deploy/terraform sets from scim_event_source), and
// with SCIM's own default, not the worker's, when none is given.
func TestSCIMEventSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"default", nil, scim.DefaultSource},
		{"flag", []string{"-source", "//acme/iis-scim"}, "//acme/iis-scim"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scimEventSource(t, tc.args...); got != tc.want {
				t.Errorf("identity event ce-source = %q, want %q", got, tc.want)
			}
		})
	}
}

// scimEventSource runs `iis scim`, deactivates a user through it and
// returns the ce-source of the identity event it publishes.
func scimEventSource(t *testing.T, extra ...string) string {
	t.Helper()
	ps, err := pubsubserver.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := transport.NewClient(ctx, "iis-dev", ps.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	topo := transport.DefaultTopology()
	if err := transport.Ensure(ctx, c, topo); err != nil {
		t.Fatal(err)
	}

	stderr := &syncBuffer{}
	done := make(chan int, 1)
	args := append([]string{"scim", "-pubsub-emulator", ps.Addr, "-http-addr", "127.0.0.1:0", "-scim-tokens", scimTestToken,
		"-store", filepath.Join(t.TempDir(), "iis.db"), "-log-format", "json"}, extra...)
	sctx, stop := context.WithCancel(ctx)
	go func() { done <- run(sctx, args, &syncBuffer{}, stderr) }()
	defer func() { stop(); <-done }()
	var base string
	defer func() {
		if t.Failed() {
			t.Logf("iis scim:\n%s", stderr.String())
		}
	}()
	waitFor(t, func() bool {
		if m := scimLine.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})

	do := func(method, path, body string, want int) map[string]any {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+scimTestToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d %v, want %d", method, path, resp.StatusCode, out, want)
		}
		return out
	}
	u := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zed@example.com","active":true}`, http.StatusCreated)
	do("PATCH", "/Users/"+u["id"].(string), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, http.StatusOK)

	var source string
	rctx, got := context.WithCancel(ctx)
	err = c.Subscriber(topo.IdentitySub).Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		source = m.Attributes["ce-source"]
		got()
	})
	if err != nil || source == "" {
		t.Fatalf("no identity event on %s: %v", topo.IdentitySub, err)
	}
	return source
}
