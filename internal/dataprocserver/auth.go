package dataprocserver

import (
	"context"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// CloudPlatformScope is the OAuth scope Dataproc requires.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// Tokens verifies bearer tokens. *iamserver.Server implements it.
type Tokens interface {
	Check(token string) (sa string, scopes []string, expires time.Time, ok bool)
}

type callerKey struct{}

// authenticate is the innermost interceptor: it resolves the bearer token of
// every call to the service account it was minted for, or fails the call.
func (s *Server) authenticate(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get("authorization")
	if len(values) == 0 {
		return nil, status.Error(codes.Unauthenticated,
			"Request is missing required authentication credential. Expected OAuth 2 access token.")
	}
	if len(values) > 1 {
		return nil, status.Error(codes.Unauthenticated, "Request carries more than one authentication credential.")
	}
	scheme, token, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, status.Error(codes.Unauthenticated, "Expected an OAuth 2 bearer token.")
	}
	sa, scopes, expires, ok := s.tokens.Check(token)
	if !ok || !s.clock.Now().Before(expires) {
		return nil, status.Error(codes.Unauthenticated,
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
	}
	if !slices.Contains(scopes, CloudPlatformScope) {
		return nil, status.Error(codes.PermissionDenied, "Request had insufficient authentication scopes.")
	}
	return handler(context.WithValue(ctx, callerKey{}, sa), req)
}

// caller is the service account the call's token was minted for.
func caller(ctx context.Context) string {
	sa, _ := ctx.Value(callerKey{}).(string)
	return sa
}

// allowed reports whether the caller may act on a workload that runs as runsAs.
func (s *Server) allowed(ctx context.Context, runsAs string) bool {
	sa := caller(ctx)
	return sa != "" && (sa == runsAs || s.admins[sa])
}

// authorize fails with PermissionDenied unless the caller may act on a
// workload that runs as runsAs.
func (s *Server) authorize(ctx context.Context, permission, runsAs string) error {
	if s.allowed(ctx, runsAs) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied,
		"Permission '%s' denied: the caller %s may not act on a workload running as %s.", permission, caller(ctx), runsAs)
}
