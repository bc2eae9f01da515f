package session

import (
	"context"
	"crypto"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
)

var t0 = time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)

// served returns Sessions at an httptest URL and a worker's verifier that
// trusts it as it would any issuer (discovery, JWKS).
func served(t testing.TB, signer Signer, previous []crypto.PublicKey, now *time.Time) (*Sessions, *identity.Verifier) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := New(Config{Issuer: srv.URL + "/session", Audience: "iis", Signer: signer, Previous: previous,
		Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	v, err := identity.New(context.Background(), identity.Config{Issuers: []identity.Issuer{s.Identity()}, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func newSigner(t testing.TB) KeySigner {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return KeySigner{Key: k}
}

var alice = Claims{UserID: "2819c223", Email: "Alice@Example.com", Name: "alice@example.com", IdP: "dev-saml"}

func TestWorkersTrustSessions(t *testing.T) {
	now := t0
	s, v := served(t, newSigner(t), nil, &now)
	c := alice
	c.AuthTime = t0
	tok, err := s.Issue(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresAt != t0.Add(DefaultLifetime) || tok.Fingerprint != identity.Fingerprint(tok.Raw) || tok.KeyID != s.KeyID() {
		t.Errorf("Issue() = exp %s fp %s kid %s", tok.ExpiresAt, tok.Fingerprint, tok.KeyID)
	}
	p, err := v.Verify(context.Background(), tok.Raw)
	if err != nil {
		t.Fatalf("worker Verify(session) = %v", err)
	}
	// Today's directory lookup finds users by e-mail: sub is the directory
	// id, email the verified primary address.
	if p.ID != "alice@example.com" || p.Email != "alice@example.com" || p.Subject != "2819c223" || p.Type != identity.TypeHuman || p.Issuer != s.Issuer() {
		t.Errorf("worker Verify(session) = %+v", p)
	}
	got, _, err := s.Verify(context.Background(), tok.Raw)
	if err != nil || got.UserID != c.UserID || got.IdP != "dev-saml" || !got.AuthTime.Equal(t0) || got.SessionID == "" {
		t.Errorf("Verify() = %+v, %v", got, err)
	}
	now = tok.ExpiresAt.Add(time.Minute)
	if _, err := v.Verify(context.Background(), tok.Raw); fault.ReasonOf(err) != identity.ReasonExpired {
		t.Errorf("worker Verify(expired session) = %v, want %s", err, identity.ReasonExpired)
	}
	if _, _, err := s.Verify(context.Background(), tok.Raw); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify(expired) = %v, want ErrInvalid", err)
	}
}

// TestRotationOverlap: after a rotation the JWKS publishes the new key
// version first and the previous one beside it, so that sessions signed
// before the rotation keep verifying until they expire; once the previous
// version is dropped they are refused.
func TestRotationOverlap(t *testing.T) {
	now := t0
	oldKey, newKey := newSigner(t), newSigner(t)
	before, _ := served(t, oldKey, nil, &now)
	// The same issuer URL, rotated: workers refetch its JWKS.
	rotated, v := served(t, newKey, []crypto.PublicKey{oldKey.Public()}, &now)
	old2 := reissue(t, oldKey, rotated.Issuer(), &now)
	fresh, err := rotated.Issue(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if ks := rotated.KeySet().Keys; len(ks) != 2 || ks[0].KeyID != rotated.KeyID() || ks[1].KeyID != before.KeyID() {
		t.Fatalf("rotated JWKS = %v, want the new key then the old", ks)
	}
	for name, raw := range map[string]string{"new": fresh.Raw, "old": old2} {
		if _, err := v.Verify(context.Background(), raw); err != nil {
			t.Errorf("worker Verify(%s key) = %v", name, err)
		}
		if _, _, err := rotated.Verify(context.Background(), raw); err != nil {
			t.Errorf("Verify(%s key) = %v", name, err)
		}
	}
	dropped, v2 := served(t, newKey, nil, &now)
	old3 := reissue(t, oldKey, dropped.Issuer(), &now)
	if _, err := v2.Verify(context.Background(), old3); fault.ReasonOf(err) != identity.ReasonUnknownKey {
		t.Errorf("worker Verify(dropped key) = %v, want %s", err, identity.ReasonUnknownKey)
	}
	if _, _, err := dropped.Verify(context.Background(), old3); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify(dropped key) = %v, want ErrInvalid", err)
	}
}

// reissue signs a session for issuer with key (as the login service did
// before a rotation).
func reissue(t *testing.T, key Signer, issuer string, now *time.Time) string {
	t.Helper()
	s, err := New(Config{Issuer: issuer, Audience: "iis", Signer: key, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Issue(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Raw
}

func TestLifetimeCaps(t *testing.T) {
	now := t0
	signer := newSigner(t)
	for _, bad := range []time.Duration{-time.Second, MaxLifetime + time.Second} {
		if _, err := New(Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: signer, Lifetime: bad}); err == nil {
			t.Errorf("New(Lifetime %s) = nil error", bad)
		}
	}
	s, err := New(Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: signer, Lifetime: 8 * time.Hour,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	c := alice
	c.AuthTime = t0.Add(-6 * time.Hour) // refreshed 6h into the session: 6h left of 12
	tok, err := s.Issue(context.Background(), c)
	if err != nil || !tok.ExpiresAt.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("Issue(6h into the session) = exp %s, %v; want %s", tok.ExpiresAt, err, t0.Add(6*time.Hour))
	}
	c.AuthTime = t0.Add(-MaxLifetime)
	if _, err := s.Issue(context.Background(), c); !errors.Is(err, ErrTooOld) {
		t.Errorf("Issue(12h after auth) = %v, want ErrTooOld", err)
	}
}

// TestVerifyRefuses: forged and foreign tokens never pass for sessions.
func TestVerifyRefuses(t *testing.T) {
	now := t0
	s, v := served(t, newSigner(t), nil, &now)
	other, _ := served(t, newSigner(t), nil, &now)
	good, err := s.Issue(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.Issue(context.Background(), alice)
	forgedKey := reissue(t, newSigner(t), s.Issuer(), &now)
	parts := strings.Split(good.Raw, ".")
	tampered := parts[0] + "." + b64.EncodeToString([]byte(`{"iss":"`+s.Issuer()+`","sub":"someone-else","aud":"iis","exp":9999999999,"idp":"x","auth_time":1}`)) + "." + parts[2]
	for name, raw := range map[string]string{"another issuer": foreign.Raw, "unknown key": forgedKey, "tampered": tampered, "garbage": "x.y.z"} {
		if _, _, err := s.Verify(context.Background(), raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(%s) = %v, want ErrInvalid", name, err)
		}
		if _, err := v.Verify(context.Background(), raw); !fault.IsPermanent(err) {
			t.Errorf("worker Verify(%s) = %v, want a permanent refusal", name, err)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	k := newSigner(t)
	if err := WriteKeyFile(dir+"/k.pem", k.Key); err != nil {
		t.Fatal(err)
	}
	got, err := LoadKeyFile(dir + "/k.pem")
	if err != nil || !got.Key.Equal(k.Key) {
		t.Fatalf("LoadKeyFile() = %v", err)
	}
	if _, err := LoadKeyFile(dir + "/missing.pem"); err == nil {
		t.Error("LoadKeyFile(missing) = nil error")
	}
}
