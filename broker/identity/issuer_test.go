package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Keys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() (k struct {
	rsa, rsa2, attacker *rsa.PrivateKey
	ec                  *ecdsa.PrivateKey
}) {
	var err error
	for _, p := range []**rsa.PrivateKey{&k.rsa, &k.rsa2, &k.attacker} {
		if *p, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	return k
})

// testIssuer is an OIDC issuer under the test's control: its keys, its key
// set, whether it answers, and how often its JWKS was fetched. It signs
// whatever header and claims a test asks for.
type testIssuer struct {
	srv       *httptest.Server
	url       string
	mu        sync.Mutex
	keys      map[string]crypto.Signer // published keys by kid
	down      atomic.Bool
	jwksHits  atomic.Int32
	discovery atomic.Int32
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	k := testKeys()
	ti := &testIssuer{keys: map[string]crypto.Signer{"rsa-1": k.rsa, "ec-1": k.ec}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": ti.url, "jwks_uri": ti.url + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		ti.jwksHits.Add(1)
		ti.mu.Lock()
		defer ti.mu.Unlock()
		var set jose.JSONWebKeySet
		for kid, key := range ti.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: key.Public(), KeyID: kid, Use: "sig"})
		}
		json.NewEncoder(w).Encode(set)
	})
	ti.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			ti.discovery.Add(1)
		}
		if ti.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ti.srv.Close)
	ti.url = ti.srv.URL
	return ti
}

// publish replaces the published key set.
func (ti *testIssuer) publish(keys map[string]crypto.Signer) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.keys = keys
}

// claims returns valid claims for alice at now.
func (ti *testIssuer) claims(now time.Time) map[string]any {
	return map[string]any{
		"iss": ti.url, "sub": "u-1001", "aud": "iis", "email": "alice@example.com", "email_verified": true,
		"groups": []string{"data-eng"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func b64enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonPart(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64enc(b)
}

// sign builds a compact JWS over header and claims with key (nil: no
// signature; []byte: HMAC-SHA256; otherwise per alg).
func sign(t testing.TB, header, claims map[string]any, key any) string {
	t.Helper()
	input := jsonPart(t, header) + "." + jsonPart(t, claims)
	return signInput(t, input, header["alg"], key)
}

func signInput(t testing.TB, input string, alg any, key any) string {
	t.Helper()
	var sig []byte
	var err error
	switch k := key.(type) {
	case nil:
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case *rsa.PrivateKey:
		h := sha256.Sum256([]byte(input))
		if alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
		}
	case *ecdsa.PrivateKey:
		h := sha256.Sum256([]byte(input))
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, h[:])
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	default:
		t.Fatalf("sign: unsupported key %T", key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64enc(sig)
}

// publicPEM is the PEM of the RSA public key, the bytes an attacker uses as
// an HMAC secret in the classic algorithm-confusion attack.
func publicPEM(t testing.TB, k *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
