package approval_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// TestAttacks: each attack the issue lists, against one request that
// needs two data owners. None of them counts: afterwards grace's honest
// approval is the only one, and one more runs the job once.
func TestAttacks(t *testing.T) {
	past := pastIssuer(t)
	e := start(t, short, func(c *service.Config) {
		c.Pipeline.Identity.Issuers = append(c.Pipeline.Identity.Issuers, identity.Issuer{URL: past.URL(), Audience: devstack.Audience})
	})
	req := e.request(t, e.token(t, "alice@example.com"), "curated")
	ar := e.pending(t, req)
	id, digest := req.ID(), ar.RequestDigest
	grace := e.token(t, "grace@example.com")
	honest := e.verdict(t, grace, id, digest, false)
	if rec := counted(t, "grace", e.send(t, honest)); counts(rec.Counts) != "role:curated 1/2 [grace@example.com]" {
		t.Fatalf("grace's approval: %s", counts(rec.Counts))
	}

	t.Run("self-approval", func(t *testing.T) {
		refused(t, "alice approves her own request", e.answer(t, e.token(t, "alice@example.com"), id, digest, false), approval.ReasonSelf)
		refused(t, "alice rejects her own request", e.answer(t, e.token(t, "alice@example.com"), id, digest, true), approval.ReasonSelf)
	})
	t.Run("the same approver twice counts once", func(t *testing.T) {
		refused(t, "grace again", e.answer(t, grace, id, digest, false), approval.ReasonDuplicate)
		refused(t, "grace with another token", e.answer(t, e.mint(t, devissuer.TokenRequest{Email: "grace@example.com", Alg: "ES256"}), id, digest, false), approval.ReasonDuplicate)
		refused(t, "grace changing her mind", e.answer(t, grace, id, digest, true), approval.ReasonDuplicate)
	})
	t.Run("replayed approval event", func(t *testing.T) {
		e.PublishEvent(honest) // the same event: the worker drops it
		time.Sleep(200 * time.Millisecond)
		n := 0
		for _, x := range e.audit.of(id) {
			if x.Extensions()[events.ExtCausationID] == honest.ID() {
				n++
			}
		}
		if n != 1 {
			t.Errorf("records caused by grace's approval after its replay = %d, want 1", n)
		}
	})
	t.Run("approval for another request id", func(t *testing.T) {
		refused(t, "unknown id", e.answer(t, e.token(t, "heidi@example.com"), "no-such-request", digest, false), approval.ReasonUnknownRequest)
	})
	t.Run("approval for another request body", func(t *testing.T) {
		// Erin's request reuses alice's id from another source: the
		// digest says which of the two an approval is for.
		twin, err := events.NewJobRequested("//evil/source", events.JobRequest{
			IDToken: e.token(t, "erin@example.com"), Role: "curated",
			Target: events.Target{Project: "iis-dev", Region: "europe-west1"},
			Job:    events.JobSpec{Type: "pyspark", MainPythonURI: "gs://iis-dev-code/exfiltrate.py"},
		}, events.WithID(id))
		if err != nil {
			t.Fatal(err)
		}
		e.PublishEvent(twin)
		twinDigest := request.Digest(mustRequest(t, twin))
		e.audit.await(t, "the twin waits", func(x event.Event) bool {
			a, err := events.DecodeApprovalRequest(x)
			return err == nil && a.RequestDigest == twinDigest
		})
		refused(t, "a digest of neither", e.answer(t, e.token(t, "heidi@example.com"), id, "sha256:"+strings.Repeat("0", 64), false), approval.ReasonDigestMismatch)
		// Heidi approves the twin: it counts for the twin, not for alice's.
		rec := counted(t, "heidi for the twin", e.answer(t, e.token(t, "heidi@example.com"), id, twinDigest, false))
		if counts(rec.Counts) != "role:curated 1/2 [heidi@example.com]" {
			t.Errorf("the twin's count = %s", counts(rec.Counts))
		}
	})
	t.Run("approver outside the approving groups", func(t *testing.T) {
		refused(t, "ivan (data-eng)", e.answer(t, e.token(t, "ivan@example.com"), id, digest, false), approval.ReasonNotEligible)
		// A groups claim from an issuer not trusted for groups adds nothing.
		refused(t, "ivan claiming data-owners", e.answer(t, e.stack.Token("ivan@example.com", "data-owners"), id, digest, false), approval.ReasonNotEligible)
		refused(t, "mallory, not in the directory", e.answer(t, e.token(t, "mallory@example.com"), id, digest, false), decision.ReasonPrincipalUnknown)
	})
	t.Run("a principal of the requester's chain", func(t *testing.T) {
		bot := e.mint(t, devissuer.TokenRequest{Email: "bot@example.com", PrincipalType: "workload"})
		refused(t, "alice's bot", e.answer(t, bot, id, digest, false), approval.ReasonChain)
		human := e.token(t, "bot@example.com") // the directory says it is a workload all the same
		refused(t, "alice's bot with a human token", e.answer(t, human, id, digest, false), approval.ReasonChain)
	})
	t.Run("forged approver tokens", func(t *testing.T) {
		for _, f := range forgeries(t, e, past) {
			t.Run(f.name, func(t *testing.T) {
				refused(t, f.name, e.answer(t, f.token, id, digest, false), f.reason)
			})
		}
	})

	// Nothing above counted: grace is still the only approver.
	rec := counted(t, "heidi", e.answer(t, e.token(t, "heidi@example.com"), id, digest, false))
	if !rec.Complete || counts(rec.Counts) != "role:curated 2/2 [grace@example.com heidi@example.com]" {
		t.Errorf("after the attacks: %s complete %v", counts(rec.Counts), rec.Complete)
	}
	e.ended(t, id)
	refused(t, "an approval after the request ran", e.answer(t, e.token(t, "olga@example.com"), id, digest, false), approval.ReasonNotPending)
	if n := e.stack.Dataproc.Counts().CreateBatch; n != 1 {
		t.Errorf("CreateBatch calls = %d, want 1 (alice's request only)", n)
	}
}

type forgery struct {
	name, token, reason string
}

// forgeries returns an approver token of each class the verifier refuses
// for requests (broker/identity's TestVerifyRejects), built against the
// stack's issuer; past is a trusted issuer whose clock is an hour behind.
func forgeries(t *testing.T, e *env, past *devissuer.Issuer) []forgery {
	valid := e.token(t, "heidi@example.com")
	other := e.token(t, "olga@example.com")
	parts, oparts := strings.Split(valid, "."), strings.Split(other, ".")
	var claims map[string]any
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := e.stack.Issuer.KeySet().Keys[0].KeyID
	tampered := map[string]any{}
	for k, v := range claims {
		tampered[k] = v
	}
	tampered["email"] = "grace@example.com"
	stranger, err := devissuer.New(devissuer.Config{URL: "https://login.evil.example.com", DevMode: true, Audience: devstack.Audience})
	if err != nil {
		t.Fatal(err)
	}
	strangerToken, _ := stranger.Mint(devissuer.TokenRequest{Email: "heidi@example.com"})
	expired, _ := past.Mint(devissuer.TokenRequest{Email: "heidi@example.com", TTL: time.Minute})
	return []forgery{
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", identity.ReasonAlgNotAllowed},
		{"HS256 with a guessed secret", hs256(t, parts[1]), identity.ReasonAlgNotAllowed},
		{"unknown key id, attacker's key", sign(t, attacker, "attacker-1", claims), identity.ReasonUnknownKey},
		{"the issuer's key id, attacker's key", sign(t, attacker, kid, claims), identity.ReasonBadSignature},
		{"tampered payload", parts[0] + "." + b64(mustJSON(t, tampered)) + "." + parts[2], identity.ReasonBadSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + oparts[2], identity.ReasonBadSignature},
		{"issuer not trusted", strangerToken, identity.ReasonIssuerUntrusted},
		{"another audience", e.mint(t, devissuer.TokenRequest{Email: "heidi@example.com", Audience: "another-app"}), identity.ReasonAudienceMismatch},
		{"expired", expired, identity.ReasonExpired},
		{"not yet valid", e.mint(t, devissuer.TokenRequest{Email: "heidi@example.com", NotBefore: time.Now().Add(10 * time.Minute)}), identity.ReasonNotYetValid},
		{"e-mail not verified", e.mint(t, devissuer.TokenRequest{Subject: "heidi-sub", Extra: map[string]any{"email": "heidi@example.com", "email_verified": false}}), identity.ReasonEmailUnverified},
		{"not a JWS", "aaaaaaaaaa.bbbbbbbbbb.cccccccccc", identity.ReasonMalformed},
	}
}

// pastIssuer serves a dev issuer whose clock runs an hour behind: its
// tokens verify but have expired.
func pastIssuer(t *testing.T) *devissuer.Issuer {
	t.Helper()
	var is *devissuer.Issuer
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	is, err := devissuer.New(devissuer.Config{URL: srv.URL, DevMode: true, Audience: devstack.Audience,
		Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = is.Handler()
	return is
}

func sign(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func hs256(t *testing.T, payload string) string {
	in := b64(`{"alg":"HS256","typ":"JWT"}`) + "." + payload
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
