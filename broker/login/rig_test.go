package login_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/headless"
	"github.com/dataproc-iis/iis/internal/samlidp"
)

// loopback is the CLI's redirect URI in these tests: the browser stops at
// it, as the CLI's listener would take the request.
const loopback = "http://127.0.0.1:53682/callback"

// rig is a login service with the dev OIDC issuer and the dev SAML IdP,
// a SQLite store and a seeded directory, on one httptest server.
type rig struct {
	t        *testing.T
	base     string // the server's URL
	st       store.Store
	srv      *login.Server
	oidc     *devissuer.Issuer
	saml     *samlidp.IdP
	sessions *session.Sessions
	now      time.Time // zero: real time
}

var people = []struct{ email, name string }{
	{"alice@example.com", "Alice"}, {"bob@example.com", "Bob"}, {"carol@example.com", "Carol"},
	{"dave@example.com", "Dave (not in the directory)"}, {"alice@example.com.evil.test", "Mallory, as an IdP user whose name starts like Alice's"},
}

const directoryYAML = `
users:
  - {user_name: alice@example.com, emails: [alice@example.com], groups: [data-eng]}
  - {user_name: bob@example.com, emails: [bob@example.com], groups: [data-eng]}
  - {user_name: carol@example.com, emails: [carol@example.com], active: false}
`

func newRig(t *testing.T, tweak ...func(*login.Config)) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{t: t}
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	r.base = ts.URL
	st, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "iis.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	path := filepath.Join(t.TempDir(), "dir.yaml")
	writeFile(t, path, directoryYAML)
	f, err := directory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.Import(ctx, st, f, directory.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var iusers []devissuer.User
	var susers []samlidp.User
	for _, p := range people {
		iusers = append(iusers, devissuer.User{Email: p.email, Name: p.name})
		susers = append(susers, samlidp.User{Email: p.email, DisplayName: p.name})
	}
	r.oidc, err = devissuer.New(devissuer.Config{URL: ts.URL + "/oidc", DevMode: true, Audience: "iis", Users: iusers,
		Clients: []devissuer.Client{{ID: "iis-login", Secret: "login-secret", RedirectURIs: []string{ts.URL + "/login/oidc/dev/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r.saml, err = samlidp.New(samlidp.Config{URL: ts.URL + "/idp", DevMode: true, Users: susers})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.NewFile(signing.FileConfig{Path: filepath.Join(t.TempDir(), "session.pem"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	r.sessions, err = session.New(ctx, session.Config{Issuer: ts.URL + "/session", Audience: "iis", Signer: signer, Now: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	cfg := login.Config{
		Store: st, Audit: audit.Log{Topic: "iis-audit"}, Sessions: r.sessions, BaseURL: ts.URL + "/login", Now: r.clock,
		Log: zerolog.Nop(), PollInterval: time.Second,
		IdPs: []login.IdP{
			{Name: "dev", OIDC: &login.OIDC{Issuer: ts.URL + "/oidc", ClientID: "iis-login", ClientSecret: "login-secret"}},
			{Name: "dev-saml", SAML: &login.SAML{MetadataURL: ts.URL + "/idp/metadata", ClockSkew: 30 * time.Second}},
		},
	}
	for _, tw := range tweak {
		tw(&cfg)
	}
	r.srv, err = login.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/oidc/", r.oidc.Handler())
	mux.Handle("/idp/", http.StripPrefix("/idp", r.saml.Handler()))
	mux.Handle("/session/", r.sessions.Handler())
	mux.Handle("/login/", r.srv)
	rec := httptest.NewRecorder()
	r.srv.ServeHTTP(rec, httptest.NewRequest("GET", ts.URL+"/login/saml/dev-saml/metadata", nil))
	if err := r.saml.AddServiceProvider("iis", rec.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) clock() time.Time {
	if r.now.IsZero() {
		return time.Now()
	}
	return r.now
}

// cli is the CLI's side of a loopback login: its PKCE verifier and state.
type cli struct {
	verifier, challenge, state string
}

func newCLI() cli {
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return cli{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:]), state: "st-" + v[:8]}
}

func (c cli) startURL(base, idp string) string {
	q := url.Values{"idp": {idp}, "redirect_uri": {loopback}, "state": {c.state}, "code_challenge": {c.challenge}, "code_challenge_method": {"S256"}}
	return base + "/login/start?" + q.Encode()
}

func (r *rig) browser() *headless.Browser {
	b := headless.New()
	b.StopAt = "http://127.0.0.1:53682/"
	return b
}

// idpForm starts a loopback login and returns the IdP's login form page.
func (r *rig) idpForm(b *headless.Browser, c cli, idp string) *headless.Page {
	r.t.Helper()
	p, err := b.Get(c.startURL(r.base, idp))
	if err != nil || p.Status != http.StatusOK {
		r.t.Fatalf("GET start(%s) = %v, %v: %.300s", idp, p, err, body(p))
	}
	return p
}

// signIn fills the IdP's login form.
func (r *rig) signIn(b *headless.Browser, form *headless.Page, idp, email string) *headless.Page {
	r.t.Helper()
	values := map[string]string{"username": email, "password": devissuer.DefaultPassword}
	if idp == "dev-saml" {
		values = map[string]string{"user": email, "password": samlidp.DefaultPassword}
	}
	p, err := b.Submit(form, values)
	if err != nil {
		r.t.Fatalf("sign in at %s: %v", idp, err)
	}
	return p
}

// loopbackResult reads the code (or error) the browser was sent back to
// the CLI with.
func loopbackResult(t *testing.T, p *headless.Page, c cli) (code, errCode, errDesc string) {
	t.Helper()
	loc := p.Location()
	if !strings.HasPrefix(loc, loopback) {
		t.Fatalf("browser ended at %s (%d), not the loopback: %.400s", p.URL, p.Status, p.Body)
	}
	u, _ := url.Parse(loc)
	q := u.Query()
	if q.Get("state") != c.state {
		t.Fatalf("loopback state = %q, want %q", q.Get("state"), c.state)
	}
	return q.Get("code"), q.Get("error"), q.Get("error_description")
}

// login runs a whole loopback login and returns the loopback's code.
func (r *rig) login(idp, email string) (string, cli) {
	r.t.Helper()
	c := newCLI()
	b := r.browser()
	p := r.signIn(b, r.idpForm(b, c, idp), idp, email)
	if idp == "dev-saml" {
		var err error
		if p, err = b.Submit(p, nil); err != nil { // the auto-posted ACS form
			r.t.Fatal(err)
		}
	}
	code, e, desc := loopbackResult(r.t, p, c)
	if e != "" {
		r.t.Fatalf("login(%s, %s) refused: %s %s", idp, email, e, desc)
	}
	return code, c
}

// token posts to the token endpoint.
func (r *rig) token(form url.Values) (int, map[string]any) {
	r.t.Helper()
	resp, err := http.PostForm(r.base+"/login/token", form)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (r *rig) exchange(code string, c cli) (int, map[string]any) {
	return r.token(url.Values{"grant_type": {login.GrantCode}, "code": {code}, "code_verifier": {c.verifier}, "redirect_uri": {loopback}})
}

// events returns the audited events of a type, in chain order.
func (r *rig) events(typ string) []event.Event {
	r.t.Helper()
	if _, err := audit.Sequence(context.Background(), r.st, 0); err != nil {
		r.t.Fatal(err)
	}
	recs, err := r.st.AuditTrail(context.Background(), 0, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []event.Event
	for _, m := range recs {
		e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			r.t.Fatalf("audit record %d: %v", m.Seq, err)
		}
		if e.Type() == typ {
			out = append(out, e)
		}
	}
	return out
}

// lastFailure is the reason of the last login.failed.
func (r *rig) lastFailure() events.LoginFailure {
	r.t.Helper()
	f := r.failures()
	if len(f) == 0 {
		r.t.Fatal("no login.failed was audited")
	}
	return f[len(f)-1]
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// failures returns the reasons of the login.failed events audited so far.
func (r *rig) failures() []events.LoginFailure {
	r.t.Helper()
	var out []events.LoginFailure
	for _, e := range r.events(events.LoginFailed) {
		d, err := events.DecodeLoginFailure(e)
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func body(p *headless.Page) string {
	if p == nil {
		return ""
	}
	return p.Body
}
