package brokertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/access"
	"github.com/dataproc-iis/iis/broker/cluster"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// Stack is the local Google Cloud stand-ins for an end-to-end test.
type Stack struct {
	*devstack.Stack
	t      testing.TB
	policy string
}

// NewStack starts the dev issuer (on an httptest server), the IAM server
// and the Dataproc server with the given timing, and writes policy to a file.
func NewStack(t testing.TB, policy string, timing dataprocserver.Timing, opts ...func(*devstack.Config)) *Stack {
	t.Helper()
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := devstack.Config{
		IssuerURL: srv.URL + "/oidc",
		Clusters:  map[string]string{"etl-cluster": "etl-runner@iis-dev.iam.gserviceaccount.com"},
		Timing:    timing,
		// Clusters come up and go quickly unless a test says otherwise.
		ClusterTiming: dataprocserver.ClusterTiming{Create: 50 * time.Millisecond, Delete: 50 * time.Millisecond},
	}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := devstack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	h = st.Mux()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Stack{Stack: st, t: t, policy: path}
}

// Option configures a broker to run the full pipeline on the stack, with
// a watcher that polls every few milliseconds.
func (s *Stack) Option() Option {
	return func(c *service.Config) {
		c.Pipeline = s.Pipeline(s.policy)
		c.Pipeline.Watch = watch.Config{Interval: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
		c.Pipeline.ClusterWatch = cluster.WatchConfig{Interval: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
		c.Pipeline.Reconcile = access.ReconcileConfig{Interval: 20 * time.Millisecond, DriftEvery: 100 * time.Millisecond}
	}
}

// PolicyPath is the file the policy was written to.
func (s *Stack) PolicyPath() string { return s.policy }

// Token mints an ID token for email with the given groups claim.
func (s *Stack) Token(email string, groups ...string) string {
	s.t.Helper()
	tok, err := s.Issuer.Mint(devissuer.TokenRequest{Email: email, Groups: groups})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// ImportDirectory loads a directory file (YAML text) into the broker's store.
func (e *Env) ImportDirectory(yaml string) {
	e.T.Helper()
	path := filepath.Join(e.T.TempDir(), "directory.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		e.T.Fatal(err)
	}
	f, err := directory.Load(path)
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := directory.Import(context.Background(), e.Broker.Store, f, directory.ImportOptions{}); err != nil {
		e.T.Fatal(err)
	}
}
