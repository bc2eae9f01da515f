package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/headless"
)

// callbackURL runs a dev OIDC login up to the IdP's redirect back to the
// login service and returns that callback URL, not yet followed.
func (r *rig) callbackURL(c cli, email string) *url.URL {
	r.t.Helper()
	b := r.browser()
	form := r.idpForm(b, c, "dev")
	b.StopAt = r.base + "/login/oidc/"
	p := r.signIn(b, form, "dev", email)
	u, err := url.Parse(p.Location())
	if err != nil || !strings.HasPrefix(p.Location(), r.base+"/login/oidc/dev/callback") {
		r.t.Fatalf("the IdP sent the browser to %q", p.Location())
	}
	return u
}

// follow GETs a callback URL in a fresh browser and returns the loopback
// error the CLI would receive (or the page).
func (r *rig) follow(u string) *headless.Page {
	r.t.Helper()
	p, err := r.browser().Get(u)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *rig) wantRefused(reason string) {
	r.t.Helper()
	f := r.lastFailure()
	if f.Reason != reason {
		r.t.Errorf("login.failed reason = %s (%s), want %s", f.Reason, f.Message, reason)
	}
	if n := len(r.events(events.SessionIssued)); n != 0 {
		r.t.Errorf("%d sessions issued", n)
	}
}

func TestOIDCWrongState(t *testing.T) {
	r := newRig(t)
	c := newCLI()
	u := r.callbackURL(c, "alice@example.com")
	q := u.Query()
	q.Set("state", "forged-"+q.Get("state"))
	u.RawQuery = q.Encode()
	if p := r.follow(u.String()); p.Status != http.StatusBadRequest {
		t.Errorf("callback with a forged state = %d, want 400", p.Status)
	}
	r.wantRefused(login.ReasonOIDCState)
}

// TestOIDCCodeReplay: a code intercepted after the victim's login is
// delivered to a login the attacker started: refused before it reaches
// the IdP.
func TestOIDCCodeReplay(t *testing.T) {
	r := newRig(t)
	victim := newCLI()
	u := r.callbackURL(victim, "alice@example.com")
	code, e, _ := loopbackResult(t, r.follow(u.String()), victim)
	if code == "" || e != "" {
		t.Fatalf("the victim's login failed: %s", e)
	}
	attacker := newCLI()
	b := r.browser()
	b.StopAt = r.base + "/oidc/authorize"
	start, err := b.Get(attacker.startURL(r.base, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	au, _ := url.Parse(start.Location())
	replay := *u
	q := replay.Query()
	q.Set("state", au.Query().Get("state"))
	replay.RawQuery = q.Encode()
	_, e, desc := loopbackResult(t, r.follow(replay.String()), attacker)
	if e != "access_denied" || !strings.Contains(desc, login.ReasonOIDCCodeReplayed) {
		t.Errorf("replayed code: %s %s, want %s", e, desc, login.ReasonOIDCCodeReplayed)
	}
	if f := r.lastFailure(); f.Reason != login.ReasonOIDCCodeReplayed {
		t.Errorf("login.failed = %s, want %s", f.Reason, login.ReasonOIDCCodeReplayed)
	}
}

// TestOIDCNonceMismatch: the attacker learned the victim's authorization
// request (state, PKCE challenge) and injects a code from a request of
// their own with another nonce: PKCE passes, the nonce does not.
func TestOIDCNonceMismatch(t *testing.T) {
	r := newRig(t)
	victim := newCLI()
	b := r.browser()
	b.StopAt = r.base + "/oidc/authorize"
	start, err := b.Get(victim.startURL(r.base, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	au, _ := url.Parse(start.Location())
	q := au.Query()
	q.Set("nonce", "attacker-chosen-nonce")
	au.RawQuery = q.Encode()
	b.StopAt = "http://127.0.0.1:53682/"
	form, err := b.Get(au.String())
	if err != nil {
		t.Fatal(err)
	}
	p := r.signIn(b, form, "dev", "alice@example.com")
	_, e, desc := loopbackResult(t, p, victim)
	if e != "access_denied" || !strings.Contains(desc, login.ReasonOIDCNonce) {
		t.Errorf("nonce mismatch: %s %s, want %s", e, desc, login.ReasonOIDCNonce)
	}
	r.wantRefused(login.ReasonOIDCNonce)
}

// TestExchangeChecks: the loopback code goes only to the CLI that holds
// the PKCE verifier, at the redirect URI it started with; a wrong attempt
// spends the code.
func TestExchangeChecks(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		form       func(code string, c cli) url.Values
	}{
		{"missing verifier", login.ReasonPKCEMissing, func(code string, c cli) url.Values {
			return url.Values{"grant_type": {login.GrantCode}, "code": {code}, "redirect_uri": {loopback}}
		}},
		{"wrong verifier", login.ReasonPKCEMismatch, func(code string, c cli) url.Values {
			return url.Values{"grant_type": {login.GrantCode}, "code": {code}, "code_verifier": {newCLI().verifier}, "redirect_uri": {loopback}}
		}},
		{"other redirect", login.ReasonRedirectURI, func(code string, c cli) url.Values {
			return url.Values{"grant_type": {login.GrantCode}, "code": {code}, "code_verifier": {c.verifier}, "redirect_uri": {"http://127.0.0.1:1/x"}}
		}},
		{"unknown code", login.ReasonFlowUnknown, func(code string, c cli) url.Values {
			return url.Values{"grant_type": {login.GrantCode}, "code": {"guessed"}, "code_verifier": {c.verifier}, "redirect_uri": {loopback}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			code, c := r.login("dev", "alice@example.com")
			status, out := r.token(tc.form(code, c))
			if status != http.StatusBadRequest || out["error"] != "invalid_grant" || !strings.Contains(out["error_description"].(string), tc.want) {
				t.Errorf("exchange = %d %v, want invalid_grant %s", status, out, tc.want)
			}
			r.wantRefused(tc.want)
			if tc.want != login.ReasonFlowUnknown {
				if status, _ := r.exchange(code, c); status == http.StatusOK {
					t.Error("the code still works after a refused attempt")
				}
			}
		})
	}
}

func TestStartChecks(t *testing.T) {
	r := newRig(t)
	c := newCLI()
	for _, tc := range []struct{ name, url, want string }{
		{"remote redirect", strings.Replace(c.startURL(r.base, "dev"), url.QueryEscape(loopback), url.QueryEscape("https://evil.example.com/cb"), 1), login.ReasonRedirectURI},
		{"no challenge", strings.Replace(c.startURL(r.base, "dev"), "code_challenge="+c.challenge, "code_challenge=", 1), login.ReasonBadRequest},
		{"unknown idp", c.startURL(r.base, "nope"), login.ReasonUnknownIdP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := r.follow(tc.url)
			if p.Status/100 != 4 {
				t.Errorf("start = %d, want a 4xx", p.Status)
			}
			r.wantRefused(tc.want)
		})
	}
}
