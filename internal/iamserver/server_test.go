package iamserver

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	iamcredentials "cloud.google.com/go/iam/credentials/apiv1"
	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	sa1   = "etl@proj.iam.gserviceaccount.com"
	sa2   = "other@proj.iam.gserviceaccount.com"
	scope = "https://www.googleapis.com/auth/cloud-platform"
)

type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func start(t *testing.T, cfg Config) (*Server, *iamcredentials.IamCredentialsClient) {
	t.Helper()
	ctx := context.Background()
	srv, err := Start(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := iamcredentials.NewIamCredentialsClient(ctx,
		option.WithEndpoint(srv.Addr()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatalf("NewIamCredentialsClient() = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func TestGenerateAccessToken(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	_, c := start(t, Config{ServiceAccounts: []string{sa1, sa2}, Clock: clock})
	tests := []struct {
		name     string
		req      *credentialspb.GenerateAccessTokenRequest
		code     codes.Code
		lifetime time.Duration
	}{
		{"explicit lifetime", req(sa1, 10*time.Minute), codes.OK, 10 * time.Minute},
		{"default lifetime is one hour", &credentialspb.GenerateAccessTokenRequest{
			Name: saPrefix + sa1, Scope: []string{scope}}, codes.OK, time.Hour},
		{"one hour is the maximum", req(sa1, time.Hour), codes.OK, time.Hour},
		{"over one hour", req(sa1, time.Hour+time.Second), codes.InvalidArgument, 0},
		{"negative lifetime", req(sa1, -time.Minute), codes.InvalidArgument, 0},
		{"unknown service account", req("ghost@proj.iam.gserviceaccount.com", time.Minute), codes.NotFound, 0},
		{"not an e-mail", req("etl", time.Minute), codes.InvalidArgument, 0},
		{"project not wildcard", &credentialspb.GenerateAccessTokenRequest{
			Name: "projects/p/serviceAccounts/" + sa1, Scope: []string{scope}}, codes.InvalidArgument, 0},
		{"no scope", &credentialspb.GenerateAccessTokenRequest{Name: saPrefix + sa1}, codes.InvalidArgument, 0},
		{"unknown delegate", &credentialspb.GenerateAccessTokenRequest{
			Name: saPrefix + sa1, Scope: []string{scope}, Delegates: []string{saPrefix + "ghost@p.iam.gserviceaccount.com"}},
			codes.NotFound, 0},
		{"known delegate", &credentialspb.GenerateAccessTokenRequest{
			Name: saPrefix + sa1, Scope: []string{scope}, Delegates: []string{saPrefix + sa2}}, codes.OK, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.GenerateAccessToken(context.Background(), tt.req)
			if got := status.Code(err); got != tt.code {
				t.Fatalf("GenerateAccessToken(%v) code = %v, want %v (err %v)", tt.req, got, tt.code, err)
			}
			if err != nil {
				return
			}
			if got := resp.GetExpireTime().AsTime().Sub(clock.Now()); got != tt.lifetime {
				t.Errorf("GenerateAccessToken(%v) lifetime = %v, want %v", tt.req, got, tt.lifetime)
			}
			if !strings.HasPrefix(resp.GetAccessToken(), tokenPrefix) || len(resp.GetAccessToken()) < 40 {
				t.Errorf("GenerateAccessToken(%v) token has an unexpected shape", tt.req)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv, c := start(t, Config{Clock: clock})
	resp, err := c.GenerateAccessToken(context.Background(), req(sa1, 5*time.Minute))
	if err != nil {
		t.Fatalf("GenerateAccessToken() = %v", err)
	}
	token := resp.GetAccessToken()

	sa, scopes, expires, ok := srv.Check(token)
	if !ok || sa != sa1 || !expires.Equal(clock.Now().Add(5*time.Minute)) {
		t.Errorf("Check(minted) = %q, %v, %v, %v; want %q, expiry in 5m, true", sa, scopes, expires, ok, sa1)
	}
	if diff := cmp.Diff([]string{scope}, scopes); diff != "" {
		t.Errorf("Check(minted) scopes (-want +got):\n%s", diff)
	}
	if _, _, _, ok := srv.Check(token + "x"); ok {
		t.Error("Check(altered token) = ok, want rejected")
	}
	if _, _, _, ok := srv.Check(""); ok {
		t.Error("Check(\"\") = ok, want rejected")
	}
	other, err := c.GenerateAccessToken(context.Background(), req(sa1, 5*time.Minute))
	if err != nil {
		t.Fatalf("GenerateAccessToken() = %v", err)
	}
	if other.GetAccessToken() == token {
		t.Error("two mints returned the same token")
	}
	clock.Advance(5 * time.Minute)
	if _, _, _, ok := srv.Check(token); ok {
		t.Error("Check(expired token) = ok, want rejected")
	}
	if got := srv.Counts(); got != (Counts{Calls: 2, Minted: 2}) {
		t.Errorf("Counts() = %+v, want 2 calls, 2 minted", got)
	}
}

func TestSweepDropsExpiredHashes(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv, _ := start(t, Config{Clock: clock})
	for range 3 {
		if _, _, err := srv.Mint(sa1, []string{scope}, time.Minute); err != nil {
			t.Fatalf("Mint() = %v", err)
		}
	}
	clock.Advance(2 * time.Minute)
	if _, _, err := srv.Mint(sa1, []string{scope}, time.Minute); err != nil {
		t.Fatalf("Mint() = %v", err)
	}
	if got := srv.tokens.live(); got != 1 {
		t.Errorf("live grants after sweep = %d, want 1", got)
	}
}

func TestInterceptorsInjectFaults(t *testing.T) {
	var mu sync.Mutex
	failures := 0
	unavailableOnce := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if failures < 1 {
			failures++
			return nil, status.Error(codes.Unavailable, "injected")
		}
		return h(ctx, req)
	}
	srv, c := start(t, Config{Interceptors: []grpc.UnaryServerInterceptor{unavailableOnce}})
	noRetry := gax.WithRetry(func() gax.Retryer { return nil })
	if _, err := c.GenerateAccessToken(context.Background(), req(sa1, time.Minute), noRetry); status.Code(err) != codes.Unavailable {
		t.Fatalf("GenerateAccessToken() = %v, want the injected Unavailable", err)
	}
	if _, err := c.GenerateAccessToken(context.Background(), req(sa1, time.Minute), noRetry); err != nil {
		t.Fatalf("GenerateAccessToken() after the fault = %v", err)
	}
	if got := srv.Counts(); got != (Counts{Calls: 1, Minted: 1}) {
		t.Errorf("Counts() = %+v, want the handler reached once", got)
	}
}

func TestCloseOnContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, "127.0.0.1:0", Config{})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	cancel()
	srv.Close() // idempotent: must not panic after the context closed it
}

func req(sa string, lifetime time.Duration) *credentialspb.GenerateAccessTokenRequest {
	return &credentialspb.GenerateAccessTokenRequest{
		Name:     saPrefix + sa,
		Scope:    []string{scope},
		Lifetime: durationpb.New(lifetime),
	}
}
