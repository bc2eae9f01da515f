package scim_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/scim"
)

func TestAuthFailures(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, header string
		invalid      bool // a bearer token was presented (RFC 6750 3.1)
	}{
		{"no Authorization header", "", false},
		{"empty bearer", "Bearer ", false},
		{"basic auth", "Basic b2t0YTpzZWNyZXQ=", false},
		{"scheme-less", oktaToken, false},
		{"wrong token", "Bearer not-the-token-0123456789", true},
		{"token prefix", "Bearer " + oktaToken[:len(oktaToken)-1], true},
		{"token with a suffix", "Bearer " + oktaToken + "x", true},
		{"token in another case", "Bearer " + strings.ToUpper(oktaToken), true},
		{"token and junk", "Bearer " + oktaToken + " junk", true},
		{"malformed JWT", "Bearer a.b.c", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range []string{"/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/scim/v2/nowhere"} {
				r := httptest.NewRequest("GET", "https://"+host+target, nil)
				if tt.header != "" {
					r.Header.Set("Authorization", tt.header)
				}
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, r)
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("GET %s with %q = %d, want 401", target, tt.header, w.Code)
				}
				checkError(t, w, decode(t, w), http.StatusUnauthorized, "")
				want := `Bearer realm="scim"`
				if tt.invalid {
					want += `, error="invalid_token"`
				}
				if got := w.Header().Get("WWW-Authenticate"); got != want {
					t.Errorf("WWW-Authenticate = %q, want %q", got, want)
				}
			}
		})
	}
	if log := e.log.String(); strings.Contains(log, oktaToken[:len(oktaToken)-1]) || strings.Contains(log, "not-the-token") {
		t.Errorf("a presented token reached the log:\n%s", log)
	}
}

// Tokens rotate through the tokens file: the new token works as soon as it
// is written, the old one stops working as soon as it is removed.
func TestTokenRotation(t *testing.T) {
	const (
		oldToken = "old-rotated-token-0123456789abcdef"
		newToken = "new-rotated-token-fedcba9876543210"
	)
	file := filepath.Join(t.TempDir(), "tokens")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// Give each version its own modification time, whatever the file
		// system's clock resolution.
		mt := time.Now().Add(time.Duration(len(content)) * time.Second)
		if err := os.Chtimes(file, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	write("# SCIM tokens\n" + oldToken + "\n")
	e := newEnv(t, func(c *scim.Config) { c.Tokens, c.TokensFile = nil, file })
	status := func(token string) int {
		t.Helper()
		return e.doAs(token, "GET", "/scim/v2/Users", "").Code
	}
	if got := status(oldToken); got != http.StatusOK {
		t.Fatalf("old token before rotation = %d, want 200", got)
	}
	write("# SCIM tokens\n" + oldToken + "\n\n" + newToken + "\n")
	if got, got2 := status(oldToken), status(newToken); got != http.StatusOK || got2 != http.StatusOK {
		t.Errorf("during rotation: old token %d, new token %d, want both 200", got, got2)
	}
	write(newToken + "\n")
	if got, got2 := status(oldToken), status(newToken); got != http.StatusUnauthorized || got2 != http.StatusOK {
		t.Errorf("after rotation: old token %d, new token %d, want 401 and 200", got, got2)
	}
	// A bad line keeps only the tokens the file still lists: a removal
	// takes effect even when the edit leaves a typo behind.
	write(newToken + "\nshort\n")
	if got, got2 := status(oldToken), status(newToken); got != http.StatusUnauthorized || got2 != http.StatusOK {
		t.Errorf("with a bad line: old token %d, new token %d, want 401 and 200", got, got2)
	}
	write("short\n")
	if got := status(newToken); got != http.StatusUnauthorized {
		t.Errorf("token removed in an edit with a bad line: %d, want 401", got)
	}
	// A file that vanished accepts nothing: fail closed.
	write(newToken + "\n")
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if got := status(newToken); got != http.StatusUnauthorized {
		t.Errorf("after the file vanished: new token %d, want 401", got)
	}
}

func TestTokenConfig(t *testing.T) {
	e := newEnv(t)
	// Each configured token works and is its own actor.
	for _, tok := range []string{oktaToken, entraToken} {
		if w := e.doAs(tok, "POST", "/scim/v2/Users", `{"userName":"`+tok[:4]+`@example.com"}`); w.Code != http.StatusCreated {
			t.Fatalf("POST with token %s = %d, want 201", scim.Fingerprint(tok), w.Code)
		}
	}
	evs := e.events()
	if len(evs) != 2 || userChange(t, evs[0]).Actor != scim.Fingerprint(oktaToken) || userChange(t, evs[1]).Actor != scim.Fingerprint(entraToken) {
		t.Errorf("actors = %v, want each token's fingerprint", evs)
	}
	for _, ev := range evs {
		if strings.Contains(string(ev.Data()), oktaToken) || strings.Contains(string(ev.Data()), entraToken) {
			t.Errorf("an event carries a token: %s", ev.Data())
		}
	}

	for name, cfg := range map[string]scim.Config{
		"short token":      {Store: e.st, Tokens: []string{"short"}},
		"token with NUL":   {Store: e.st, Tokens: []string{"0123456789abcdef\x00"}},
		"no credentials":   {Store: e.st},
		"no store":         {Tokens: []string{oktaToken}},
		"missing file":     {Store: e.st, TokensFile: filepath.Join(t.TempDir(), "absent")},
		"OAuth half-set":   {Store: e.st, OAuth: &scim.OAuthConfig{Issuer: "https://issuer.example.com"}},
		"relative BaseURL": {Store: e.st, Tokens: []string{oktaToken}, BaseURL: "/scim"},
	} {
		if _, err := scim.New(cfg); err == nil {
			t.Errorf("New(%s) = nil error, want one", name)
		}
	}
}

func TestOAuth(t *testing.T) {
	idp := newIdP(t)
	signer := idp.signer("k1", true)
	otherSigner := idp.signer("k1", false) // same key id, key not published
	e := newEnv(t, func(c *scim.Config) { c.OAuth = idp.config() })
	mint := idp.mint
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"valid", mint(signer, nil), http.StatusCreated},
		{"expired", mint(signer, map[string]any{"exp": received.Add(-time.Second).Unix()}), http.StatusUnauthorized},
		{"other issuer", mint(signer, map[string]any{"iss": "https://evil.example.com"}), http.StatusUnauthorized},
		{"other audience", mint(signer, map[string]any{"aud": "api://other"}), http.StatusUnauthorized},
		{"client not allowed", mint(signer, map[string]any{"cid": "0oa-other", "sub": "0oa-other"}), http.StatusUnauthorized},
		{"signed by another key", mint(otherSigner, nil), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.doAs(tt.token, "POST", "/scim/v2/Users", `{"userName":"`+strings.ReplaceAll(tt.name, " ", "-")+`@example.com"}`)
			if w.Code != tt.status {
				t.Fatalf("POST with %s token = %d %s, want %d", tt.name, w.Code, w.Body, tt.status)
			}
		})
	}
	evs := e.events()
	if len(evs) != 1 || userChange(t, evs[0]).Actor != "oauth:0oa-okta-client" {
		t.Errorf("events = %v, want one by oauth:0oa-okta-client", types(evs))
	}
	if strings.Contains(e.log.String(), tests[0].token) {
		t.Error("an access token reached the log")
	}
}
