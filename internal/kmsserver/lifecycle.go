package kmsserver

import (
	"context"
	"slices"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"time"
)

// UpdateCryptoKeyVersion implements google.cloud.kms.v1.KeyManagementService
// for the one mutable field, state: ENABLED <-> DISABLED.
func (s *Server) UpdateCryptoKeyVersion(_ context.Context, req *kmspb.UpdateCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	if paths := req.GetUpdateMask().GetPaths(); !slices.Equal(paths, []string{"state"}) {
		return nil, status.Errorf(codes.InvalidArgument, "update_mask must be [\"state\"], got %v.", paths)
	}
	want := req.GetCryptoKeyVersion().GetState()
	if want != kmspb.CryptoKeyVersion_ENABLED && want != kmspb.CryptoKeyVersion_DISABLED {
		return nil, status.Errorf(codes.InvalidArgument, "crypto_key_version.state may be set to ENABLED or DISABLED, not %v.", want)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, v, err := s.versionLocked(req.GetCryptoKeyVersion().GetName())
	if err != nil {
		return nil, err
	}
	if v.state != kmspb.CryptoKeyVersion_ENABLED && v.state != kmspb.CryptoKeyVersion_DISABLED {
		return nil, status.Errorf(codes.FailedPrecondition, "%s is in state %v; only ENABLED and DISABLED versions change state this way.",
			req.GetCryptoKeyVersion().GetName(), v.state)
	}
	v.state = want
	if err := s.saveLocked(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return v.proto(k.name), nil
}

// UpdateCryptoKeyPrimaryVersion implements google.cloud.kms.v1.KeyManagementService
// as the real API does for the keys this stand-in serves: only ENCRYPT_DECRYPT
// keys have a primary version, so an ASYMMETRIC_SIGN key is refused. A signer
// rotates by creating a version and signing with it (broker/signing picks the
// newest ENABLED version), and retires the old one by disabling or destroying it.
func (s *Server) UpdateCryptoKeyPrimaryVersion(_ context.Context, req *kmspb.UpdateCryptoKeyPrimaryVersionRequest) (*kmspb.CryptoKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.keyLocked(req.GetName())
	if err != nil {
		return nil, err
	}
	return nil, status.Errorf(codes.FailedPrecondition,
		"CryptoKey %s has purpose ASYMMETRIC_SIGN; only ENCRYPT_DECRYPT keys have a primary version.", k.name)
}

// DestroyCryptoKeyVersion implements google.cloud.kms.v1.KeyManagementService:
// the version is DESTROY_SCHEDULED for the key's destroy_scheduled_duration,
// then its key material is gone.
func (s *Server) DestroyCryptoKeyVersion(_ context.Context, req *kmspb.DestroyCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, v, err := s.versionLocked(req.GetName())
	if err != nil {
		return nil, err
	}
	if v.state != kmspb.CryptoKeyVersion_ENABLED && v.state != kmspb.CryptoKeyVersion_DISABLED {
		return nil, status.Errorf(codes.FailedPrecondition, "%s is in state %v and cannot be destroyed.", req.GetName(), v.state)
	}
	v.state, v.destroyAt = kmspb.CryptoKeyVersion_DESTROY_SCHEDULED, s.clock.Now().Add(k.destroyAfter)
	if err := s.saveLocked(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return v.proto(k.name), nil
}

// RestoreCryptoKeyVersion implements google.cloud.kms.v1.KeyManagementService:
// a DESTROY_SCHEDULED version becomes DISABLED again.
func (s *Server) RestoreCryptoKeyVersion(_ context.Context, req *kmspb.RestoreCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, v, err := s.versionLocked(req.GetName())
	if err != nil {
		return nil, err
	}
	if v.state != kmspb.CryptoKeyVersion_DESTROY_SCHEDULED {
		return nil, status.Errorf(codes.FailedPrecondition, "%s is in state %v; only DESTROY_SCHEDULED versions can be restored.", req.GetName(), v.state)
	}
	v.state, v.destroyAt = kmspb.CryptoKeyVersion_DISABLED, time.Time{}
	if err := s.saveLocked(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return v.proto(k.name), nil
}
