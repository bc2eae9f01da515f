package iamserver

import (
	"context"
	"errors"
	"strings"

	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// saPrefix is the only project form the real API accepts: the wildcard.
const saPrefix = "projects/-/serviceAccounts/"

// GenerateAccessToken implements google.iam.credentials.v1.IAMCredentials.
func (s *Server) GenerateAccessToken(ctx context.Context, req *credentialspb.GenerateAccessTokenRequest) (*credentialspb.GenerateAccessTokenResponse, error) {
	s.calls.Add(1)
	sa, err := s.account(req.GetName())
	if err != nil {
		return nil, err
	}
	for _, d := range req.GetDelegates() {
		if _, err := s.account(d); err != nil {
			return nil, err
		}
	}
	if len(req.GetScope()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "Scope required.")
	}
	for _, sc := range req.GetScope() {
		if strings.TrimSpace(sc) == "" {
			return nil, status.Error(codes.InvalidArgument, "Scope must not be empty.")
		}
	}
	lifetime := DefaultLifetime
	if l := req.GetLifetime(); l != nil {
		if err := l.CheckValid(); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "Invalid lifetime: %v", err)
		}
		lifetime = l.AsDuration()
	}
	if lifetime <= 0 || lifetime > MaxLifetime {
		return nil, status.Errorf(codes.InvalidArgument,
			"The lifetime of the requested token must be positive and at most %d seconds.", int(MaxLifetime.Seconds()))
	}
	token, expires, err := s.Mint(sa, req.GetScope(), lifetime)
	if errors.Is(err, ErrUnknownServiceAccount) {
		return nil, status.Errorf(codes.NotFound, "Service account %s does not exist.", sa)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, "Internal error minting the token.")
	}
	return &credentialspb.GenerateAccessTokenResponse{
		AccessToken: token,
		ExpireTime:  timestamppb.New(expires),
	}, nil
}

// account parses "projects/-/serviceAccounts/{email}" and checks that the
// account exists.
func (s *Server) account(name string) (string, error) {
	sa, ok := strings.CutPrefix(name, saPrefix)
	if !ok || !validEmail(sa) {
		return "", status.Errorf(codes.InvalidArgument,
			"Invalid form of account ID %q. Should be [projects/-/serviceAccounts/][ACCOUNT_EMAIL].", name)
	}
	if s.known != nil && !s.known[sa] {
		return "", status.Errorf(codes.NotFound, "Service account %s does not exist.", sa)
	}
	return sa, nil
}

// validEmail is a structural check: one '@', a non-empty local part and a
// domain with a dot, no spaces or slashes.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") &&
		!strings.ContainsAny(s, " /\t\n") && !strings.Contains(domain, "@") && len(s) <= 254
}
