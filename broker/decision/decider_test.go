package decision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

// memDirectory is an in-memory directory; err, when set, fails every lookup.
type memDirectory struct {
	entries map[string]Entry
	err     error
	lookups atomic.Int32
}

func (m *memDirectory) Lookup(_ context.Context, p identity.Principal) (Entry, error) {
	id := p.ID
	m.lookups.Add(1)
	if m.err != nil {
		return Entry{}, m.err
	}
	e, ok := m.entries[id]
	if !ok {
		return Entry{}, fmt.Errorf("store: user %q: %w", id, ErrNotFound)
	}
	return e, nil
}

// devIssuer serves a dev issuer over httptest; down makes it answer 503.
func devIssuer(t testing.TB) (*devissuer.Issuer, *atomic.Bool) {
	t.Helper()
	var down atomic.Bool
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	is, err := devissuer.New(devissuer.Config{URL: srv.URL, DevMode: true, Audience: "iis", Now: fixed(t0)})
	if err != nil {
		t.Fatal(err)
	}
	h = is.Handler()
	return is, &down
}

type fixture struct {
	corp, partner *devissuer.Issuer // corp is trusted for groups, partner is not
	corpDown      *atomic.Bool
	dir           *memDirectory
	decider       *Decider
	later         atomic.Int64 // nanoseconds the verifier's clock runs ahead of t0
}

func newFixture(t testing.TB, withDirectory bool, cacheSize int) *fixture {
	t.Helper()
	f := &fixture{dir: &memDirectory{entries: map[string]Entry{
		"alice@example.com":                         {UserID: "u1", Active: true, Groups: []string{"data-eng"}},
		"bob@example.com":                           {UserID: "u2", Active: false, Groups: []string{"data-eng"}},
		"carl@example.com":                          {UserID: "u3", Active: true, Locked: true, Groups: []string{"data-eng"}},
		"dana@example.com":                          {UserID: "u4", Active: true},
		"airflow@data-prod.iam.gserviceaccount.com": {UserID: "s1", Active: true},
	}}}
	f.corp, f.corpDown = devIssuer(t)
	f.partner, _ = devIssuer(t)
	v, err := identity.New(context.Background(), identity.Config{
		Issuers: []identity.Issuer{
			{URL: f.corp.URL(), Audience: "iis", TrustedForGroups: true},
			{URL: f.partner.URL(), Audience: "iis"},
		},
		Now:       func() time.Time { return t0.Add(time.Duration(f.later.Load())) },
		CacheSize: cacheSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.decider = &Decider{Verifier: v, Policy: policy.StaticHolder(pol), Now: fixed(t0)}
	if withDirectory {
		f.decider.Directory = f.dir
	}
	return f
}

func mint(t testing.TB, is *devissuer.Issuer, r devissuer.TokenRequest) string {
	t.Helper()
	raw, err := is.Mint(r)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func etlRequest() policy.Request {
	return policy.Request{
		Target: policy.Target{Project: "data-prod", Region: "europe-west1"},
		Job:    policy.Job{Type: policy.JobPySpark, MainPythonURI: "gs://data-artifacts/jobs/etl.py", Inputs: []string{"gs://data-prod/raw/x"}, Outputs: []string{"gs://data-prod/curated/y"}},
	}
}

func TestDecide(t *testing.T) {
	alice := devissuer.TokenRequest{Email: "alice@example.com", Groups: []string{"data-eng"}}
	tests := []struct {
		name      string
		directory bool
		token     func(f *fixture) string
		req       func(*policy.Request)
		stage     string
		reason    string
		role      string
	}{
		{name: "allowed", directory: true, token: func(f *fixture) string { return mint(t, f.corp, alice) }, stage: StagePolicy, reason: policy.CodeAllowed, role: "etl"},
		{name: "groups come from the directory", directory: true,
			token: func(f *fixture) string { return mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com"}) }, stage: StagePolicy, reason: policy.CodeAllowed, role: "etl"},
		{name: "token groups of a trusted issuer count", directory: true,
			token: func(f *fixture) string {
				return mint(t, f.corp, devissuer.TokenRequest{Email: "dana@example.com", Groups: []string{"data-eng"}})
			}, stage: StagePolicy, reason: policy.CodeAllowed, role: "etl"},
		{name: "token groups of an untrusted issuer are dropped", directory: true,
			token: func(f *fixture) string {
				return mint(t, f.partner, devissuer.TokenRequest{Email: "dana@example.com", Groups: []string{"data-eng"}})
			}, stage: StagePolicy, reason: policy.CodeNoBinding},
		{name: "without directory, trusted token groups", token: func(f *fixture) string { return mint(t, f.corp, alice) }, stage: StagePolicy, reason: policy.CodeAllowed, role: "etl"},
		{name: "without directory, untrusted token groups", token: func(f *fixture) string { return mint(t, f.partner, alice) }, stage: StagePolicy, reason: policy.CodeNoBinding},
		{name: "workload", directory: true,
			token: func(f *fixture) string {
				return mint(t, f.corp, devissuer.TokenRequest{Email: "airflow@data-prod.iam.gserviceaccount.com"})
			},
			req: func(r *policy.Request) {
				r.Job.MainPythonURI = "gs://data-prod/curated/bot.py"
				r.Job.Inputs = nil
				r.Job.Outputs = nil
			},
			stage: StagePolicy, reason: policy.CodeAllowed, role: "bots"},
		{name: "principal in the request body is ignored", directory: true, token: func(f *fixture) string { return mint(t, f.corp, devissuer.TokenRequest{Email: "dana@example.com"}) },
			req: func(r *policy.Request) {
				r.Principal = policy.Principal{ID: "alice@example.com", Type: policy.TypeHuman, Groups: []string{"data-eng"}}
			}, stage: StagePolicy, reason: policy.CodeNoBinding},
		{name: "unknown principal", directory: true, token: func(f *fixture) string {
			return mint(t, f.corp, devissuer.TokenRequest{Email: "eve@example.com", Groups: []string{"data-eng"}})
		},
			stage: StageDirectory, reason: ReasonPrincipalUnknown},
		{name: "deactivated principal", directory: true, token: func(f *fixture) string { return mint(t, f.corp, devissuer.TokenRequest{Email: "bob@example.com"}) },
			stage: StageDirectory, reason: ReasonPrincipalInactive},
		{name: "locked principal", directory: true, token: func(f *fixture) string { return mint(t, f.corp, devissuer.TokenRequest{Email: "carl@example.com"}) },
			stage: StageDirectory, reason: ReasonPrincipalLocked},
		{name: "expired token", directory: true, token: func(f *fixture) string {
			f.later.Store(int64(2 * time.Hour))
			return mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com"})
		},
			stage: StageToken, reason: identity.ReasonExpired},
		{name: "wrong audience", directory: true, token: func(f *fixture) string {
			return mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com", Audience: "other"})
		},
			stage: StageToken, reason: identity.ReasonAudienceMismatch},
		{name: "tampered token", directory: true, token: func(f *fixture) string {
			parts := strings.Split(mint(t, f.corp, alice), ".")
			other := strings.Split(mint(t, f.corp, devissuer.TokenRequest{Email: "dana@example.com"}), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}, stage: StageToken, reason: identity.ReasonBadSignature},
		{name: "garbage token", directory: true, token: func(*fixture) string { return "not-a-token" }, stage: StageToken, reason: identity.ReasonMalformed},
		{name: "policy denial", directory: true, token: func(f *fixture) string { return mint(t, f.corp, alice) },
			req: func(r *policy.Request) { r.Job.Outputs = []string{"gs://data-prod/secret/"} }, stage: StagePolicy, reason: policy.CodeDataLocation},
	}
	f := newFixture(t, true, identity.DefaultCacheSize)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.later.Store(0)
			f.decider.Directory = nil
			if tt.directory {
				f.decider.Directory = f.dir
			}
			raw := tt.token(f)
			req := etlRequest()
			if tt.req != nil {
				tt.req(&req)
			}
			out, err := f.decider.Decide(context.Background(), raw, req)
			if err != nil {
				t.Fatalf("Decide() error = %v, want an outcome", err)
			}
			got := []string{out.Stage, out.Reason(), out.Decision.Role}
			if diff := cmp.Diff([]string{tt.stage, tt.reason, tt.role}, got); diff != "" {
				t.Errorf("Decide() stage, reason, role mismatch (-want +got):\n%s\nreasons: %+v", diff, out.Decision.Reasons)
			}
			if out.Allowed() != (tt.reason == policy.CodeAllowed) {
				t.Errorf("Decide().Allowed() = %v, want %v", out.Allowed(), tt.reason == policy.CodeAllowed)
			}
			if out.Decision.Version == "" {
				t.Errorf("Decide().Decision.Version is empty")
			}
			js, err := json.Marshal(out)
			if err != nil {
				t.Fatalf("json.Marshal(Outcome) = %v", err)
			}
			if sig := raw[strings.LastIndexByte(raw, '.')+1:]; strings.Contains(string(js), raw) || len(sig) > 16 && strings.Contains(string(js), sig) {
				t.Errorf("the outcome contains the token: %s", js)
			}
			if !strings.Contains(string(js), identity.Fingerprint(raw)) {
				t.Errorf("the outcome lacks the token fingerprint %s: %s", identity.Fingerprint(raw), js)
			}
		})
	}
}

func TestDecideSnapshotSaysWhereGroupsCameFrom(t *testing.T) {
	f := newFixture(t, true, identity.DefaultCacheSize)
	raw := mint(t, f.partner, devissuer.TokenRequest{Email: "alice@example.com", Groups: []string{"admins"}})
	out, err := f.decider.Decide(context.Background(), raw, etlRequest())
	if err != nil || !out.Allowed() {
		t.Fatalf("Decide() = %+v, %v, want allowed", out.Decision.Reasons, err)
	}
	ident := out.Decision.Input["identity"].(map[string]any)
	if diff := cmp.Diff([]string{"admins"}, ident["untrusted_token_groups"]); diff != "" {
		t.Errorf("identity.untrusted_token_groups mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"data-eng"}, ident["directory"].(map[string]any)["groups"]); diff != "" {
		t.Errorf("identity.directory.groups mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"data-eng"}, out.Decision.Input["principal"].(*policy.Principal).Groups); diff != "" {
		t.Errorf("principal.groups mismatch (-want +got):\n%s", diff)
	}

	// Replay from the snapshot alone, as read back from an audit event.
	js, err := json.Marshal(out.Decision.Input)
	if err != nil {
		t.Fatal(err)
	}
	var input map[string]any
	if err := json.Unmarshal(js, &input); err != nil {
		t.Fatal(err)
	}
	req, err := policy.RequestFromInput(input)
	if err != nil {
		t.Fatalf("RequestFromInput() = %v", err)
	}
	replay := f.decider.Policy.Current().Evaluate(req)
	if replay.Allowed != out.Decision.Allowed || replay.Role != out.Decision.Role || replay.Version != out.Decision.Version {
		t.Errorf("replay = %v %q %q, want %v %q %q", replay.Allowed, replay.Role, replay.Version, out.Decision.Allowed, out.Decision.Role, out.Decision.Version)
	}
}

func TestDecideTransient(t *testing.T) {
	t.Run("directory unavailable", func(t *testing.T) {
		f := newFixture(t, true, identity.DefaultCacheSize)
		f.dir.err = errors.New("connection refused")
		_, err := f.decider.Decide(context.Background(), mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com"}), etlRequest())
		if fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonDirectoryUnavailable {
			t.Errorf("Decide() = %v (%s), want transient %s", err, fault.ReasonOf(err), ReasonDirectoryUnavailable)
		}
	})
	t.Run("directory says permanent", func(t *testing.T) {
		f := newFixture(t, true, identity.DefaultCacheSize)
		f.dir.err = fault.Permanentf("principal_ambiguous", "two users with this e-mail")
		out, err := f.decider.Decide(context.Background(), mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com"}), etlRequest())
		if err != nil || out.Reason() != "principal_ambiguous" || out.Stage != StageDirectory {
			t.Errorf("Decide() = %s %s, %v; want a directory denial principal_ambiguous", out.Stage, out.Reason(), err)
		}
	})
	t.Run("issuer unavailable", func(t *testing.T) {
		f := newFixture(t, true, identity.DefaultCacheSize)
		f.corpDown.Store(true)
		_, err := f.decider.Decide(context.Background(), mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com"}), etlRequest())
		if fault.IsPermanent(err) || fault.ReasonOf(err) != identity.ReasonIssuerUnavailable {
			t.Errorf("Decide() = %v, want transient %s", err, identity.ReasonIssuerUnavailable)
		}
	})
	t.Run("no policy", func(t *testing.T) {
		f := newFixture(t, true, identity.DefaultCacheSize)
		f.decider.Policy = policy.StaticHolder(nil)
		_, err := f.decider.Decide(context.Background(), "x", etlRequest())
		if fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonPolicyUnavailable {
			t.Errorf("Decide() = %v, want transient %s", err, ReasonPolicyUnavailable)
		}
	})
}

// A directory decision is made on every request, even for a cached token:
// a leaver locked a second ago is denied although their token is cached.
func TestLockedAfterTokenCached(t *testing.T) {
	f := newFixture(t, true, identity.DefaultCacheSize)
	raw := mint(t, f.corp, devissuer.TokenRequest{Email: "alice@example.com"})
	if out, err := f.decider.Decide(context.Background(), raw, etlRequest()); err != nil || !out.Allowed() {
		t.Fatalf("Decide() = %s, %v; want allowed", out.Reason(), err)
	}
	e := f.dir.entries["alice@example.com"]
	e.Locked = true
	f.dir.entries["alice@example.com"] = e
	if out, err := f.decider.Decide(context.Background(), raw, etlRequest()); err != nil || out.Reason() != ReasonPrincipalLocked {
		t.Errorf("Decide() after lock = %s, %v; want %s", out.Reason(), err, ReasonPrincipalLocked)
	}
}
