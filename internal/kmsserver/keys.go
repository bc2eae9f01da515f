package kmsserver

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CreateKeyRing implements google.cloud.kms.v1.KeyManagementService.
func (s *Server) CreateKeyRing(_ context.Context, req *kmspb.CreateKeyRingRequest) (*kmspb.KeyRing, error) {
	if _, err := parseLocation(req.GetParent()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	name := req.GetParent() + "/keyRings/" + req.GetKeyRingId()
	if _, err := parseRingName(name); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rings[name] != nil {
		return nil, status.Errorf(codes.AlreadyExists, "KeyRing %s already exists.", name)
	}
	r := &keyRing{name: name, created: s.clock.Now()}
	s.rings[name] = r
	if err := s.saveLocked(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return r.proto(), nil
}

// GetKeyRing implements google.cloud.kms.v1.KeyManagementService.
func (s *Server) GetKeyRing(_ context.Context, req *kmspb.GetKeyRingRequest) (*kmspb.KeyRing, error) {
	if _, err := parseRingName(req.GetName()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rings[req.GetName()]
	if r == nil {
		return nil, status.Errorf(codes.NotFound, "KeyRing %s not found.", req.GetName())
	}
	return r.proto(), nil
}

// CreateCryptoKey implements google.cloud.kms.v1.KeyManagementService for
// ASYMMETRIC_SIGN keys.
func (s *Server) CreateCryptoKey(_ context.Context, req *kmspb.CreateCryptoKeyRequest) (*kmspb.CryptoKey, error) {
	if _, err := parseRingName(req.GetParent()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	name := req.GetParent() + "/cryptoKeys/" + req.GetCryptoKeyId()
	if _, err := parseKeyName(name); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	in := req.GetCryptoKey()
	if in.GetPurpose() != kmspb.CryptoKey_ASYMMETRIC_SIGN {
		return nil, status.Errorf(codes.Unimplemented, "this stand-in serves only ASYMMETRIC_SIGN keys, not %v", in.GetPurpose())
	}
	alg := in.GetVersionTemplate().GetAlgorithm()
	if alg == kmspb.CryptoKeyVersion_CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED {
		return nil, status.Error(codes.InvalidArgument, "crypto_key.version_template.algorithm must be specified for ASYMMETRIC_SIGN keys.")
	}
	if !supported(alg) {
		return nil, status.Errorf(codes.InvalidArgument, "Algorithm %v is not valid for purpose ASYMMETRIC_SIGN in this stand-in.", alg)
	}
	if pl := in.GetVersionTemplate().GetProtectionLevel(); pl != kmspb.ProtectionLevel_PROTECTION_LEVEL_UNSPECIFIED && pl != kmspb.ProtectionLevel_SOFTWARE {
		return nil, status.Errorf(codes.InvalidArgument, "this stand-in serves only SOFTWARE keys, not %v", pl)
	}
	destroyAfter := defaultDestroyAfter
	if d := in.GetDestroyScheduledDuration(); d != nil {
		if destroyAfter = d.AsDuration(); destroyAfter < minDestroyAfter {
			return nil, status.Error(codes.InvalidArgument, "destroy_scheduled_duration must be at least 24 hours.")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rings[req.GetParent()] == nil {
		return nil, status.Errorf(codes.NotFound, "KeyRing %s not found.", req.GetParent())
	}
	if s.keys[name] != nil {
		return nil, status.Errorf(codes.AlreadyExists, "CryptoKey %s already exists.", name)
	}
	now := s.clock.Now()
	k := &cryptoKey{name: name, alg: alg, created: now, destroyAfter: destroyAfter, labels: in.GetLabels()}
	if !req.GetSkipInitialVersionCreation() {
		if _, err := k.addVersion(now); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	s.keys[name] = k
	if err := s.saveLocked(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return k.proto(), nil
}

// GetCryptoKey implements google.cloud.kms.v1.KeyManagementService.
func (s *Server) GetCryptoKey(_ context.Context, req *kmspb.GetCryptoKeyRequest) (*kmspb.CryptoKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.keyLocked(req.GetName())
	if err != nil {
		return nil, err
	}
	return k.proto(), nil
}

// keyLocked finds a crypto key by name. The caller holds s.mu.
func (s *Server) keyLocked(name string) (*cryptoKey, error) {
	if _, err := parseKeyName(name); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	k := s.keys[name]
	if k == nil {
		return nil, status.Errorf(codes.NotFound, "CryptoKey %s not found.", name)
	}
	return k, nil
}

// versionLocked finds a crypto key version by name. The caller holds s.mu.
func (s *Server) versionLocked(name string) (*cryptoKey, *version, error) {
	vn, err := parseVersionName(name)
	if err != nil {
		return nil, nil, status.Error(codes.InvalidArgument, err.Error())
	}
	k, err := s.keyLocked(vn.keyName.String())
	if err != nil {
		return nil, nil, err
	}
	v := k.version(vn.version, s.clock.Now())
	if v == nil {
		return nil, nil, status.Errorf(codes.NotFound, "CryptoKeyVersion %s not found.", name)
	}
	return k, v, nil
}

// CreateCryptoKeyVersion implements google.cloud.kms.v1.KeyManagementService:
// a new ENABLED version with a fresh key (rotation).
func (s *Server) CreateCryptoKeyVersion(_ context.Context, req *kmspb.CreateCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.keyLocked(req.GetParent())
	if err != nil {
		return nil, err
	}
	if st := req.GetCryptoKeyVersion().GetState(); st != kmspb.CryptoKeyVersion_CRYPTO_KEY_VERSION_STATE_UNSPECIFIED {
		return nil, status.Errorf(codes.InvalidArgument, "crypto_key_version.state must not be set, got %v.", st)
	}
	v, err := k.addVersion(s.clock.Now())
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := s.saveLocked(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return v.proto(k.name), nil
}

// GetCryptoKeyVersion implements google.cloud.kms.v1.KeyManagementService.
func (s *Server) GetCryptoKeyVersion(_ context.Context, req *kmspb.GetCryptoKeyVersionRequest) (*kmspb.CryptoKeyVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, v, err := s.versionLocked(req.GetName())
	if err != nil {
		return nil, err
	}
	return v.proto(k.name), nil
}

// ListCryptoKeyVersions implements google.cloud.kms.v1.KeyManagementService,
// in version order, with the filters `state=S` and `state!=S` (S quoted or
// not) and page tokens.
func (s *Server) ListCryptoKeyVersions(_ context.Context, req *kmspb.ListCryptoKeyVersionsRequest) (*kmspb.ListCryptoKeyVersionsResponse, error) {
	match, err := stateFilter(req.GetFilter())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if ob := req.GetOrderBy(); ob != "" && ob != "name" {
		return nil, status.Errorf(codes.InvalidArgument, "order_by %q is not served by this stand-in (only \"name\").", ob)
	}
	start := 0
	if tok := req.GetPageToken(); tok != "" {
		if start, err = strconv.Atoi(tok); err != nil || start < 0 {
			return nil, status.Errorf(codes.InvalidArgument, "Invalid page token %q.", tok)
		}
	}
	size := int(req.GetPageSize())
	if size <= 0 || size > 1000 {
		size = 1000
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.keyLocked(req.GetParent())
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var all []*kmspb.CryptoKeyVersion
	for n := range k.versions {
		if v := k.version(n+1, now); match(v.state) {
			all = append(all, v.proto(k.name))
		}
	}
	resp := &kmspb.ListCryptoKeyVersionsResponse{TotalSize: int32(len(all))}
	if start < len(all) {
		end := min(start+size, len(all))
		resp.CryptoKeyVersions = slices.Clone(all[start:end])
		if end < len(all) {
			resp.NextPageToken = strconv.Itoa(end)
		}
	}
	return resp, nil
}

// stateFilter parses the one filter form the stand-in serves.
func stateFilter(f string) (func(kmspb.CryptoKeyVersion_CryptoKeyVersionState) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(kmspb.CryptoKeyVersion_CryptoKeyVersionState) bool { return true }, nil
	}
	neg := false
	rest, ok := strings.CutPrefix(f, "state")
	if !ok {
		return nil, errFilter(f)
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.HasPrefix(rest, "!="):
		neg, rest = true, rest[2:]
	case strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, ":"):
		rest = rest[1:]
	default:
		return nil, errFilter(f)
	}
	want, ok := kmspb.CryptoKeyVersion_CryptoKeyVersionState_value[strings.Trim(strings.TrimSpace(rest), `"`)]
	if !ok {
		return nil, errFilter(f)
	}
	return func(st kmspb.CryptoKeyVersion_CryptoKeyVersionState) bool {
		return (int32(st) == want) != neg
	}, nil
}

func errFilter(f string) error {
	return fmt.Errorf("invalid filter %q: this stand-in serves state=STATE and state!=STATE", f)
}
