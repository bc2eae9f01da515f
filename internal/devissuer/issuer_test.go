package devissuer

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
)

// serve starts an issuer at a httptest URL with path /oidc.
func serve(t *testing.T, cfg Config) (*Issuer, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/oidc"
	cfg.DevMode = true
	is, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	mux.Handle("/oidc/", is.Handler())
	return is, srv
}

func TestNewRefusesOutsideDevMode(t *testing.T) {
	_, err := New(Config{URL: "http://127.0.0.1:1/oidc", Audience: "iis"})
	if !errors.Is(err, ErrNotDevMode) || !strings.Contains(err.Error(), "dev mode") {
		t.Errorf("New(DevMode: false) = %v, want ErrNotDevMode", err)
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://x/?q=1"} {
		if _, err := New(Config{URL: bad, DevMode: true}); err == nil {
			t.Errorf("New(URL: %q) = nil error, want an error", bad)
		}
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	is, srv := serve(t, Config{Audience: "iis", ES256: true})
	var doc map[string]any
	getJSON(t, srv.URL+"/oidc/.well-known/openid-configuration", &doc)
	want := map[string]any{
		"issuer":                                is.URL(),
		"jwks_uri":                              is.URL() + "/jwks",
		"token_endpoint":                        is.URL() + "/token",
		"id_token_signing_alg_values_supported": []any{"ES256", "RS256"},
	}
	for k, w := range want {
		if diff := cmp.Diff(w, doc[k]); diff != "" {
			t.Errorf("discovery %s mismatch (-want +got):\n%s", k, diff)
		}
	}
	var set jose.JSONWebKeySet
	getJSON(t, srv.URL+"/oidc/jwks", &set)
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(set.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.KeyID == "" || k.Use != "sig" {
			t.Errorf("JWKS key %+v: want a public signature key with a kid", k)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestMint(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	is, _ := serve(t, Config{Audience: "iis", ES256: true, Now: func() time.Time { return now }})
	raw, err := is.Mint(TokenRequest{Email: "alice@example.com", Groups: []string{"data-eng"}, Alg: "ES256", TTL: 5 * time.Minute, PrincipalType: "human"})
	if err != nil {
		t.Fatalf("Mint() = %v", err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("jwt.ParseSigned() = %v", err)
	}
	var claims map[string]any
	keys := is.KeySet()
	if err := tok.Claims(&keys, &claims); err != nil {
		t.Fatalf("Claims() with the issuer's JWKS = %v", err)
	}
	want := map[string]any{
		"iss": is.URL(), "sub": "alice@example.com", "aud": "iis", "email": "alice@example.com", "email_verified": true,
		"groups": []any{"data-eng"}, "principal_type": "human", "iat": float64(now.Unix()), "exp": float64(now.Add(5 * time.Minute).Unix()),
	}
	delete(claims, "jti")
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("minted claims mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []TokenRequest{
		{},
		{Email: "a@b", TTL: 25 * time.Hour},
		{Email: "a@b", TTL: -time.Second},
		{Email: "a@b", PrincipalType: "robot"},
		{Email: "a@b", Alg: "HS256"},
	} {
		if _, err := is.Mint(bad); err == nil {
			t.Errorf("Mint(%+v) = nil error, want an error", bad)
		}
	}
}

func TestTokenEndpoint(t *testing.T) {
	is, srv := serve(t, Config{Audience: "iis"})
	post := func(ct, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/oidc/token", ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	claimsOf := func(raw string) map[string]any {
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("ParseSigned: %v", err)
		}
		var c map[string]any
		keys := is.KeySet()
		if err := tok.Claims(&keys, &c); err != nil {
			t.Fatalf("Claims: %v", err)
		}
		return c
	}
	form := url.Values{"email": {"bob@example.com"}, "groups": {"analysts, data-eng"}, "ttl": {"10m"}}.Encode()
	code, out := post("application/x-www-form-urlencoded", form)
	if code != http.StatusOK || out["token_type"] != "Bearer" || out["expires_in"] != float64(600) {
		t.Fatalf("POST /token (form) = %d %v", code, out)
	}
	if c := claimsOf(out["id_token"].(string)); c["email"] != "bob@example.com" || cmp.Diff([]any{"analysts", "data-eng"}, c["groups"]) != "" {
		t.Errorf("form token claims = %v", c)
	}
	code, out = post("application/json", `{"email":"etl@p.iam.gserviceaccount.com","groups":["bots"],"principal_type":"workload","aud":"other"}`)
	if code != http.StatusOK {
		t.Fatalf("POST /token (json) = %d %v", code, out)
	}
	if c := claimsOf(out["id_token"].(string)); c["aud"] != "other" || c["principal_type"] != "workload" {
		t.Errorf("json token claims = %v", c)
	}
	for _, bad := range []struct{ ct, body string }{
		{"application/json", `{"email":"a@b","ttl":"forever"}`},
		{"application/json", `{"email":"a@b","admin":true}`},
		{"application/json", `{"email":"a@b","groups":[1]}`},
		{"application/x-www-form-urlencoded", "groups=x"},
		{"text/plain", "email=a@b"},
	} {
		if code, out := post(bad.ct, bad.body); code != http.StatusBadRequest || out["error"] != "invalid_request" {
			t.Errorf("POST /token %s %q = %d %v, want 400 invalid_request", bad.ct, bad.body, code, out)
		}
	}
	resp, err := http.Get(srv.URL + "/oidc/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token = %d, want 405", resp.StatusCode)
	}
}
