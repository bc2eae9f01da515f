package login_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/events"
)

// deviceStart asks for a device code.
func (r *rig) deviceStart(idp string) map[string]any {
	r.t.Helper()
	resp, err := http.PostForm(r.base+"/login/device/code", url.Values{"idp": {idp}})
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	decodeJSON(r.t, resp, &out)
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("device code = %d %v", resp.StatusCode, out)
	}
	return out
}

func (r *rig) poll(device string) (int, map[string]any) {
	return r.token(url.Values{"grant_type": {login.GrantDevice}, "device_code": {device}})
}

// TestDeviceFlow: a headless terminal gets a code; the person enters it in
// any browser, logs in at the IdP, and the terminal's poll gets the session.
func TestDeviceFlow(t *testing.T) {
	for _, idp := range []string{"dev", "dev-saml"} {
		t.Run(idp, func(t *testing.T) {
			r := newRig(t)
			d := r.deviceStart(idp)
			device := d["device_code"].(string)
			if status, out := r.poll(device); status != http.StatusBadRequest || out["error"] != "authorization_pending" {
				t.Errorf("first poll = %d %v, want authorization_pending", status, out)
			}
			if _, out := r.poll(device); out["error"] != "slow_down" {
				t.Errorf("an immediate second poll = %v, want slow_down", out)
			}
			b := r.browser()
			page, err := b.Get(d["verification_uri"].(string))
			if err != nil {
				t.Fatal(err)
			}
			form, err := b.Submit(page, map[string]string{"user_code": d["user_code"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			p := r.signIn(b, form, idp, "alice@example.com")
			if idp == "dev-saml" {
				p, _ = b.Submit(p, nil)
			}
			if p.Status != http.StatusOK {
				t.Fatalf("the browser ended at %d: %.300s", p.Status, p.Body)
			}
			r.now = time.Now().Add(2 * time.Second) // past the poll interval
			status, tok := r.poll(device)
			if status != http.StatusOK || tok["user"] != "alice@example.com" {
				t.Fatalf("poll after login = %d %v", status, tok)
			}
			if n := len(r.events(events.SessionIssued)); n != 1 {
				t.Errorf("%d sessions issued, want 1", n)
			}
			if _, out := r.poll(device); out["error"] != "invalid_grant" {
				t.Errorf("a poll after the session = %v, want invalid_grant", out)
			}
			r.wantRefused2(login.ReasonCodeReplayed)
		})
	}
}

// TestDeviceRefusals: a wrong user code, and a device whose login was
// refused gets access_denied.
func TestDeviceRefusals(t *testing.T) {
	r := newRig(t)
	d := r.deviceStart("dev")
	b := r.browser()
	if p, _ := b.Post(r.base+"/login/device", url.Values{"user_code": {"BCDF-GHJK"}}); p.Status != http.StatusNotFound {
		t.Errorf("a wrong user code = %d, want 404", p.Status)
	}
	r.wantRefused(login.ReasonFlowUnknown)
	form, _ := b.Post(r.base+"/login/device", url.Values{"user_code": {d["user_code"].(string)}})
	r.signIn(b, form, "dev", "dave@example.com") // not in the directory
	r.now = time.Now().Add(2 * time.Second)
	if _, out := r.poll(d["device_code"].(string)); out["error"] != "access_denied" {
		t.Errorf("poll after a refused login = %v, want access_denied", out)
	}
	if f := r.lastFailure(); f.Reason != login.ReasonPrincipalUnknown || f.Login.Client != events.ClientDevice {
		t.Errorf("login.failed = %+v", f)
	}
}

// wantRefused2 is wantRefused for a flow that did issue one session.
func (r *rig) wantRefused2(reason string) {
	r.t.Helper()
	if f := r.lastFailure(); f.Reason != reason {
		r.t.Errorf("login.failed = %s, want %s", f.Reason, reason)
	}
}
