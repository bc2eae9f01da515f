package identity

import (
	"context"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/fault"
)

// FuzzVerify feeds arbitrary tokens to the routing, parsing and verification
// path: it must never panic, and every failure must be a classified fault.
func FuzzVerify(f *testing.F) {
	ti := newTestIssuer(f)
	k := testKeys()
	v, _ := newTestVerifier(f, ti, func(c *Config) { c.Issuers[0].Algorithms = []string{"RS256", "ES256", "PS256"} })
	if err := v.Warm(context.Background()); err != nil {
		f.Fatal(err)
	}
	good := ti.claims(t0)
	f.Add(sign(f, map[string]any{"alg": "RS256", "kid": "rsa-1"}, good, k.rsa))
	f.Add(sign(f, map[string]any{"alg": "ES256", "kid": "ec-1"}, good, k.ec))
	f.Add(sign(f, map[string]any{"alg": "none"}, good, nil))
	f.Add(sign(f, map[string]any{"alg": "HS256", "kid": "rsa-1"}, good, publicPEM(f, k.rsa)))
	f.Add(sign(f, map[string]any{"alg": "RS256", "kid": "x"}, with(good, "aud", []any{1, nil}, "exp", "x"), k.attacker))
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.")
	known := []string{ReasonMalformed, ReasonAlgNotAllowed, ReasonUnknownKey, ReasonBadSignature, ReasonIssuerUntrusted,
		ReasonAudienceMismatch, ReasonExpired, ReasonNotYetValid, ReasonMissingClaim, ReasonInvalidClaim, ReasonEmailUnverified}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := v.Verify(context.Background(), raw)
		if err != nil {
			if !fault.IsPermanent(err) || !strings.Contains(strings.Join(known, " "), fault.ReasonOf(err)) {
				t.Fatalf("Verify(%q) = %v (%s), want a permanent token_* fault", raw, err, fault.ReasonOf(err))
			}
			return
		}
		if p.ID == "" || p.Issuer != ti.url || p.Type == "" {
			t.Fatalf("Verify(%q) = %+v without an id, issuer or type", raw, p)
		}
	})
}
