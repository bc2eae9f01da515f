package login_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/events"
)

// TestLogin: a person logs in through each IdP's real login form; the CLI
// redeems the loopback code with its verifier and gets a session whose sub
// is the directory user id. login.succeeded and session.issued name the
// session by fingerprint.
func TestLogin(t *testing.T) {
	for _, idp := range []string{"dev", "dev-saml"} {
		t.Run(idp, func(t *testing.T) {
			r := newRig(t)
			code, c := r.login(idp, "alice@example.com")
			status, tok := r.exchange(code, c)
			if status != http.StatusOK {
				t.Fatalf("exchange = %d %v", status, tok)
			}
			raw, _ := tok["access_token"].(string)
			claims, _, err := r.sessions.Verify(t.Context(), raw)
			if err != nil {
				t.Fatalf("the session does not verify: %v", err)
			}
			if claims.UserID == "" || claims.Email != "alice@example.com" || claims.IdP != idp || tok["user"] != "alice@example.com" {
				t.Errorf("session claims = %+v, response %v", claims, tok)
			}
			kid, _ := r.sessions.KeyID(t.Context())
			succ := r.events(events.LoginSucceeded)
			issued := r.events(events.SessionIssued)
			if len(succ) != 1 || len(issued) != 1 {
				t.Fatalf("audited %d login.succeeded and %d session.issued, want 1 and 1", len(succ), len(issued))
			}
			s, _ := events.DecodeLoginSuccess(succ[0])
			is, _ := events.DecodeIssuedSession(issued[0])
			fp := identity.Fingerprint(raw)
			if s.SessionFingerprint != fp || is.Fingerprint != fp || s.UserID != claims.UserID || s.Login.Protocol != map[string]string{"dev": "oidc", "dev-saml": "saml"}[idp] ||
				s.Login.EvidenceFingerprint == "" || is.Reason != events.SessionLogin || is.KeyID != kid {
				t.Errorf("login.succeeded = %+v\nsession.issued = %+v", s, is)
			}
			// The code is spent.
			if status, out := r.exchange(code, c); status != http.StatusBadRequest || !strings.Contains(out["error_description"].(string), login.ReasonCodeReplayed) {
				t.Errorf("second exchange = %d %v, want %s", status, out, login.ReasonCodeReplayed)
			}
			if f := r.lastFailure(); f.Reason != login.ReasonCodeReplayed || f.Stage != login.StageExchange {
				t.Errorf("login.failed = %+v", f)
			}
			noSecrets(t, r, raw, code, c.verifier)
		})
	}
}

// TestDirectoryDecides: the IdP vouching is not enough; unknown,
// deactivated and locked people get no session, at either IdP.
func TestDirectoryDecides(t *testing.T) {
	for _, idp := range []string{"dev", "dev-saml"} {
		for _, tc := range []struct{ email, want string }{
			{"dave@example.com", login.ReasonPrincipalUnknown},
			{"carol@example.com", login.ReasonPrincipalInactive},
			{"bob@example.com", login.ReasonPrincipalLocked},
		} {
			t.Run(idp+"/"+tc.want, func(t *testing.T) {
				r := newRig(t)
				r.lock("bob@example.com")
				c := newCLI()
				b := r.browser()
				p := r.signIn(b, r.idpForm(b, c, idp), idp, tc.email)
				if idp == "dev-saml" {
					p, _ = b.Submit(p, nil)
				}
				code, e, desc := loopbackResult(t, p, c)
				if code != "" || e != "access_denied" || !strings.Contains(desc, tc.want) {
					t.Errorf("loopback got code %q, error %q %q; want access_denied %s", code, e, desc, tc.want)
				}
				if f := r.lastFailure(); f.Reason != tc.want || f.Stage != login.StageDir || f.Login.Subject == "" {
					t.Errorf("login.failed = %+v, want %s at %s", f, tc.want, login.StageDir)
				}
				if n := len(r.events(events.SessionIssued)); n != 0 {
					t.Errorf("%d sessions issued", n)
				}
			})
		}
	}
}
