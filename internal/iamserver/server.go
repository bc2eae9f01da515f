package iamserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"google.golang.org/grpc"
)

// MaxLifetime is the longest lifetime the real API grants without an
// organisation policy exception.
const MaxLifetime = time.Hour

// DefaultLifetime is the lifetime of a token whose request names none, as in the real API.
const DefaultLifetime = time.Hour

// Clock tells the server the time; tests pass a manual clock to expire tokens
// without sleeping.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures a Server. The zero value is usable.
type Config struct {
	// ServiceAccounts, when not empty, is the set of service accounts that
	// exist: a request for any other gets NotFound. Empty means every
	// well-formed service account exists.
	ServiceAccounts []string
	// Clock defaults to the system clock.
	Clock Clock
	// Interceptors run before the handler, outermost first; tests use them
	// to inject faults.
	Interceptors []grpc.UnaryServerInterceptor
}

// Counts are the server's call counters, for tests.
type Counts struct {
	Calls  int // GenerateAccessToken calls that reached the handler
	Minted int // tokens minted
}

// Server serves IAMCredentials on a TCP address.
type Server struct {
	credentialspb.UnimplementedIAMCredentialsServer

	clock  Clock
	known  map[string]bool
	tokens *table
	calls  atomic.Int64
	minted atomic.Int64

	grpc      *grpc.Server
	lis       net.Listener
	closeOnce sync.Once
	stop      func() bool
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until
// Close is called or ctx is done.
func Start(ctx context.Context, addr string, cfg Config) (*Server, error) {
	s := &Server{clock: cfg.Clock, tokens: newTable()}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if len(cfg.ServiceAccounts) > 0 {
		s.known = make(map[string]bool, len(cfg.ServiceAccounts))
		for _, sa := range cfg.ServiceAccounts {
			if !validEmail(sa) {
				return nil, fmt.Errorf("iamserver: service account %q is not an e-mail address", sa)
			}
			s.known[sa] = true
		}
	}
	lis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("iamserver: listen: %w", err)
	}
	s.lis = lis
	s.grpc = grpc.NewServer(grpc.ChainUnaryInterceptor(slices.Clone(cfg.Interceptors)...))
	credentialspb.RegisterIAMCredentialsServer(s.grpc, s)
	go func() {
		// Serve returns when the server stops; there is no one to report to.
		_ = s.grpc.Serve(lis)
	}()
	s.stop = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// Addr is the address the server listens on, for option.WithEndpoint.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Close stops the server and drops its connections. It is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.grpc.Stop()
	})
	return nil
}

// Counts returns the call counters.
func (s *Server) Counts() Counts {
	return Counts{Calls: int(s.calls.Load()), Minted: int(s.minted.Load())}
}

// Check reports whether token was minted by this server and is still valid,
// and if so for which service account, with which scopes, until when.
func (s *Server) Check(token string) (sa string, scopes []string, expires time.Time, ok bool) {
	g, ok := s.tokens.lookup(s.clock.Now(), token)
	if !ok {
		return "", nil, time.Time{}, false
	}
	return g.sa, g.scopes, g.expires, true
}

// ErrUnknownServiceAccount is returned by Mint for a service account outside
// the configured set.
var ErrUnknownServiceAccount = errors.New("iamserver: unknown service account")

// Mint mints a token directly, without a gRPC call: `iis dev` and tests use
// it to give the broker its own identity. lifetime must be in (0, MaxLifetime].
func (s *Server) Mint(sa string, scopes []string, lifetime time.Duration) (token string, expires time.Time, err error) {
	if !validEmail(sa) {
		return "", time.Time{}, fmt.Errorf("iamserver: service account %q is not an e-mail address", sa)
	}
	if s.known != nil && !s.known[sa] {
		return "", time.Time{}, fmt.Errorf("%w: %s", ErrUnknownServiceAccount, sa)
	}
	if lifetime <= 0 || lifetime > MaxLifetime {
		return "", time.Time{}, fmt.Errorf("iamserver: lifetime %v outside (0, %v]", lifetime, MaxLifetime)
	}
	if len(scopes) == 0 {
		return "", time.Time{}, errors.New("iamserver: no scope")
	}
	expires = s.clock.Now().Add(lifetime)
	token, err = s.tokens.mint(s.clock.Now(), grant{sa: sa, scopes: scopes, expires: expires})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("iamserver: mint: %w", err)
	}
	s.minted.Add(1)
	return token, expires, nil
}
