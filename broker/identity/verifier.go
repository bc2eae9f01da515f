package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
)

// Principal types.
const (
	TypeHuman    = "human"
	TypeWorkload = "workload"
)

// Principal is a verified requester. It never holds the token.
type Principal struct {
	// ID is the verified e-mail (lower case) when the principal claim is
	// the e-mail claim and the token carries one; otherwise the principal
	// claim scoped to the issuer ("ISSUER#VALUE"), so that the same subject
	// at two issuers is two principals.
	ID      string   `json:"id"`
	Email   string   `json:"email,omitempty"`
	Type    string   `json:"type"` // TypeHuman or TypeWorkload
	Issuer  string   `json:"issuer"`
	Subject string   `json:"subject"`
	Groups  []string `json:"groups,omitempty"` // only from an issuer trusted for groups
	// UntrustedGroups are the token's groups that were dropped because the
	// issuer is not trusted for groups (for the decision snapshot).
	UntrustedGroups  []string       `json:"untrusted_groups,omitempty"`
	ExpiresAt        time.Time      `json:"expires_at"`
	TokenFingerprint string         `json:"token_fingerprint"`
	Claims           map[string]any `json:"claims"` // the claims used, for replay
	// Link is what the directory uses to find the principal's user.
	Link Link `json:"link"`
}

// clone returns a copy of p that shares nothing mutable with it.
func (p Principal) clone() Principal {
	p.Groups = slices.Clone(p.Groups)
	p.UntrustedGroups = slices.Clone(p.UntrustedGroups)
	p.Link.By = slices.Clone(p.Link.By)
	p.Claims = maps.Clone(p.Claims)
	return p
}

// Fingerprint identifies a token in logs and audit events without revealing
// it: "sha256:" and the first 12 bytes of the SHA-256 of the token (without
// surrounding white space), in hex. It equals Principal.TokenFingerprint.
func Fingerprint(raw string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(raw)))
	return fingerprint(sum)
}

func fingerprint(sum [32]byte) string { return "sha256:" + hex.EncodeToString(sum[:12]) }

// Verifier verifies ID tokens from the configured issuers. It is safe for
// concurrent use.
type Verifier struct {
	issuers map[string]*issuer
	cache   *tokenCache
	now     func() time.Time
	maxSize int
}

// New checks cfg and returns a Verifier. It does not contact the issuers:
// discovery and key sets are fetched on first use (or by Warm).
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	v := &Verifier{
		issuers: make(map[string]*issuer, len(cfg.Issuers)),
		cache:   newTokenCache(cfg.CacheSize, cfg.CacheTTL),
		now:     cfg.Now,
		maxSize: cfg.MaxTokenSize,
	}
	for _, is := range cfg.Issuers {
		v.issuers[is.URL] = newIssuer(is, cfg)
	}
	return v, nil
}

// Warm fetches the key set of every issuer (discovering it if needed), so
// that a worker can report at start which issuers are reachable. An issuer
// that is down is not fatal: its tokens fail transiently until it is back.
func (v *Verifier) Warm(ctx context.Context) error {
	var errs []error
	for _, url := range slices.Sorted(maps.Keys(v.issuers)) {
		is := v.issuers[url]
		if is.keys.Load() != nil {
			continue
		}
		if _, err := is.refresh(ctx); err != nil {
			errs = append(errs, unavailable(url, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("identity.Warm: %w", errors.Join(errs...))
	}
	return nil
}

// Verify verifies a raw ID token and maps it to a Principal. Every error is
// a fault error: permanent with one of the token_* reasons for a token that
// can never verify, transient (issuer_unavailable) when the issuer's keys
// cannot be fetched.
func (v *Verifier) Verify(ctx context.Context, raw string) (Principal, error) {
	p, err := v.verify(ctx, raw)
	if err != nil {
		telemetry.Current().VerificationFailed(ctx, fault.ReasonOf(err))
	}
	return p, err
}

func (v *Verifier) verify(ctx context.Context, raw string) (Principal, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Principal{}, fault.Permanentf(ReasonMalformed, "no token")
	}
	if len(raw) > v.maxSize {
		return Principal{}, fault.Permanentf(ReasonMalformed, "token of %d bytes is larger than %d", len(raw), v.maxSize)
	}
	sum := sha256.Sum256([]byte(raw))
	now := v.now()
	if e, ok := v.cache.get(sum, now); ok {
		if is := v.issuers[e.p.Issuer]; is != nil && is.hasKey(e.kid) {
			return e.p.clone(), nil
		}
		v.cache.drop(sum) // its key was rotated out: verify again
	}
	t, err := parseToken(raw)
	if err != nil {
		return Principal{}, err
	}
	is := v.issuers[t.iss]
	if is == nil {
		return Principal{}, fault.Permanentf(ReasonIssuerUntrusted, "issuer %q is not trusted", t.iss)
	}
	if !is.algs[t.alg] {
		return Principal{}, fault.Permanentf(ReasonAlgNotAllowed, "alg %q is not allowed for %s", t.alg, t.iss)
	}
	keys, err := is.keysFor(ctx, t)
	if err != nil {
		return Principal{}, err
	}
	kid, err := verifyWith(keys, t)
	if err != nil {
		return Principal{}, err
	}
	// The signature checks out: the claims can now be read.
	p, until, err := is.principal(t, now)
	if err != nil {
		return Principal{}, err
	}
	p.TokenFingerprint = fingerprint(sum)
	v.cache.put(sum, p, kid, until, now)
	return p.clone(), nil
}

// verifyWith checks the token's signature with the candidate keys and
// returns the key id that verified it.
func verifyWith(keys []*verifyKey, t *token) (string, error) {
	for _, k := range keys {
		if verifySignature(k, t.alg, t.signingInput, t.signature) == nil {
			return k.kid, nil
		}
	}
	return "", fault.Permanentf(ReasonBadSignature, "signature of %s does not verify", t)
}
