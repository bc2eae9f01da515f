package timeline_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/timeline"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

const policyYAML = `
version: 1
roles:
  etl:
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - {project: iis-dev, region: europe-west1, serverless: true}
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/]
  auditor:
    may_read_audit: true
bindings:
  - {group: data-eng, role: etl}
  - {group: compliance, role: auditor}
`

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng]}
  - {user_name: bob@example.com, emails: [bob@example.com], groups: [data-eng]}
  - {user_name: ann@example.com, emails: [ann@example.com], groups: [compliance]}
  - {user_name: max@example.com, emails: [max@example.com], groups: [compliance]}
`

// rig is a broker that ran alice's job to its end and bob's until a
// cascade cancelled it, and the page over its store.
type rig struct {
	env   *brokertest.Env
	stack *brokertest.Stack
	srv   *httptest.Server
	alice event.Event
	bob   event.Event
}

func newRig(t *testing.T) *rig {
	t.Helper()
	// Bob's workload runs until the cascade cancels it, however slow the
	// machine; alice's ends on its own.
	var bobLabel atomic.Value
	bobLabel.Store("")
	stack := brokertest.NewStack(t, policyYAML, dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: 300 * time.Millisecond},
		func(c *devstack.Config) {
			c.TimingFor = func(w dataprocserver.Workload) dataprocserver.Timing {
				if w.Labels[dataproc.LabelRequest] == bobLabel.Load() {
					return dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond}
				}
				return dataprocserver.Timing{}
			}
		})
	env := brokertest.New(t, stack.Option())
	env.ImportDirectory(directoryYAML)
	env.Start()
	r := &rig{env: env, stack: stack}
	r.alice, r.bob = request(t, stack.Token("alice@example.com")), request(t, stack.Token("bob@example.com"))
	bobLabel.Store(dataproc.RequestLabel(r.bob.ID()))
	env.PublishEvent(r.alice)
	env.PublishEvent(r.bob)
	seen := map[string]bool{}
	await(t, env, seen, r.bob.ID(), "RUNNING")
	base := env.SCIM()
	env.SCIMDeactivate(base, env.SCIMUserID(base, "bob@example.com"))
	await(t, env, seen, r.bob.ID(), "CANCELLED")
	await(t, env, seen, r.alice.ID(), "SUCCEEDED")

	d := env.Broker.Decider()
	var h http.Handler
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h.ServeHTTP(w, req) }))
	t.Cleanup(r.srv.Close)
	tl, err := timeline.New(timeline.Config{Store: env.Broker.Store, Verifier: d.Verifier, Directory: d.Directory, Policy: d.Policy,
		BaseURL: r.srv.URL + "/timeline"})
	if err != nil {
		t.Fatal(err)
	}
	h = tl
	return r
}

func request(t *testing.T, token string) event.Event {
	t.Helper()
	e, err := events.NewJobRequested("//airflow/dag/nightly", events.JobRequest{
		IDToken: token, Target: events.Target{Project: "iis-dev", Region: "europe-west1"},
		Job: events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/etl.py"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// await reads the audit topic until request id has reached state. seen
// keeps every request's states read so far: the two requests run at once,
// and a state read while waiting for the other's is not lost.
func await(t *testing.T, env *brokertest.Env, seen map[string]bool, id, state string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !seen[id+" "+state] {
		select {
		case e := <-env.Audit:
			if sc, err := events.DecodeStateChange(e); err == nil {
				seen[fmt.Sprint(e.Extensions()[events.ExtRequestID])+" "+sc.State] = true
			}
		case <-deadline:
			t.Fatalf("request %s never reached %s; seen %v", id, state, seen)
		}
	}
}

// get fetches path with a bearer token ("" for none).
func (r *rig) get(t *testing.T, path, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", r.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestTimeline(t *testing.T) {
	r := newRig(t)
	ann := r.stack.Token("ann@example.com")

	t.Run("a request from trigger to output", func(t *testing.T) {
		code, h, body := r.get(t, "/timeline/request/"+r.alice.ID(), ann)
		if code != http.StatusOK {
			t.Fatalf("GET request page = %d: %.300s", code, body)
		}
		for _, want := range []string{"Approved: role etl", "policy version", "sha256:", "Credential issued for etl-runner@iis-dev.iam.gserviceaccount.com",
			"expires", "Submitted to Dataproc", "RUNNING", "SUCCEEDED", "Audit chain verified", "alice@example.com"} {
			if !strings.Contains(body, want) {
				t.Errorf("request page has no %q", want)
			}
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		if strings.Contains(body, "<script") {
			t.Error("the page has a script")
		}
	})
	t.Run("the cascade that touched a request", func(t *testing.T) {
		_, _, body := r.get(t, "/timeline/request/"+r.bob.ID(), ann)
		i := strings.Index(body, `href="../cascade/`)
		if i < 0 {
			t.Fatalf("bob's request page links no cascade: %.2000s", body)
		}
		id := body[i+len(`href="../cascade/`):]
		id = id[:strings.IndexByte(id, '"')]
		code, _, page := r.get(t, "/timeline/cascade/"+id, ann)
		for _, want := range []string{"user_deactivated", "ms from the SCIM change to the last cancel", "cancel_job", "revoke_grant", "CANCELLING"} {
			if code != http.StatusOK || !strings.Contains(page, want) {
				t.Errorf("cascade page (%d) has no %q", code, want)
			}
		}
	})
	t.Run("search", func(t *testing.T) {
		for _, tt := range []struct{ q, want, notWant string }{
			{"alice@example.com", r.alice.ID(), r.bob.ID()},
			{r.bob.ID(), r.bob.ID(), r.alice.ID()},
			{"?from=2999-01-01T00:00", "No request matches", r.alice.ID()},
		} {
			path := "/timeline/?q=" + tt.q
			if strings.HasPrefix(tt.q, "?") {
				path = "/timeline/" + tt.q
			}
			_, _, body := r.get(t, path, ann)
			if !strings.Contains(body, tt.want) || strings.Contains(body, tt.notWant) {
				t.Errorf("search %q: want %q and not %q", tt.q, tt.want, tt.notWant)
			}
		}
	})
	t.Run("who may read it", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			token string
			code  int
		}{
			{"no token", "", http.StatusUnauthorized},
			{"a forged token", "aaaaaaaaaa.bbbbbbbbbb.cccccccccc", http.StatusUnauthorized},
			{"a principal without may_read_audit", r.stack.Token("alice@example.com"), http.StatusForbidden},
			{"a leaver with the role's group in the token", r.stack.Token("bob@example.com", "compliance"), http.StatusForbidden},
			{"a principal the directory does not know", r.stack.Token("eve@example.com"), http.StatusForbidden},
		} {
			for _, path := range []string{"/timeline/", "/timeline/request/" + r.alice.ID(), "/timeline/cascade/x"} {
				code, _, body := r.get(t, path, tt.token)
				if code != tt.code || strings.Contains(body, r.alice.ID()+"</a>") || strings.Contains(body, "Approved") {
					t.Errorf("%s: GET %s = %d, want %d and nothing of the trail", tt.name, path, code, tt.code)
				}
			}
		}
	})
	t.Run("no token is ever rendered", func(t *testing.T) {
		var pages string
		for _, p := range []string{"/timeline/", "/timeline/request/" + r.alice.ID(), "/timeline/request/" + r.bob.ID()} {
			_, _, body := r.get(t, p, ann)
			pages += body
		}
		for _, secret := range []string{ann, strings.Split(ann, ".")[2], "iisdev."} {
			if strings.Contains(pages, secret) {
				t.Errorf("a page contains a secret (%.12s...)", secret)
			}
		}
	})
}

// TestTimelineLockedAuditor: an auditor locked by a leaver cascade loses
// the page at once, with a still-valid token.
func TestTimelineLockedAuditor(t *testing.T) {
	r := newRig(t)
	tok := r.stack.Token("max@example.com")
	if code, _, _ := r.get(t, "/timeline/", tok); code != http.StatusOK {
		t.Fatalf("max before leaving: %d", code)
	}
	base := r.env.SCIM()
	r.env.SCIMDeactivate(base, r.env.SCIMUserID(base, "max@example.com"))
	if code, _, body := r.get(t, "/timeline/", tok); code != http.StatusForbidden || !strings.Contains(body, "max@example.com is locked") {
		t.Errorf("max after leaving: %d %.300s, want 403 locked", code, body)
	}
}
