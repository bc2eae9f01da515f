package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/events"
)

const (
	oktaToken  = "okta-scim-token-0123456789abcdef"
	entraToken = "entra-scim-token-fedcba9876543210"
	host       = "iis.example.com"
	base       = "https://" + host + "/scim/v2"
)

// received is the fixed clock of the test servers: every identity event
// must carry it as its time.
var received = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// env is a SCIM server on a fresh SQLite store.
type env struct {
	t      testing.TB
	st     store.Store
	dbPath string
	srv    *scim.Server
	log    *syncBuffer
	wakes  atomic.Int64
}

func newEnv(t testing.TB, opts ...func(*scim.Config)) *env {
	t.Helper()
	e := &env{t: t, dbPath: filepath.Join(t.TempDir(), "iis.db"), log: &syncBuffer{}}
	st, err := storeopen.Open(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.log)
		}
	})
	e.st = st
	cfg := scim.Config{
		Store:     st,
		Tokens:    []string{oktaToken, entraToken},
		Now:       func() time.Time { return received },
		Wake:      func() { e.wakes.Add(1) },
		Log:       zerolog.New(e.log),
		RateLimit: 1e6,
		RateBurst: 1e6,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if e.srv, err = scim.New(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// with returns e reporting to t (inside a fuzz target or a subtest).
func (e *env) with(t testing.TB) *env {
	c := &env{t: t, st: e.st, dbPath: e.dbPath, srv: e.srv, log: e.log}
	return c
}

// do sends a request through the handler with the Okta token, as the IdP
// would, and returns the response.
func (e *env) do(method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.doAs(oktaToken, method, path, body)
}

func (e *env) doAs(token, method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, "https://"+host+path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/scim+json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// must sends a request and fails the test unless it gets the status.
func (e *env) must(status int, method, path, body string) map[string]any {
	e.t.Helper()
	w := e.do(method, path, body)
	if w.Code != status {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, w.Code, w.Body, status)
	}
	return decode(e.t, w)
}

func decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if w.Body.Len() == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("response body %q is not JSON: %v", w.Body, err)
	}
	return m
}

// events returns the identity events enqueued since the last call, in
// order, and marks them sent. Each must also be in the audit trail, the
// same event chained.
func (e *env) events() []event.Event {
	e.t.Helper()
	ctx := context.Background()
	if _, err := audit.Sequence(ctx, e.st, 0); err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.st.ClaimOutbox(ctx, "test", 10000, time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []event.Event
	var ids []int64
	audited := map[string]bool{}
	for _, m := range msgs {
		if m.Topic == scim.DefaultAuditTopic && m.Seq > 0 {
			audited[m.EventID] = true
		}
	}
	for _, m := range msgs {
		if m.Topic == scim.DefaultAuditTopic {
			ids = append(ids, m.ID)
			continue
		}
		if m.Topic != scim.DefaultIdentityTopic {
			e.t.Errorf("event %s went to topic %q, want %q", m.EventID, m.Topic, scim.DefaultIdentityTopic)
		}
		if !audited[m.EventID] {
			e.t.Errorf("identity event %s is not in the audit trail", m.EventID)
		}
		ev, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			e.t.Fatalf("events.Decode(outbox %d) = %v", m.ID, err)
		}
		if !ev.Time().Equal(received) {
			e.t.Errorf("event %s time = %v, want the request's receive time %v", ev.Type(), ev.Time(), received)
		}
		out = append(out, ev)
		ids = append(ids, m.ID)
	}
	if len(ids) > 0 {
		if err := e.st.MarkSent(ctx, ids...); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// user reads a user from the store, as the decision path does.
func (e *env) user(id string) store.User {
	e.t.Helper()
	var u store.User
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, id)
		return err
	})
	if err != nil {
		e.t.Fatalf("GetUser(%s) = %v", id, err)
	}
	return u
}

func (e *env) group(id string) store.Group {
	e.t.Helper()
	var g store.Group
	err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		g, err = tx.GetGroup(ctx, id)
		return err
	})
	if err != nil {
		e.t.Fatalf("GetGroup(%s) = %v", id, err)
	}
	return g
}

// createUser provisions a user and returns its id, discarding the event.
func (e *env) createUser(userName string, extra string) string {
	e.t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `"` + extra + `}`
	m := e.must(http.StatusCreated, "POST", "/scim/v2/Users", body)
	e.events()
	return m["id"].(string)
}

// userChange decodes the data of an identity.user.* event.
func userChange(t testing.TB, ev event.Event) events.UserChange {
	t.Helper()
	c, err := events.DecodeUserChange(ev)
	if err != nil {
		t.Fatalf("DecodeUserChange(%s) = %v", ev.Type(), err)
	}
	return c
}

func membershipChange(t testing.TB, ev event.Event) events.MembershipChange {
	t.Helper()
	c, err := events.DecodeMembershipChange(ev)
	if err != nil {
		t.Fatalf("DecodeMembershipChange(%s) = %v", ev.Type(), err)
	}
	return c
}

func types(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, strings.TrimPrefix(e.Type(), events.Prefix+"."))
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// path extracts a value from a decoded response: path("emails", 0, "value").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
