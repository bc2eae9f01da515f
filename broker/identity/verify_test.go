package identity

import (
	"context"
	"crypto"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newTestVerifier trusts ti (audience "iis", not trusted for groups) and
// any extra issuers, on a fake clock at t0.
func newTestVerifier(t testing.TB, ti *testIssuer, mod func(*Config)) (*Verifier, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	cfg := Config{
		Issuers: []Issuer{{URL: ti.url, Audience: "iis"}},
		Now:     clk.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return v, clk
}

func with(m map[string]any, kv ...any) map[string]any {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestVerifyRejects(t *testing.T) {
	ti := newTestIssuer(t)
	other := newTestIssuer(t) // a real issuer the verifier does not trust
	k := testKeys()
	v, _ := newTestVerifier(t, ti, func(c *Config) { c.Issuers[0].Algorithms = []string{"RS256", "PS256"} })
	good := ti.claims(t0)
	rs := map[string]any{"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}
	valid := sign(t, rs, good, k.rsa)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + jsonPart(t, with(good, "email", "root@example.com")) + "." + parts[2]
	flipped := []byte(parts[2])
	flipped[10] = 'A' // another base64url character, so that it still decodes
	if parts[2][10] == 'A' {
		flipped[10] = 'B'
	}
	tests := []struct {
		name   string
		raw    string
		reason string
	}{
		{"alg none", sign(t, map[string]any{"alg": "none"}, good, nil), ReasonAlgNotAllowed},
		{"alg NONE with a signature", sign(t, map[string]any{"alg": "NONE", "kid": "rsa-1"}, good, []byte("x")), ReasonAlgNotAllowed},
		{"HS256 keyed with the issuer's public key", sign(t, map[string]any{"alg": "HS256", "kid": "rsa-1"}, good, publicPEM(t, k.rsa)), ReasonAlgNotAllowed},
		{"HS512", sign(t, map[string]any{"alg": "HS512"}, good, []byte("secret")), ReasonAlgNotAllowed},
		{"alg not allowed for the issuer", sign(t, map[string]any{"alg": "ES256", "kid": "ec-1"}, good, k.ec), ReasonAlgNotAllowed},
		{"alg not matching the key type", sign(t, map[string]any{"alg": "PS256", "kid": "ec-1"}, good, k.attacker), ReasonAlgNotAllowed},
		{"unknown key id", sign(t, map[string]any{"alg": "RS256", "kid": "attacker-1"}, good, k.attacker), ReasonUnknownKey},
		{"issuer's key id, attacker's key", sign(t, rs, good, k.attacker), ReasonBadSignature},
		{"no key id, attacker's key", sign(t, map[string]any{"alg": "RS256"}, good, k.attacker), ReasonBadSignature},
		{"tampered payload", tampered, ReasonBadSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(flipped), ReasonBadSignature},
		{"signature of another token", parts[0] + "." + jsonPart(t, with(good, "sub", "u-2")) + "." + parts[2], ReasonBadSignature},
		{"issuer not trusted", sign(t, rs, with(good, "iss", "https://evil.example.com"), k.rsa), ReasonIssuerUntrusted},
		{"token of another real issuer", sign(t, rs, other.claims(t0), k.rsa), ReasonIssuerUntrusted},
		{"issuer with a trailing slash", sign(t, rs, with(good, "iss", ti.url+"/"), k.rsa), ReasonIssuerUntrusted},
		{"no iss", sign(t, rs, with(good, "iss", nil), k.rsa), ReasonMissingClaim},
		{"wrong audience", sign(t, rs, with(good, "aud", "another-app"), k.rsa), ReasonAudienceMismatch},
		{"audience list without ours", sign(t, rs, with(good, "aud", []string{"a", "b"}), k.rsa), ReasonAudienceMismatch},
		{"audience list with ours, no azp", sign(t, rs, with(good, "aud", []string{"other", "iis"}), k.rsa), ReasonAudienceMismatch},
		{"audience list with ours, issued to another client", sign(t, rs, with(good, "aud", []string{"other", "iis"}, "azp", "other"), k.rsa), ReasonAudienceMismatch},
		{"audience differs in case", sign(t, rs, with(good, "aud", "IIS"), k.rsa), ReasonAudienceMismatch},
		{"no audience", sign(t, rs, with(good, "aud", nil), k.rsa), ReasonMissingClaim},
		{"expired", sign(t, rs, with(good, "exp", t0.Add(-31*time.Second).Unix()), k.rsa), ReasonExpired},
		{"not yet valid", sign(t, rs, with(good, "nbf", t0.Add(time.Minute).Unix()), k.rsa), ReasonNotYetValid},
		{"issued in the future", sign(t, rs, with(good, "iat", t0.Add(time.Minute).Unix()), k.rsa), ReasonNotYetValid},
		{"no exp", sign(t, rs, with(good, "exp", nil), k.rsa), ReasonMissingClaim},
		{"no sub", sign(t, rs, with(good, "sub", nil), k.rsa), ReasonMissingClaim},
		{"e-mail not verified", sign(t, rs, with(good, "email_verified", false), k.rsa), ReasonEmailUnverified},
		{"e-mail not verified as a string", sign(t, rs, with(good, "email_verified", "false"), k.rsa), ReasonEmailUnverified},
		{"e-mail verification absent (nOAuth)", sign(t, rs, with(good, "email_verified", nil), k.rsa), ReasonEmailUnverified},
		{"unknown principal type", sign(t, rs, with(good, "principal_type", "robot"), k.rsa), ReasonInvalidClaim},
		{"exp not a number", sign(t, rs, with(good, "exp", "tomorrow"), k.rsa), ReasonInvalidClaim},
		{"email not a string", sign(t, rs, with(good, "email", 42), k.rsa), ReasonInvalidClaim},
		{"groups not strings", sign(t, rs, with(good, "groups", []any{1, 2}), k.rsa), ReasonInvalidClaim},
		{"empty", "", ReasonMalformed},
		{"one part", "abc", ReasonMalformed},
		{"two parts", "abc.def", ReasonMalformed},
		{"JWE-like five parts", "a.b.c.d.e", ReasonMalformed},
		{"bad base64 header", "!!!." + parts[1] + "." + parts[2], ReasonMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], ReasonMalformed},
		{"header not JSON", b64enc([]byte("RS256")) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"payload a JSON array", signInput(t, parts[0]+"."+b64enc([]byte(`["iss"]`)), "RS256", k.rsa), ReasonMalformed},
		{"duplicate claim", signInput(t, parts[0]+"."+b64enc([]byte(`{"iss":"`+ti.url+`","sub":"u","aud":"iis","exp":9999999999,"email":"a@example.com","email":"root@example.com"}`)), "RS256", k.rsa), ReasonMalformed},
		{"duplicate header member", signInput(t, b64enc([]byte(`{"alg":"RS256","kid":"rsa-1","alg":"RS256"}`))+"."+parts[1], "RS256", k.rsa), ReasonMalformed},
		{"critical header", sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1", "crit": []string{"exp"}, "exp": 1}, good, k.rsa), ReasonMalformed},
		{"unencoded payload", sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1", "b64": false}, good, k.rsa), ReasonMalformed},
		{"no signature", parts[0] + "." + parts[1] + ".", ReasonMalformed},
		{"oversized", parts[0] + "." + strings.Repeat("A", DefaultMaxTokenSize) + "." + parts[2], ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.raw)
			if err == nil {
				t.Fatalf("Verify(%s) = %+v, nil; want %s", tt.name, p, tt.reason)
			}
			if got := fault.ReasonOf(err); got != tt.reason {
				t.Errorf("Verify(%s) reason = %q (%v), want %q", tt.name, got, err, tt.reason)
			}
			if !fault.IsPermanent(err) {
				t.Errorf("Verify(%s) = %v: transient, want permanent", tt.name, err)
			}
			if tt.raw != "" && strings.Contains(err.Error(), tt.raw) {
				t.Errorf("Verify(%s) error contains the token", tt.name)
			}
		})
	}
	if _, err := v.Verify(context.Background(), valid); err != nil {
		t.Errorf("Verify(valid) = %v, want nil", err)
	}
}

func TestVerifyAccepts(t *testing.T) {
	ti := newTestIssuer(t)
	trusted := newTestIssuer(t)
	k := testKeys()
	v, _ := newTestVerifier(t, ti, func(c *Config) {
		c.Issuers[0].Algorithms = []string{"RS256", "ES256", "PS256"}
		c.Issuers = append(c.Issuers, Issuer{URL: trusted.url, Audience: "iis-broker", TrustedForGroups: true,
			Claims: Claims{Principal: "sub", Groups: "roles"}})
	})
	good := ti.claims(t0)
	rs := map[string]any{"alg": "RS256", "kid": "rsa-1"}
	base := Principal{ID: "alice@example.com", Email: "alice@example.com", Type: TypeHuman, Issuer: ti.url, Subject: "u-1001",
		UntrustedGroups: []string{"data-eng"}, ExpiresAt: t0.Add(time.Hour), Link: Link{By: DefaultLinks}}
	mod := func(f func(*Principal)) Principal { p := base; f(&p); return p }
	tests := []struct {
		name string
		raw  string
		want Principal
	}{
		{"RS256 human, groups of an untrusted issuer dropped", sign(t, rs, good, k.rsa), base},
		{"ES256", sign(t, map[string]any{"alg": "ES256", "kid": "ec-1"}, good, k.ec), base},
		{"PS256", sign(t, map[string]any{"alg": "PS256", "kid": "rsa-1"}, good, k.rsa), base},
		{"no kid: any key of the issuer", sign(t, map[string]any{"alg": "RS256"}, good, k.rsa), base},
		{"e-mail folded to lower case", sign(t, rs, with(good, "email", "Alice@Example.COM"), k.rsa), base},
		{"expired within the skew", sign(t, rs, with(good, "exp", t0.Add(-29*time.Second).Unix()), k.rsa),
			mod(func(p *Principal) { p.ExpiresAt = t0.Add(-29 * time.Second) })},
		{"nbf within the skew", sign(t, rs, with(good, "nbf", t0.Add(29*time.Second).Unix()), k.rsa), base},
		{"audience list with ours, issued to us", sign(t, rs, with(good, "aud", []string{"other", "iis"}, "azp", "iis"), k.rsa), base},
		{"workload by principal_type", sign(t, rs, with(good, "principal_type", "workload"), k.rsa), mod(func(p *Principal) { p.Type = TypeWorkload })},
		{"workload by service-account e-mail", sign(t, rs, with(good, "email", "etl@proj.iam.gserviceaccount.com"), k.rsa),
			mod(func(p *Principal) {
				p.Type, p.ID, p.Email = TypeWorkload, "etl@proj.iam.gserviceaccount.com", "etl@proj.iam.gserviceaccount.com"
			})},
		{"no groups", sign(t, rs, with(good, "groups", nil), k.rsa), mod(func(p *Principal) { p.UntrustedGroups = nil })},
		{"trusted issuer, sub as principal, custom groups claim", sign(t, rs, with(trusted.claims(t0), "aud", "iis-broker", "roles", "admins", "groups", nil), k.rsa),
			mod(func(p *Principal) {
				p.ID, p.Issuer, p.Groups, p.UntrustedGroups = trusted.url+"#u-1001", trusted.url, []string{"admins"}, nil
			})},
		{"no e-mail (a code-flow ID token): the principal is the subject, scoped to the issuer",
			sign(t, rs, with(good, "email", nil, "email_verified", nil), k.rsa),
			mod(func(p *Principal) { p.ID, p.Email = ti.url+"#u-1001", "" })},
		{"an e-mail claim in another case is not the e-mail",
			sign(t, rs, with(good, "email", nil, "EMAIL", "root@example.com"), k.rsa),
			mod(func(p *Principal) { p.ID, p.Email = ti.url+"#u-1001", "" })},
		{"sub as principal: an unverified e-mail is dropped, never trusted",
			sign(t, rs, with(trusted.claims(t0), "aud", "iis-broker", "email", "victim@corp.example", "email_verified", nil, "groups", nil), k.rsa),
			mod(func(p *Principal) {
				p.ID, p.Email, p.Issuer, p.UntrustedGroups = trusted.url+"#u-1001", "", trusted.url, nil
			})},
		{"an unverified service-account e-mail does not make a workload",
			sign(t, rs, with(trusted.claims(t0), "aud", "iis-broker", "email", "x@p.iam.gserviceaccount.com", "email_verified", false, "groups", nil), k.rsa),
			mod(func(p *Principal) {
				p.ID, p.Email, p.Issuer, p.UntrustedGroups = trusted.url+"#u-1001", "", trusted.url, nil
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.raw)
			if err != nil {
				t.Fatalf("Verify() = %v, want nil", err)
			}
			if !strings.HasPrefix(got.TokenFingerprint, "sha256:") || got.TokenFingerprint != Fingerprint(tt.raw) {
				t.Errorf("Verify().TokenFingerprint = %q, want Fingerprint(raw)", got.TokenFingerprint)
			}
			if got.Claims["iss"] != tt.want.Issuer || got.Claims["sub"] != tt.want.Subject {
				t.Errorf("Verify().Claims = %v, want iss and sub", got.Claims)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Principal{}, "TokenFingerprint", "Claims"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Verify() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyIssuerDown(t *testing.T) {
	ti := newTestIssuer(t)
	ti.down.Store(true)
	v, clk := newTestVerifier(t, ti, nil)
	raw := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1"}, ti.claims(t0), testKeys().rsa)
	for i := range 3 {
		_, err := v.Verify(context.Background(), raw)
		if fault.ReasonOf(err) != ReasonIssuerUnavailable || fault.IsPermanent(err) {
			t.Fatalf("Verify() #%d with the issuer down = %v, want transient %s", i, err, ReasonIssuerUnavailable)
		}
	}
	if n := ti.discovery.Load(); n != 1 {
		t.Errorf("discovery attempts while down within one refresh interval = %d, want 1", n)
	}
	if err := v.Warm(context.Background()); fault.ReasonOf(err) != ReasonIssuerUnavailable {
		t.Errorf("Warm() = %v, want %s", err, ReasonIssuerUnavailable)
	}
	ti.down.Store(false)
	clk.advance(DefaultRefreshInterval)
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Errorf("Verify() once the issuer is back = %v, want nil", err)
	}
}

func TestUnknownKeyRefreshIsRateLimited(t *testing.T) {
	ti := newTestIssuer(t)
	k := testKeys()
	v, clk := newTestVerifier(t, ti, nil)
	if err := v.Warm(context.Background()); err != nil {
		t.Fatalf("Warm() = %v", err)
	}
	clk.advance(DefaultRefreshInterval)
	for i := range 50 {
		raw := sign(t, map[string]any{"alg": "RS256", "kid": "spray-" + string(rune('a'+i%26)) + time.Duration(i).String()}, ti.claims(t0), k.attacker)
		_, err := v.Verify(context.Background(), raw)
		switch want := ReasonKeyRefreshLimited; {
		case i == 0 && fault.ReasonOf(err) != ReasonUnknownKey:
			t.Fatalf("Verify(first random kid) = %v, want %s after a refresh", err, ReasonUnknownKey)
		case i > 0 && (fault.ReasonOf(err) != want || fault.IsPermanent(err)):
			t.Fatalf("Verify(random kid) while rate limited = %v, want transient %s", err, want)
		}
	}
	if got := ti.jwksHits.Load(); got != 2 {
		t.Errorf("JWKS fetches after 50 unknown key ids = %d, want 2 (initial + one refresh)", got)
	}
	// Without an iat a token cannot say it was issued after the fetch: it
	// is refused, not retried (a forged spray is not redelivered).
	noIAT := sign(t, map[string]any{"alg": "RS256", "kid": "spray-no-iat"}, with(ti.claims(t0), "iat", nil), k.attacker)
	if _, err := v.Verify(context.Background(), noIAT); fault.ReasonOf(err) != ReasonUnknownKey || !fault.IsPermanent(err) {
		t.Errorf("Verify(random kid, no iat) while rate limited = %v, want permanent %s", err, ReasonUnknownKey)
	}

	// A key rotated in while the allowance is spent is not refused for
	// good: the token is retried, and verifies after the next refresh.
	ti.publish(map[string]crypto.Signer{"rsa-1": k.rsa, "rsa-2": k.rsa2})
	rotated := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-2"}, ti.claims(t0), k.rsa2)
	if _, err := v.Verify(context.Background(), rotated); fault.ReasonOf(err) != ReasonKeyRefreshLimited || fault.IsPermanent(err) {
		t.Errorf("Verify(new key) within the interval = %v, want transient %s", err, ReasonKeyRefreshLimited)
	}
	clk.advance(DefaultRefreshInterval)
	if _, err := v.Verify(context.Background(), rotated); err != nil {
		t.Errorf("Verify(new key) after the interval = %v, want nil", err)
	}
}

// TestImplausibleTokensSpendNoRefresh: tokens that would fail whatever the
// keys (unsigned garbage of the wrong size, expired, another audience) with
// unknown key ids do not fetch the key set, so a genuine token signed with a
// rotated-in key still gets the refresh.
func TestImplausibleTokensSpendNoRefresh(t *testing.T) {
	ti := newTestIssuer(t)
	k := testKeys()
	v, clk := newTestVerifier(t, ti, nil)
	if err := v.Warm(context.Background()); err != nil {
		t.Fatalf("Warm() = %v", err)
	}
	clk.advance(DefaultRefreshInterval)
	good := ti.claims(t0)
	parts := strings.Split(sign(t, map[string]any{"alg": "ES256", "kid": "x"}, good, k.attacker), ".")
	spray := []struct {
		name, raw, reason string
	}{
		{"short ES256 signature", parts[0] + "." + parts[1] + ".c2ln", ReasonBadSignature},
		{"another audience", sign(t, map[string]any{"alg": "RS256", "kid": "spray-2"}, with(good, "aud", "someone-else"), k.attacker), ReasonAudienceMismatch},
		{"expired", sign(t, map[string]any{"alg": "RS256", "kid": "spray-3"}, with(good, "exp", t0.Add(-time.Hour).Unix()), k.attacker), ReasonExpired},
	}
	for _, s := range spray {
		for range 20 {
			if _, err := v.Verify(context.Background(), s.raw); fault.ReasonOf(err) != s.reason {
				t.Fatalf("Verify(%s) = %v, want %s", s.name, err, s.reason)
			}
		}
	}
	if got := ti.jwksHits.Load(); got != 1 {
		t.Errorf("JWKS fetches after 60 implausible tokens = %d, want 1 (the initial one)", got)
	}
	ti.publish(map[string]crypto.Signer{"rsa-1": k.rsa, "rsa-2": k.rsa2})
	rotated := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-2"}, good, k.rsa2)
	if _, err := v.Verify(context.Background(), rotated); err != nil {
		t.Errorf("Verify(token of a rotated-in key) = %v, want nil", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	ti := newTestIssuer(t)
	k := testKeys()
	v, _ := newTestVerifier(t, ti, nil)
	raw := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1"}, ti.claims(t0), k.rsa)
	done := make(chan error)
	for range 8 {
		go func() {
			_, err := v.Verify(context.Background(), raw)
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Errorf("Verify() = %v", err)
		}
	}
	if got := ti.jwksHits.Load(); got != 1 {
		t.Errorf("JWKS fetches for 8 concurrent first verifications = %d, want 1", got)
	}
}
