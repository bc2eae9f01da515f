package kmsserver

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
	"google.golang.org/grpc"
)

// Clock tells the server the time; tests pass a manual clock to reach a
// scheduled destruction without sleeping.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Key is a signing key the server creates at start unless it exists: its key
// ring too, and one ENABLED version.
type Key struct {
	// Name is the CryptoKey's resource name,
	// "projects/P/locations/L/keyRings/R/cryptoKeys/K".
	Name string
	// Algorithm defaults to EC_SIGN_P256_SHA256.
	Algorithm kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
}

// Config configures a Server. The zero value is usable.
type Config struct {
	// Dir, when set, holds the server's state (keys included, file mode
	// 0600): a restart with the same Dir serves the same keys. Empty keeps
	// everything in memory.
	Dir string
	// Keys are created at start if missing.
	Keys []Key
	// Clock defaults to the system clock.
	Clock Clock
	// Interceptors run before the handler, outermost first; tests use them
	// to inject faults.
	Interceptors []grpc.UnaryServerInterceptor
}

// Counts are the server's call counters, for tests.
type Counts struct {
	Signs      int // AsymmetricSign calls that signed
	PublicKeys int // GetPublicKey calls that returned a key
}

// Server serves KeyManagementService on a TCP address.
type Server struct {
	kmspb.UnimplementedKeyManagementServiceServer

	clock Clock
	dir   string

	mu    sync.Mutex
	rings map[string]*keyRing   // by name
	keys  map[string]*cryptoKey // by name

	signs, pubs atomic.Int64

	grpc      *grpc.Server
	lis       net.Listener
	closeOnce sync.Once
	stop      func() bool
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until
// Close is called or ctx is done.
func Start(ctx context.Context, addr string, cfg Config) (*Server, error) {
	s := &Server{
		clock: cfg.Clock, dir: cfg.Dir,
		rings: map[string]*keyRing{}, keys: map[string]*cryptoKey{},
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	for _, k := range cfg.Keys {
		if err := s.ensure(k); err != nil {
			return nil, err
		}
	}
	lis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kmsserver: listen: %w", err)
	}
	s.lis = lis
	s.grpc = grpc.NewServer(grpc.ChainUnaryInterceptor(slices.Clone(cfg.Interceptors)...))
	kmspb.RegisterKeyManagementServiceServer(s.grpc, s)
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
	return Counts{Signs: int(s.signs.Load()), PublicKeys: int(s.pubs.Load())}
}

// ensure creates k (and its key ring) with one version unless it exists.
func (s *Server) ensure(k Key) error {
	kn, err := parseKeyName(k.Name)
	if err != nil {
		return fmt.Errorf("kmsserver: key %q: %w", k.Name, err)
	}
	alg := k.Algorithm
	if alg == kmspb.CryptoKeyVersion_CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED {
		alg = kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256
	}
	if !supported(alg) {
		return fmt.Errorf("kmsserver: key %q: algorithm %v is not served", k.Name, alg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if existing := s.keys[k.Name]; existing != nil {
		if existing.alg != alg {
			return fmt.Errorf("kmsserver: key %q exists with algorithm %v, not %v", k.Name, existing.alg, alg)
		}
		return nil
	}
	if s.rings[kn.ring()] == nil {
		s.rings[kn.ring()] = &keyRing{name: kn.ring(), created: now}
	}
	ck := &cryptoKey{name: k.Name, alg: alg, created: now, destroyAfter: defaultDestroyAfter}
	if _, err := ck.addVersion(now); err != nil {
		return err
	}
	s.keys[k.Name] = ck
	return s.saveLocked()
}
