package identity

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/dataproc-iis/iis/broker/fault"
	jose "github.com/go-jose/go-jose/v4"
)

func TestParseKeySet(t *testing.T) {
	k := testKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	set := func(keys ...jose.JSONWebKey) []byte {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name          string
		body          []byte
		kids          []string
		skipped       int
		wantErr       bool
		privateIsUsed bool
	}{
		{name: "rsa and ec", body: set(jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "r"}, jose.JSONWebKey{Key: &k.ec.PublicKey, KeyID: "e", Use: "sig"}), kids: []string{"r", "e"}},
		{name: "encryption and symmetric keys skipped", body: set(
			jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "enc", Use: "enc"},
			jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac"},
			jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "r"}), kids: []string{"r"}, skipped: 2},
		{name: "small rsa skipped", body: set(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "s"}, jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "r"}), kids: []string{"r"}, skipped: 1},
		{name: "private key published by mistake", body: set(jose.JSONWebKey{Key: k.rsa, KeyID: "p"}), kids: []string{"p"}},
		{name: "unparsable key skipped", body: []byte(`{"keys":[{"kty":"RSA","kid":"x","n":"!!","e":"AQAB"},` + string(set(jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "r"}))[9:]), kids: []string{"r"}, skipped: 1},
		{name: "no usable key", body: set(jose.JSONWebKey{Key: []byte("0123456789abcdef"), KeyID: "hmac"}), wantErr: true},
		{name: "not json", body: []byte("<html>"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks, skipped, err := parseKeySet(tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseKeySet() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var kids []string
			for _, k := range ks.all {
				kids = append(kids, k.kid)
				if _, private := k.pub.(crypto.Decrypter); private {
					t.Errorf("key %q is a private key", k.kid)
				}
			}
			if !equalStrings(kids, tt.kids) || skipped != tt.skipped {
				t.Errorf("parseKeySet() = %q, %d skipped; want %q, %d", kids, skipped, tt.kids, tt.skipped)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJWKSURLSkipsDiscovery(t *testing.T) {
	ti := newTestIssuer(t)
	v, _ := newTestVerifier(t, ti, func(c *Config) { c.Issuers[0].JWKSURL = ti.url + "/jwks" })
	raw := sign(t, map[string]any{"alg": "RS256", "kid": "rsa-1"}, ti.claims(t0), testKeys().rsa)
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	if n := ti.discovery.Load(); n != 0 {
		t.Errorf("discovery requests = %d, want 0 with a JWKS URL configured", n)
	}
}

func TestKidlessTokenAgainstLargeKeySet(t *testing.T) {
	ti := newTestIssuer(t)
	k := testKeys()
	keys := map[string]crypto.Signer{}
	for _, kid := range []string{"a", "b", "c", "d", "e"} {
		keys[kid] = k.rsa
	}
	ti.publish(keys)
	v, _ := newTestVerifier(t, ti, nil)
	raw := sign(t, map[string]any{"alg": "RS256"}, ti.claims(t0), k.rsa)
	if _, err := v.Verify(context.Background(), raw); fault.ReasonOf(err) != ReasonUnknownKey {
		t.Errorf("Verify(no kid, 5 keys) = %v, want %s", err, ReasonUnknownKey)
	}
}
