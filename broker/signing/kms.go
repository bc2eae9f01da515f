package signing

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/dataproc-iis/iis/broker/fault"
)

// KMSAPI is the part of Google's KMS client the signer calls;
// *kms.KeyManagementClient satisfies it.
type KMSAPI interface {
	AsymmetricSign(ctx context.Context, req *kmspb.AsymmetricSignRequest, opts ...gax.CallOption) (*kmspb.AsymmetricSignResponse, error)
	GetPublicKey(ctx context.Context, req *kmspb.GetPublicKeyRequest, opts ...gax.CallOption) (*kmspb.PublicKey, error)
	ListCryptoKeyVersions(ctx context.Context, req *kmspb.ListCryptoKeyVersionsRequest, opts ...gax.CallOption) *kms.CryptoKeyVersionIterator
}

var _ KMSAPI = (*kms.KeyManagementClient)(nil)

var (
	keyPattern     = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`)
	versionPattern = regexp.MustCompile(`^(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+)/cryptoKeyVersions/[1-9][0-9]*$`)
)

// KMSConfig configures a KMS signer.
type KMSConfig struct {
	// Key is a CryptoKey ("projects/P/locations/L/keyRings/R/cryptoKeys/K"),
	// whose newest ENABLED version signs (rotation needs no restart), or one
	// CryptoKeyVersion (".../cryptoKeyVersions/N"), pinned.
	Key string
	// Refresh is how long the list of ENABLED versions is trusted before it
	// is read again (default 1m). A failed signature with a version that was
	// disabled meanwhile reads it again at once.
	Refresh time.Duration
}

// Validate reports a configuration that must not be used.
func (c KMSConfig) Validate() error {
	if !keyPattern.MatchString(c.Key) && !versionPattern.MatchString(c.Key) {
		return fmt.Errorf("signing: KMS key %q is neither a CryptoKey nor a CryptoKeyVersion resource name", c.Key)
	}
	if c.Refresh < 0 {
		return errors.New("signing: KMS refresh must not be negative")
	}
	return nil
}

// KMS signs with a Cloud KMS asymmetric signing key.
type KMS struct {
	api     KMSAPI
	key     string // the CryptoKey
	pinned  string // a CryptoKeyVersion, or ""
	refresh time.Duration

	mu      sync.Mutex
	keys    map[string]PublicKey // by version name; a version's public key never changes
	enabled []string             // ENABLED version names, oldest first
	listed  time.Time
}

var (
	_ Signer   = (*KMS)(nil)
	_ Verifier = (*KMS)(nil)
)

// NewKMS returns a signer for cfg.Key. It reads the key's versions once, so
// that a wrong name or a missing permission fails at start.
func NewKMS(ctx context.Context, api KMSAPI, cfg KMSConfig) (*KMS, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &KMS{api: api, key: cfg.Key, refresh: cfg.Refresh, keys: map[string]PublicKey{}}
	if s.refresh == 0 {
		s.refresh = time.Minute
	}
	if m := versionPattern.FindStringSubmatch(cfg.Key); m != nil {
		s.key, s.pinned = m[1], cfg.Key
	}
	if _, err := s.Current(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Sign implements Signer.
func (s *KMS) Sign(ctx context.Context, data []byte) (Signature, error) {
	return s.sign(ctx, data, false)
}

// SignDigest implements Signer.
func (s *KMS) SignDigest(ctx context.Context, digest []byte) (Signature, error) {
	if len(digest) != sha256.Size {
		return Signature{}, fmt.Errorf("signing: a SHA-256 digest is %d bytes, not %d", sha256.Size, len(digest))
	}
	return s.sign(ctx, digest, true)
}

func (s *KMS) sign(ctx context.Context, b []byte, isDigest bool) (Signature, error) {
	sig, err := s.signOnce(ctx, b, isDigest)
	if status.Code(err) == codes.FailedPrecondition && s.pinned == "" {
		// The version was disabled or destroyed since it was listed: move on.
		s.mu.Lock()
		s.listed = time.Time{}
		s.mu.Unlock()
		sig, err = s.signOnce(ctx, b, isDigest)
	}
	return sig, err
}

func (s *KMS) signOnce(ctx context.Context, b []byte, isDigest bool) (Signature, error) {
	cur, err := s.Current(ctx)
	if err != nil {
		return Signature{}, err
	}
	req := &kmspb.AsymmetricSignRequest{Name: cur.KeyID}
	switch {
	case cur.Algorithm == Ed25519 && isDigest:
		return Signature{}, ErrDigestUnsupported
	case cur.Algorithm == Ed25519:
		req.Data, req.DataCrc32C = b, checksum(b)
	default:
		digest := b
		if !isDigest {
			d := sha256.Sum256(b)
			digest = d[:]
		}
		req.Digest = &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: digest}}
		req.DigestCrc32C = checksum(digest)
	}
	resp, err := s.api.AsymmetricSign(ctx, req)
	if err != nil {
		return Signature{}, classify(fmt.Errorf("kms.AsymmetricSign: %w", err))
	}
	// The integrity checks Google documents: the request arrived intact, the
	// right version signed, the signature arrived intact.
	verified := resp.GetVerifiedDigestCrc32C()
	if cur.Algorithm == Ed25519 {
		verified = resp.GetVerifiedDataCrc32C()
	}
	switch {
	case !verified:
		return Signature{}, fault.AsTransient("signing_integrity", errors.New("kms.AsymmetricSign: the request's checksum was not verified"))
	case resp.GetName() != cur.KeyID:
		return Signature{}, fault.Permanentf("signing_integrity", "kms.AsymmetricSign: signed with %s, asked %s", resp.GetName(), cur.KeyID)
	case resp.GetSignatureCrc32C().GetValue() != checksum(resp.GetSignature()).GetValue():
		return Signature{}, fault.AsTransient("signing_integrity", errors.New("kms.AsymmetricSign: the signature's checksum does not match"))
	}
	return Signature{KeyID: cur.KeyID, Algorithm: cur.Algorithm, Value: resp.GetSignature()}, nil
}

// Current implements Signer: the pinned version, or the newest ENABLED one.
func (s *KMS) Current(ctx context.Context) (PublicKey, error) {
	if s.pinned != "" {
		return s.PublicKey(ctx, s.pinned)
	}
	names, err := s.enabledVersions(ctx)
	if err != nil {
		return PublicKey{}, err
	}
	if len(names) == 0 {
		return PublicKey{}, fault.Permanentf("signing_key_unusable", "signing: KMS key %s has no ENABLED version", s.key)
	}
	return s.PublicKey(ctx, names[len(names)-1])
}

// PublicKeys implements Signer: every ENABLED version (or the pinned one).
func (s *KMS) PublicKeys(ctx context.Context) ([]PublicKey, error) {
	if s.pinned != "" {
		k, err := s.PublicKey(ctx, s.pinned)
		if err != nil {
			return nil, err
		}
		return []PublicKey{k}, nil
	}
	names, err := s.enabledVersions(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]PublicKey, 0, len(names))
	for _, n := range names {
		k, err := s.PublicKey(ctx, n)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// PublicKey implements Verifier: a version of this signer's key, fetched
// once and checked against its CRC32C and name.
func (s *KMS) PublicKey(ctx context.Context, keyID string) (PublicKey, error) {
	m := versionPattern.FindStringSubmatch(keyID)
	if m == nil || m[1] != s.key {
		return PublicKey{}, fmt.Errorf("%w: %q is not a version of %s", ErrUnknownKey, keyID, s.key)
	}
	s.mu.Lock()
	k, ok := s.keys[keyID]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	pk, err := s.api.GetPublicKey(ctx, &kmspb.GetPublicKeyRequest{Name: keyID})
	if err != nil {
		return PublicKey{}, classify(fmt.Errorf("kms.GetPublicKey: %w", err))
	}
	if pk.GetName() != keyID {
		return PublicKey{}, fault.Permanentf("signing_integrity", "kms.GetPublicKey: got the key of %s, asked %s", pk.GetName(), keyID)
	}
	if pk.GetPemCrc32C().GetValue() != checksum([]byte(pk.GetPem())).GetValue() {
		return PublicKey{}, fault.AsTransient("signing_integrity", fmt.Errorf("kms.GetPublicKey: %s: the PEM's checksum does not match", keyID))
	}
	alg := Algorithm(pk.GetAlgorithm().String())
	if alg != ECP256SHA256 && alg != Ed25519 {
		return PublicKey{}, fault.Permanentf("signing_key_unusable", "signing: %s is a %v key; EC_SIGN_P256_SHA256 and EC_SIGN_ED25519 are supported", keyID, pk.GetAlgorithm())
	}
	k, err = ParsePublicKeyPEM(keyID, alg, []byte(pk.GetPem()))
	if err != nil {
		return PublicKey{}, fault.AsPermanent("signing_key_unusable", err)
	}
	s.mu.Lock()
	s.keys[keyID] = k
	s.mu.Unlock()
	return k, nil
}

// enabledVersions lists the key's ENABLED versions, oldest first, at most
// once per refresh period.
func (s *KMS) enabledVersions(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	if !s.listed.IsZero() && time.Since(s.listed) < s.refresh {
		names := slices.Clone(s.enabled)
		s.mu.Unlock()
		return names, nil
	}
	s.mu.Unlock()
	it := s.api.ListCryptoKeyVersions(ctx, &kmspb.ListCryptoKeyVersionsRequest{Parent: s.key, Filter: "state=ENABLED"})
	var names []string
	for {
		v, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, classify(fmt.Errorf("kms.ListCryptoKeyVersions: %w", err))
		}
		if v.GetState() == kmspb.CryptoKeyVersion_ENABLED {
			names = append(names, v.GetName())
		}
	}
	slices.SortFunc(names, compareVersions)
	s.mu.Lock()
	s.enabled, s.listed = names, time.Now()
	s.mu.Unlock()
	return slices.Clone(names), nil
}

// compareVersions orders version names by their number.
func compareVersions(a, b string) int {
	na, nb := a[strings.LastIndexByte(a, '/')+1:], b[strings.LastIndexByte(b, '/')+1:]
	if len(na) != len(nb) {
		return len(na) - len(nb)
	}
	return strings.Compare(na, nb)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(crc32.Checksum(b, castagnoli)))
}

// classify marks the KMS errors that retrying cannot cure as permanent.
func classify(err error) error {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.PermissionDenied, codes.FailedPrecondition, codes.Unauthenticated:
		return fault.AsPermanent("signing_key_unusable", err)
	}
	return fault.AsTransient("signing_unavailable", err)
}
