package login_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/events"
)

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) refresh(raw string) (int, map[string]any) {
	return r.token(url.Values{"grant_type": {login.GrantRefresh}, "refresh_token": {raw}})
}

// session logs alice in and returns her session token.
func (r *rig) session(idp string) string {
	r.t.Helper()
	code, c := r.login(idp, "alice@example.com")
	status, tok := r.exchange(code, c)
	if status != http.StatusOK {
		r.t.Fatalf("exchange = %d %v", status, tok)
	}
	return tok["access_token"].(string)
}

// TestRefresh: a valid session is refreshed with the same login time; a
// locked person's refresh is refused and audited; 12h after the login,
// the person must log in again.
func TestRefresh(t *testing.T) {
	r := newRig(t)
	r.now = time.Now()
	raw := r.session("dev-saml")
	r.now = r.now.Add(50 * time.Minute)
	status, out := r.refresh(raw)
	if status != http.StatusOK {
		t.Fatalf("refresh = %d %v", status, out)
	}
	fresh := out["access_token"].(string)
	a, _, _ := r.sessions.Verify(t.Context(), raw)
	b, tb, err := r.sessions.Verify(t.Context(), fresh)
	if err != nil || !a.AuthTime.Equal(b.AuthTime) || a.SessionID != b.SessionID || !tb.ExpiresAt.Equal(r.now.Truncate(time.Second).Add(time.Hour)) {
		t.Errorf("refreshed session = %+v %+v, %v; want the login's auth time and sid", b, tb, err)
	}
	issued := r.events(events.SessionIssued)
	is, _ := events.DecodeIssuedSession(issued[len(issued)-1])
	if is.Reason != events.SessionRefresh || is.RefreshedFrom != identity.Fingerprint(raw) || is.Fingerprint != identity.Fingerprint(fresh) {
		t.Errorf("session.issued = %+v", is)
	}

	r.lock("alice@example.com")
	status, out = r.refresh(fresh)
	if status != http.StatusBadRequest || out["error"] != "invalid_grant" || !strings.Contains(out["error_description"].(string), login.ReasonPrincipalLocked) {
		t.Errorf("refresh of a locked person = %d %v", status, out)
	}
	f := r.lastFailure()
	if f.Reason != login.ReasonPrincipalLocked || f.Stage != login.StageRefresh || f.SessionFingerprint != identity.Fingerprint(fresh) || f.UserID == "" {
		t.Errorf("login.failed = %+v", f)
	}
	noSecrets(t, r, raw, fresh)
}

func TestRefreshRefuses(t *testing.T) {
	r := newRig(t)
	r.now = time.Now()
	raw := r.session("dev")
	r.now = r.now.Add(session.MaxLifetime - 30*time.Minute)
	// An expired session cannot be refreshed; a fresh one 12h after login
	// neither.
	if status, out := r.refresh(raw); status != http.StatusBadRequest || !strings.Contains(out["error_description"].(string), login.ReasonSessionInvalid) {
		t.Errorf("refresh of an expired session = %d %v", status, out)
	}
	// A session 12h after its login (still within the verifier's leeway):
	// log in again.
	c, _, _ := r.sessions.Verify(t.Context(), r.sessionAt(r.now.Add(-session.MaxLifetime+time.Minute)))
	old, err := r.sessions.Issue(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	r.now = c.AuthTime.Add(session.MaxLifetime + 10*time.Second)
	if status, out := r.refresh(old.Raw); status != http.StatusBadRequest || !strings.Contains(out["error_description"].(string), login.ReasonLoginTooOld) {
		t.Errorf("refresh 12h after login = %d %v", status, out)
	}
	for name, raw := range map[string]string{"garbage": "not-a-token", "foreign": r.oidcToken()} {
		if status, out := r.refresh(raw); status != http.StatusBadRequest || !strings.Contains(out["error_description"].(string), login.ReasonSessionInvalid) {
			t.Errorf("refresh(%s) = %d %v", name, status, out)
		}
	}
}

// oidcToken is a valid ID token of the dev issuer: not a session.
func (r *rig) oidcToken() string {
	raw, err := r.oidc.Mint(devissuerRequest("alice@example.com"))
	if err != nil {
		r.t.Fatal(err)
	}
	return raw
}

// sessionAt is a session of alice whose login was at authTime.
func (r *rig) sessionAt(authTime time.Time) string {
	r.t.Helper()
	var id string
	u := r.user("alice@example.com")
	id = u.ID
	tok, err := r.sessions.Issue(r.t.Context(), session.Claims{UserID: id, Email: "alice@example.com", IdP: "dev", AuthTime: authTime})
	if err != nil {
		r.t.Fatal(err)
	}
	return tok.Raw
}
