package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/headless"
	"github.com/dataproc-iis/iis/internal/samlidp"
)

var loginURLLine = regexp.MustCompile(`\n  (http://\S+/login/start\?\S+)\n`)

// loginAs runs `iis login -issuer idp -no-browser` and plays the person at
// the browser: it opens the printed URL, fills the IdP's login form (and,
// for SAML, posts the IdP's form to the ACS), and lands on the CLI's
// loopback listener.
func loginAs(t *testing.T, loginURL, idp, email string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"login", "-login-url", loginURL, "-issuer", idp, "-no-browser"}, &out, &errOut)
	}()
	var start string
	for start == "" {
		select {
		case code := <-done:
			t.Fatalf("iis login exited %d: %s", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m := loginURLLine.FindStringSubmatch(errOut.String()); m != nil {
			start = m[1]
		}
	}
	b := headless.New()
	form, err := b.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"username": email, "password": devissuer.DefaultPassword}
	if idp == "dev-saml" {
		values = map[string]string{"user": email, "password": samlidp.DefaultPassword}
	}
	p, err := b.Submit(form, values)
	if err != nil {
		t.Fatal(err)
	}
	if idp == "dev-saml" {
		if p, err = b.Submit(p, nil); err != nil { // the IdP's auto-posted form to the ACS
			t.Fatal(err)
		}
	}
	if !strings.Contains(p.Body, "Logged in") {
		t.Errorf("the browser ended at %s: %.300s", p.URL, p.Body)
	}
	if code := <-done; code != 0 {
		t.Fatalf("iis login exited %d: %s", code, errOut.String())
	}
	return out.String()
}

// TestLoginWalkthrough is the README's two commands on `iis dev`: `iis
// login -issuer dev-saml` (and dev, the OIDC issuer), then `iis run`, which
// follows the job to its end. A session stays usable only while the
// directory lets its person in: once bob is deactivated over SCIM, his
// still-valid session is refused by the worker at once and cannot be
// refreshed.
func TestLoginWalkthrough(t *testing.T) {
	const scimToken = "test-scim-token-0123456789"
	addr, stderr := startDev(t, "-job-pending", "10ms", "-job-running", "200ms", "-poll-interval", "10ms",
		"-poll-backoff-min", "10ms", "-poll-backoff-max", "50ms", "-scim-tokens", scimToken)
	base := strings.TrimSuffix(issuerLine.FindStringSubmatch(stderr.String())[1], "/oidc")
	ctx := context.Background()
	data := `{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`
	for _, idp := range []string{"dev-saml", "dev"} {
		t.Run(idp, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("IIS_CONFIG_DIR", dir)
			out := loginAs(t, base+"/login", idp, "alice@example.com")
			if !strings.Contains(out, "logged in as alice@example.com through "+idp) {
				t.Errorf("iis login printed %q", out)
			}
			fi, err := os.Stat(filepath.Join(dir, "session.json"))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("session file: %v, mode %v; want 0600", err, fi.Mode())
			}
			var who syncBuffer
			if code := run(ctx, []string{"whoami"}, &who, &syncBuffer{}); code != 0 || !strings.Contains(who.String(), "alice@example.com") {
				t.Errorf("whoami = %d %q", code, who.String())
			}
			var runOut, runErr syncBuffer
			if code := run(ctx, []string{"run", "-pubsub-emulator", addr, "-data", data}, &runOut, &runErr); code != 0 {
				t.Fatalf("iis run exited %d:\n%s\n%s", code, runOut.String(), runErr.String())
			}
			for _, want := range []string{"approved: role", "credential issued", "submitted to Dataproc", "state: RUNNING", "state: SUCCEEDED"} {
				if !strings.Contains(runOut.String(), want) {
					t.Errorf("iis run printed no %q:\n%s", want, runOut.String())
				}
			}
			tok, _ := loadSession()
			if strings.Contains(runOut.String()+runErr.String()+stderr.String(), tok.Token) {
				t.Error("the session token appears in the output or the broker's logs")
			}
			if code := run(ctx, []string{"logout"}, &syncBuffer{}, &syncBuffer{}); code != 0 {
				t.Error("logout failed")
			}
			if code := run(ctx, []string{"whoami"}, &syncBuffer{}, &syncBuffer{}); code == 0 {
				t.Error("whoami after logout succeeded")
			}
		})
	}

	t.Run("leaver", func(t *testing.T) {
		t.Setenv("IIS_CONFIG_DIR", t.TempDir())
		loginAs(t, base+"/login", "dev-saml", "bob@example.com")
		scimPatch(t, base+"/scim/v2/Users/"+scimUserID(t, base, scimToken, "bob@example.com"), scimToken,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
		var runOut, runErr syncBuffer
		code := run(ctx, []string{"run", "-pubsub-emulator", addr, "-data", data}, &runOut, &runErr)
		if code == 0 || !strings.Contains(runErr.String(), "denied: principal_locked") || !strings.Contains(runErr.String(), "hint: iis policy explain") {
			t.Errorf("iis run with a leaver's session = %d:\n%s\n%s", code, runOut.String(), runErr.String())
		}
		var refreshErr syncBuffer
		if code := run(ctx, []string{"login", "-refresh"}, &syncBuffer{}, &refreshErr); code == 0 || !strings.Contains(refreshErr.String(), "principal_locked") {
			t.Errorf("iis login -refresh of a leaver = %d: %s", code, refreshErr.String())
		}
	})
}
