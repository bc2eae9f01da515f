package kmsserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strconv"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// defaultDestroyAfter is the real API's default destroy_scheduled_duration.
const defaultDestroyAfter = 30 * 24 * time.Hour

// minDestroyAfter is the shortest destroy_scheduled_duration the real API accepts.
const minDestroyAfter = 24 * time.Hour

type keyRing struct {
	name    string
	created time.Time
}

type cryptoKey struct {
	name         string
	alg          kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
	created      time.Time
	destroyAfter time.Duration
	labels       map[string]string
	versions     []*version // versions[i] is version i+1
}

type version struct {
	n         int
	state     kmspb.CryptoKeyVersion_CryptoKeyVersionState
	alg       kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
	created   time.Time
	destroyAt time.Time // when DESTROY_SCHEDULED ends
	destroyed time.Time // when the key material was destroyed
	priv      crypto.Signer
	pem       string // public key, SubjectPublicKeyInfo PEM
}

func supported(alg kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) bool {
	return alg == kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256 || alg == kmspb.CryptoKeyVersion_EC_SIGN_ED25519
}

// generate makes a private key for alg.
func generate(alg kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) (crypto.Signer, error) {
	switch alg {
	case kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case kmspb.CryptoKeyVersion_EC_SIGN_ED25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("kmsserver: algorithm %v is not served", alg)
}

func publicPEM(priv crypto.Signer) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", fmt.Errorf("x509.MarshalPKIXPublicKey: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func (k *cryptoKey) addVersion(now time.Time) (*version, error) {
	priv, err := generate(k.alg)
	if err != nil {
		return nil, err
	}
	p, err := publicPEM(priv)
	if err != nil {
		return nil, err
	}
	v := &version{n: len(k.versions) + 1, state: kmspb.CryptoKeyVersion_ENABLED, alg: k.alg,
		created: now, priv: priv, pem: p}
	k.versions = append(k.versions, v)
	return v, nil
}

// version returns version n, first ending a scheduled destruction whose time
// has come (the real service destroys the material then).
func (k *cryptoKey) version(n int, now time.Time) *version {
	if n < 1 || n > len(k.versions) {
		return nil
	}
	v := k.versions[n-1]
	v.settle(now)
	return v
}

func (v *version) settle(now time.Time) {
	if v.state == kmspb.CryptoKeyVersion_DESTROY_SCHEDULED && !now.Before(v.destroyAt) {
		v.state, v.destroyed, v.priv, v.pem = kmspb.CryptoKeyVersion_DESTROYED, v.destroyAt, nil, ""
	}
}

func (r *keyRing) proto() *kmspb.KeyRing {
	return &kmspb.KeyRing{Name: r.name, CreateTime: timestamppb.New(r.created)}
}

func (k *cryptoKey) proto() *kmspb.CryptoKey {
	labels := make(map[string]string, len(k.labels))
	for l, v := range k.labels {
		labels[l] = v
	}
	// Primary stays unset: only ENCRYPT_DECRYPT keys have one.
	return &kmspb.CryptoKey{
		Name:       k.name,
		Purpose:    kmspb.CryptoKey_ASYMMETRIC_SIGN,
		CreateTime: timestamppb.New(k.created),
		VersionTemplate: &kmspb.CryptoKeyVersionTemplate{
			ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE, Algorithm: k.alg},
		Labels:                   labels,
		DestroyScheduledDuration: durationpb.New(k.destroyAfter),
	}
}

func (v *version) proto(key string) *kmspb.CryptoKeyVersion {
	p := &kmspb.CryptoKeyVersion{
		Name:            key + "/cryptoKeyVersions/" + strconv.Itoa(v.n),
		State:           v.state,
		ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE,
		Algorithm:       v.alg,
		CreateTime:      timestamppb.New(v.created),
		GenerateTime:    timestamppb.New(v.created),
	}
	if !v.destroyAt.IsZero() {
		p.DestroyTime = timestamppb.New(v.destroyAt)
	}
	if !v.destroyed.IsZero() {
		p.DestroyEventTime = timestamppb.New(v.destroyed)
	}
	return p
}
