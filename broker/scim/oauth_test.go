package scim_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/dataproc-iis/iis/broker/scim"
)

const oauthIssuer = "https://example.okta.com/oauth2/default"

// idp is an OAuth issuer for tests: its JWKS endpoint counts fetches, and
// keys can be published (rotated in) at any time.
type idp struct {
	t       *testing.T
	srv     *httptest.Server
	fetches atomic.Int32
	down    atomic.Bool // the JWKS endpoint answers 503
	mu      sync.Mutex
	jwks    jose.JSONWebKeySet
}

func newIdP(t *testing.T) *idp {
	p := &idp{t: t}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		if p.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		json.NewEncoder(w).Encode(p.jwks)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) config() *scim.OAuthConfig {
	return &scim.OAuthConfig{Issuer: oauthIssuer, Audience: "api://iis-scim", JWKSURL: p.srv.URL, ClientIDs: []string{"0oa-okta-client"}}
}

// signer makes a new ES256 key with key id kid, published in the JWKS if
// publish, and returns its signer.
func (p *idp) signer(kid string, publish bool) jose.Signer {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	if publish {
		p.mu.Lock()
		p.jwks.Keys = append(p.jwks.Keys, jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"})
		p.mu.Unlock()
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// mint signs a client-credentials access token; claims override the
// defaults (nil removes one).
func (p *idp) mint(s jose.Signer, claims map[string]any) string {
	p.t.Helper()
	c := map[string]any{"iss": oauthIssuer, "aud": "api://iis-scim", "cid": "0oa-okta-client", "sub": "0oa-okta-client",
		"iat": received.Add(-time.Minute).Unix(), "exp": received.Add(time.Hour).Unix(), "scp": []string{"scim"}}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	jws, err := s.Sign(b)
	if err != nil {
		p.t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}

// TestOAuthUnknownKeyIDs: tokens naming key ids the IdP never published
// are refused without a JWKS fetch each (at most one per 30 s), and a key
// rotated in is accepted after that interval.
func TestOAuthUnknownKeyIDs(t *testing.T) {
	p := newIdP(t)
	var clock atomic.Int64
	clock.Store(received.UnixNano())
	e := newEnv(t, func(c *scim.Config) {
		c.OAuth = p.config()
		c.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	})
	post := func(tok, user string) int {
		return e.doAs(tok, "POST", "/scim/v2/Users", `{"userName":"`+user+`@example.com"}`).Code
	}
	if code := post(p.mint(p.signer("k1", true), nil), "first"); code != http.StatusCreated {
		t.Fatalf("valid token = %d, want 201", code)
	}
	for i := range 50 {
		forged := p.mint(p.signer(fmt.Sprintf("forged-%d", i), false), nil)
		if code := post(forged, fmt.Sprint("forged", i)); code != http.StatusUnauthorized {
			t.Fatalf("token with unknown key id = %d, want 401", code)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times for 1 valid and 50 unknown key ids within 30 s, want 1", n)
	}
	rotated := p.mint(p.signer("k2", true), nil)
	clock.Add(int64(31 * time.Second))
	if code := post(rotated, "rotated"); code != http.StatusCreated {
		t.Errorf("token with a key rotated in = %d, want 201", code)
	}
	if n := p.fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times after the rotation, want 2", n)
	}
}

// TestOAuthFirstFetch: a failed first fetch does not lock clients out for
// the refresh interval, and clients arriving together share one fetch.
func TestOAuthFirstFetch(t *testing.T) {
	p := newIdP(t)
	e := newEnv(t, func(c *scim.Config) { c.OAuth = p.config() })
	signer := p.signer("k1", true)
	p.down.Store(true)
	if code := e.doAs(p.mint(signer, nil), "GET", "/scim/v2/Users", "").Code; code != http.StatusUnauthorized {
		t.Fatalf("with the JWKS endpoint down: %d, want 401", code)
	}
	p.down.Store(false)
	p.fetches.Store(0)
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() { codes[i] = e.doAs(p.mint(signer, nil), "GET", "/scim/v2/Users", "").Code })
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("client %d after the IdP recovered: %d, want 200", i, code)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("8 clients at once fetched the JWKS %d times, want 1", n)
	}
}
