package kmsserver

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"hash/crc32"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the checksum the KMS API uses for its integrity fields.
func crc32c(b []byte) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(crc32.Checksum(b, castagnoli)))
}

// checked reports whether a checksum was sent, and fails if it does not match b.
func checked(field string, sum *wrapperspb.Int64Value, b []byte) (bool, error) {
	if sum == nil {
		return false, nil
	}
	if sum.GetValue() != crc32c(b).GetValue() {
		return false, status.Errorf(codes.InvalidArgument,
			"The checksum in field %s_crc32c did not match the data in field %s.", field, field)
	}
	return true, nil
}

// usableLocked finds an ENABLED version, the only state that signs or
// gives its public key. The caller holds s.mu.
func (s *Server) usableLocked(name string) (*cryptoKey, *version, error) {
	k, v, err := s.versionLocked(name)
	if err != nil {
		return nil, nil, err
	}
	if v.state != kmspb.CryptoKeyVersion_ENABLED {
		return nil, nil, status.Errorf(codes.FailedPrecondition, "%s is not enabled, current state is: %v.", name, v.state)
	}
	return k, v, nil
}

// GetPublicKey implements google.cloud.kms.v1.KeyManagementService: the
// SubjectPublicKeyInfo in PEM with its CRC32C.
func (s *Server) GetPublicKey(_ context.Context, req *kmspb.GetPublicKeyRequest) (*kmspb.PublicKey, error) {
	format := req.GetPublicKeyFormat()
	if format != kmspb.PublicKey_PUBLIC_KEY_FORMAT_UNSPECIFIED && format != kmspb.PublicKey_PEM {
		return nil, status.Errorf(codes.InvalidArgument, "public_key_format %v is not served by this stand-in (PEM only).", format)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, v, err := s.usableLocked(req.GetName())
	if err != nil {
		return nil, err
	}
	s.pubs.Add(1)
	pk := &kmspb.PublicKey{
		Pem:             v.pem,
		Algorithm:       v.alg,
		PemCrc32C:       crc32c([]byte(v.pem)),
		Name:            req.GetName(),
		ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE,
	}
	if format == kmspb.PublicKey_PEM {
		pk.PublicKeyFormat = format
		pk.PublicKey = &kmspb.ChecksummedData{Data: []byte(v.pem), Crc32CChecksum: crc32c([]byte(v.pem))}
	}
	return pk, nil
}

// AsymmetricSign implements google.cloud.kms.v1.KeyManagementService as the
// real API does for the two algorithms: EC_SIGN_P256_SHA256 signs a SHA-256
// digest (an ASN.1 DER ECDSA signature), EC_SIGN_ED25519 signs the data itself
// (PureEdDSA, 64 bytes). A request checksum is verified and acknowledged.
func (s *Server) AsymmetricSign(_ context.Context, req *kmspb.AsymmetricSignRequest) (*kmspb.AsymmetricSignResponse, error) {
	s.mu.Lock()
	_, v, err := s.usableLocked(req.GetName())
	var priv crypto.Signer
	if v != nil {
		priv = v.priv
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if req.GetDigest() != nil && len(req.GetData()) > 0 {
		return nil, status.Error(codes.InvalidArgument, "Only one of digest or data may be set.")
	}
	resp := &kmspb.AsymmetricSignResponse{Name: req.GetName(), ProtectionLevel: kmspb.ProtectionLevel_SOFTWARE}
	switch v.alg {
	case kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256:
		digest := req.GetDigest().GetSha256()
		if req.GetDigest() == nil || len(digest) != 32 {
			return nil, status.Errorf(codes.InvalidArgument,
				"Algorithm %v requires a SHA-256 digest of 32 bytes in field digest.sha256.", v.alg)
		}
		if resp.VerifiedDigestCrc32C, err = checked("digest", req.GetDigestCrc32C(), digest); err != nil {
			return nil, err
		}
		if req.GetDataCrc32C() != nil {
			return nil, status.Error(codes.InvalidArgument, "data_crc32c was set, but data was not.")
		}
		if resp.Signature, err = ecdsa.SignASN1(rand.Reader, priv.(*ecdsa.PrivateKey), digest); err != nil {
			return nil, status.Error(codes.Internal, "signing failed")
		}
	case kmspb.CryptoKeyVersion_EC_SIGN_ED25519:
		if req.GetDigest() != nil {
			return nil, status.Errorf(codes.InvalidArgument, "Algorithm %v signs data, not a digest: set field data.", v.alg)
		}
		if len(req.GetData()) == 0 {
			return nil, status.Errorf(codes.InvalidArgument, "Algorithm %v requires field data.", v.alg)
		}
		if resp.VerifiedDataCrc32C, err = checked("data", req.GetDataCrc32C(), req.GetData()); err != nil {
			return nil, err
		}
		if req.GetDigestCrc32C() != nil {
			return nil, status.Error(codes.InvalidArgument, "digest_crc32c was set, but digest was not.")
		}
		resp.Signature = ed25519.Sign(priv.(ed25519.PrivateKey), req.GetData())
	default:
		return nil, status.Errorf(codes.Internal, "algorithm %v is not served", v.alg)
	}
	resp.SignatureCrc32C = crc32c(resp.Signature)
	s.signs.Add(1)
	return resp, nil
}
