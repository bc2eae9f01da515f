package devissuer

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCodeFlow: the login form issues a code that only its PKCE verifier
// redeems, once, at its redirect URI.
func TestCodeFlow(t *testing.T) {
	is, srv := serve(t, Config{Audience: "iis", Users: []User{{Email: "alice@example.com"}},
		Clients: []Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1:9/cb"}}}})
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(password string) (int, *url.URL) {
		form := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {"http://127.0.0.1:9/cb"},
			"scope": {"openid email"}, "state": {"xyz"}, "nonce": {"n-1"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
			"username": {"alice@example.com"}, "password": {password}}
		resp, err := noRedirect.PostForm(is.URL()+AuthorizePath, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, _ := url.Parse(resp.Header.Get("Location"))
		return resp.StatusCode, u
	}
	if status, _ := authorize("wrong"); status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", status)
	}
	status, loc := authorize(DefaultPassword)
	code := loc.Query().Get("code")
	if status != http.StatusFound || code == "" || loc.Query().Get("state") != "xyz" {
		t.Fatalf("authorize = %d %s", status, loc)
	}
	exchange := func(v string) (int, string) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "client_id": {"app"}, "client_secret": {"s3cret"}}
		if v != "" {
			form.Set("code_verifier", v)
		}
		resp, err := http.PostForm(srv.URL+"/oidc/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if status, body := exchange(""); status != http.StatusBadRequest || !strings.Contains(body, "code_verifier is required") {
		t.Errorf("exchange without verifier = %d %s", status, body)
	}
	// The refused attempt spent the code, as IdPs do: log in again.
	status, loc = authorize(DefaultPassword)
	code = loc.Query().Get("code")
	if status, body := exchange("wrong-verifier-wrong-verifier-wrong-verifier"); status != http.StatusBadRequest || !strings.Contains(body, "does not match") {
		t.Errorf("exchange with a wrong verifier = %d %s", status, body)
	}
	status, loc = authorize(DefaultPassword)
	code = loc.Query().Get("code")
	if status, body := exchange(verifier); status != http.StatusOK || !strings.Contains(body, "id_token") {
		t.Fatalf("exchange = %d %s", status, body)
	}
	if status, body := exchange(verifier); status != http.StatusBadRequest || !strings.Contains(body, "already used") {
		t.Errorf("second exchange = %d %s", status, body)
	}
}
