package credentials

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/internal/iamserver"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	etlSA   = "etl@iis-test.iam.gserviceaccount.com"
	relaySA = "relay@iis-test.iam.gserviceaccount.com"
)

// faults answers the first len(codes) GenerateAccessToken calls with those
// codes (codes.OK lets a call through) and records every request.
type faults struct {
	mu    sync.Mutex
	codes []codes.Code
	reqs  []*credentialspb.GenerateAccessTokenRequest
}

func (f *faults) intercept(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req.(*credentialspb.GenerateAccessTokenRequest))
	var c codes.Code
	if len(f.codes) > 0 {
		c, f.codes = f.codes[0], f.codes[1:]
	}
	f.mu.Unlock()
	if c != codes.OK {
		return nil, status.Errorf(c, "injected %v", c)
	}
	return h(ctx, req)
}

func (f *faults) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// newMinter starts an IAM server that knows etlSA and relaySA and returns a
// Minter reaching it through the real client, with instant backoff.
func newMinter(t *testing.T, cfg Config, f *faults) (*Minter, *iamserver.Server, *[]time.Duration) {
	t.Helper()
	ctx := context.Background()
	srv, err := iamserver.Start(ctx, "127.0.0.1:0", iamserver.Config{
		ServiceAccounts: []string{etlSA, relaySA},
		Interceptors:    []grpc.UnaryServerInterceptor{f.intercept},
	})
	if err != nil {
		t.Fatalf("iamserver.Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := NewClient(ctx, ClientConfig{Endpoint: srv.Addr(), Insecure: true})
	if err != nil {
		t.Fatalf("NewClient() = %v", err)
	}
	t.Cleanup(func() { client.Close() })
	m, err := New(cfg, client)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	var waits []time.Duration
	m.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return m, srv, &waits
}

func TestMint(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		roleCap time.Duration
		want    time.Duration
	}{
		{"global default", Config{}, 0, 15 * time.Minute},
		{"role cap below global", Config{}, 5 * time.Minute, 5 * time.Minute},
		{"role cap above global", Config{}, 2 * time.Hour, 15 * time.Minute},
		{"global of one hour", Config{GlobalMaxLifetime: time.Hour}, 0, time.Hour},
		{"fractional seconds dropped", Config{}, 90*time.Second + 500*time.Millisecond, 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &faults{}
			m, srv, _ := newMinter(t, tt.cfg, f)
			before := time.Now()
			cred, err := m.Mint(context.Background(), etlSA, tt.roleCap)
			if err != nil {
				t.Fatalf("Mint(%s, %v) = %v", etlSA, tt.roleCap, err)
			}
			if got := f.reqs[0].GetLifetime().AsDuration(); got != tt.want {
				t.Errorf("Mint(%s, %v) asked for lifetime %v, want %v", etlSA, tt.roleCap, got, tt.want)
			}
			if d := cred.ExpireTime.Sub(before); d < tt.want || d > tt.want+time.Minute {
				t.Errorf("Mint(%s, %v) expires in %v, want about %v", etlSA, tt.roleCap, d, tt.want)
			}
			want := Credential{ServiceAccount: etlSA, Scopes: []string{CloudPlatformScope},
				ExpireTime: cred.ExpireTime, Fingerprint: Fingerprint(cred.AccessToken())}
			if diff := cmp.Diff(want.String(), cred.String()); diff != "" {
				t.Errorf("Mint() credential (-want +got):\n%s", diff)
			}
			sa, scopes, _, ok := srv.Check(cred.AccessToken())
			if !ok || sa != etlSA || !cmp.Equal(scopes, []string{CloudPlatformScope}) {
				t.Errorf("iamserver.Check(minted) = %q, %v, %v; want %s with cloud-platform", sa, scopes, ok, etlSA)
			}
		})
	}
}

func TestMintDelegatesAndScopes(t *testing.T) {
	f := &faults{}
	m, _, _ := newMinter(t, Config{Delegates: []string{relaySA}, Scopes: []string{"s1", "s2"}}, f)
	cred, err := m.Mint(context.Background(), etlSA, 0)
	if err != nil {
		t.Fatalf("Mint() = %v", err)
	}
	if diff := cmp.Diff([]string{"projects/-/serviceAccounts/" + relaySA}, f.reqs[0].GetDelegates()); diff != "" {
		t.Errorf("Mint() delegates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"s1", "s2"}, cred.Scopes); diff != "" {
		t.Errorf("Mint() scopes (-want +got):\n%s", diff)
	}
}

func TestMintFaults(t *testing.T) {
	tests := []struct {
		name      string
		sa        string
		inject    []codes.Code
		calls     int
		wantErr   bool
		permanent bool
		reason    string
	}{
		{"unavailable twice then success", etlSA, []codes.Code{codes.Unavailable, codes.Unavailable}, 3, false, false, ""},
		{"each retryable code", etlSA, []codes.Code{codes.ResourceExhausted, codes.DeadlineExceeded, codes.Internal, codes.Aborted}, 5, false, false, ""},
		{"unavailable until exhausted", etlSA, []codes.Code{codes.Unavailable, codes.Unavailable, codes.Unavailable, codes.Unavailable, codes.Unavailable}, 5, true, false, ReasonUnavailable},
		{"permission denied is permanent", etlSA, []codes.Code{codes.PermissionDenied}, 1, true, true, ReasonDenied},
		{"unavailable then denied", etlSA, []codes.Code{codes.Unavailable, codes.PermissionDenied}, 2, true, true, ReasonDenied},
		{"unauthenticated broker is transient, not retried", etlSA, []codes.Code{codes.Unauthenticated}, 1, true, false, ReasonUnavailable},
		{"unknown service account", "ghost@iis-test.iam.gserviceaccount.com", nil, 1, true, true, ReasonNotFound},
		{"not an e-mail", "etl", nil, 0, true, true, ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &faults{codes: tt.inject}
			m, _, waits := newMinter(t, Config{}, f)
			_, err := m.Mint(context.Background(), tt.sa, 0)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Mint(%s) = %v, want error %v", tt.sa, err, tt.wantErr)
			}
			if got := f.calls(); got != tt.calls {
				t.Errorf("Mint(%s) made %d calls, want %d", tt.sa, got, tt.calls)
			}
			if got := len(*waits); tt.calls > 0 && got != tt.calls-1 {
				t.Errorf("Mint(%s) backed off %d times, want %d", tt.sa, got, tt.calls-1)
			}
			if err == nil {
				return
			}
			if got := fault.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(Mint(%s)) = %v, want %v (%v)", tt.sa, got, tt.permanent, err)
			}
			if got := fault.ReasonOf(err); got != tt.reason {
				t.Errorf("ReasonOf(Mint(%s)) = %q, want %q", tt.sa, got, tt.reason)
			}
		})
	}
}

func TestMintStopsWhenContextDone(t *testing.T) {
	f := &faults{codes: []codes.Code{codes.Unavailable, codes.Unavailable}}
	m, _, _ := newMinter(t, Config{}, f)
	ctx, cancel := context.WithCancel(context.Background())
	m.sleep = func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}
	_, err := m.Mint(ctx, etlSA, 0)
	if err == nil || fault.IsPermanent(err) || f.calls() != 1 {
		t.Errorf("Mint(cancelled during backoff) = %v after %d calls, want a transient error after 1", err, f.calls())
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"one hour", Config{GlobalMaxLifetime: time.Hour}, true},
		{"over one hour", Config{GlobalMaxLifetime: time.Hour + time.Second}, false},
		{"negative", Config{GlobalMaxLifetime: -time.Minute}, false},
		{"bad delegate", Config{Delegates: []string{"relay"}}, false},
		{"empty scope", Config{Scopes: []string{" "}}, false},
		{"negative retry", Config{Retry: Retry{Attempts: -1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate(%+v) = %v, want ok %v", tt.cfg, err, tt.ok)
			}
		})
	}
	if err := (ClientConfig{Insecure: true}).Validate(); err == nil {
		t.Error("ClientConfig{Insecure without Endpoint}.Validate() = nil, want an error")
	}
}

func TestBackoff(t *testing.T) {
	r := Retry{Initial: 100 * time.Millisecond, Max: time.Second}.Or(defaultRetry)
	for n, ceiling := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		ceiling *= time.Millisecond
		for range 50 {
			if d := r.Delay(n + 1); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n+1, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestNoTokenInErrors(t *testing.T) {
	f := &faults{}
	m, _, _ := newMinter(t, Config{}, f)
	cred, err := m.Mint(context.Background(), etlSA, 0)
	if err != nil {
		t.Fatalf("Mint() = %v", err)
	}
	f.mu.Lock()
	f.codes = []codes.Code{codes.PermissionDenied}
	f.mu.Unlock()
	_, err = m.Mint(context.Background(), etlSA, 0)
	if err == nil || strings.Contains(err.Error(), cred.AccessToken()) {
		t.Errorf("Mint() error = %v, want an error without the token", err)
	}
}
