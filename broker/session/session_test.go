package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/signing"
)

var t0 = time.Date(2030, 1, 2, 9, 0, 0, 0, time.UTC)

// served returns Sessions at an httptest URL and a worker's verifier that
// trusts it as it would any issuer (discovery, JWKS).
func served(t testing.TB, signer signing.Signer, now *time.Time) (*Sessions, *identity.Verifier) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := New(context.Background(), Config{Issuer: srv.URL + "/session", Audience: "iis", Signer: signer,
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

// keyFile writes a new P-256 key file and returns its path.
func keyFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := signing.GenerateKeyFile(path, signing.ECP256SHA256); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileSigner(t testing.TB, path string, retired ...string) *signing.File {
	t.Helper()
	f, err := signing.NewFile(signing.FileConfig{Path: path, Retired: retired})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newSigner(t testing.TB) *signing.File { return fileSigner(t, keyFile(t)) }

var alice = Claims{UserID: "2819c223", Email: "Alice@Example.com", Name: "alice@example.com", IdP: "dev-saml"}

func TestWorkersTrustSessions(t *testing.T) {
	now := t0
	s, v := served(t, newSigner(t), &now)
	c := alice
	c.AuthTime = t0
	tok, err := s.Issue(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := s.KeyID(context.Background())
	if tok.ExpiresAt != t0.Add(DefaultLifetime) || tok.Fingerprint != identity.Fingerprint(tok.Raw) || tok.KeyID != kid {
		t.Errorf("Issue() = exp %s fp %s kid %s", tok.ExpiresAt, tok.Fingerprint, tok.KeyID)
	}
	p, err := v.Verify(context.Background(), tok.Raw)
	if err != nil {
		t.Fatalf("worker Verify(session) = %v", err)
	}
	// sub is the directory id, linked by user_id; email the verified
	// primary address.
	if p.ID != "alice@example.com" || p.Email != "alice@example.com" || p.Subject != "2819c223" || p.Type != identity.TypeHuman ||
		p.Issuer != s.Issuer() || len(p.Link.By) != 1 || p.Link.By[0] != identity.LinkUserID {
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
// version first and the retired one beside it, so that sessions signed
// before the rotation keep verifying until they expire; once the retired
// version is dropped they are refused.
func TestRotationOverlap(t *testing.T) {
	now := t0
	oldPath, newPath := keyFile(t), keyFile(t)
	oldKey := fileSigner(t, oldPath)
	rotated, v := served(t, fileSigner(t, newPath, oldPath), &now)
	old := reissue(t, oldKey, rotated.Issuer(), &now)
	fresh, err := rotated.Issue(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := rotated.KeySet(context.Background())
	oldKid, _ := oldKey.Current(context.Background())
	if len(set.Keys) != 2 || set.Keys[0].KeyID != fresh.KeyID || set.Keys[1].KeyID != oldKid.KeyID {
		t.Fatalf("rotated JWKS = %v, want the new key then the old", set.Keys)
	}
	for name, raw := range map[string]string{"new": fresh.Raw, "old": old} {
		if _, err := v.Verify(context.Background(), raw); err != nil {
			t.Errorf("worker Verify(%s key) = %v", name, err)
		}
		if _, _, err := rotated.Verify(context.Background(), raw); err != nil {
			t.Errorf("Verify(%s key) = %v", name, err)
		}
	}
	dropped, v2 := served(t, fileSigner(t, newPath), &now)
	old2 := reissue(t, oldKey, dropped.Issuer(), &now)
	if _, err := v2.Verify(context.Background(), old2); !fault.IsPermanent(err) && fault.ReasonOf(err) != identity.ReasonUnknownKey {
		t.Errorf("worker Verify(dropped key) = %v, want %s", err, identity.ReasonUnknownKey)
	}
	if _, _, err := dropped.Verify(context.Background(), old2); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify(dropped key) = %v, want ErrInvalid", err)
	}
}

// reissue signs a session for issuer with key (as the login service did
// before a rotation).
func reissue(t *testing.T, key signing.Signer, issuer string, now *time.Time) string {
	t.Helper()
	s, err := New(context.Background(), Config{Issuer: issuer, Audience: "iis", Signer: key, Now: func() time.Time { return *now }})
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
		if _, err := New(context.Background(), Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: signer, Lifetime: bad}); err == nil {
			t.Errorf("New(Lifetime %s) = nil error", bad)
		}
	}
	s, err := New(context.Background(), Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: signer, Lifetime: 8 * time.Hour,
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

// TestRefusesEdDSAKey: session tokens are ES256.
func TestRefusesEdDSAKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ed.pem")
	if err := signing.GenerateKeyFile(path, signing.Ed25519); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), Config{Issuer: "https://iis.example.com/session", Audience: "iis", Signer: fileSigner(t, path)}); err == nil {
		t.Error("New(Ed25519 key) = nil error")
	}
}

// TestVerifyRefuses: forged and foreign tokens never pass for sessions.
func TestVerifyRefuses(t *testing.T) {
	now := t0
	s, v := served(t, newSigner(t), &now)
	other, _ := served(t, newSigner(t), &now)
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
		if _, err := v.Verify(context.Background(), raw); err == nil {
			t.Errorf("worker Verify(%s) = nil error, want a refusal", name)
		}
	}
}
