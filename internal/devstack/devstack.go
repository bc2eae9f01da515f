package devstack

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/iamserver"
	"github.com/dataproc-iis/iis/internal/samlidp"
)

// BrokerServiceAccount is the broker's own identity in dev: Dataproc lets
// it read and cancel every workload, as roles/dataproc.viewer plus cancel
// rights would in production.
const BrokerServiceAccount = "iis-broker@iis-dev.iam.gserviceaccount.com"

// Audience is the broker's audience at the dev issuer.
const Audience = "iis"

// Config says where the stand-ins listen.
type Config struct {
	// IssuerURL is the issuer's base URL on the HTTP server the caller runs
	// (e.g. http://127.0.0.1:8088/oidc); the caller mounts Stack.Issuer's
	// Handler at its path.
	IssuerURL    string
	IAMAddr      string // default 127.0.0.1:0
	DataprocAddr string // default 127.0.0.1:0
	// Clusters maps cluster names to the VM service account their jobs run as.
	Clusters map[string]string
	Timing   dataprocserver.Timing
	// TimingFor overrides Timing per workload (see dataprocserver.Config).
	TimingFor func(dataprocserver.Workload) dataprocserver.Timing
	// ClusterTiming, ClusterQuota and IgnoreLifecycle configure the
	// clusters the broker creates (see dataprocserver.Config).
	ClusterTiming   dataprocserver.ClusterTiming
	ClusterQuota    int
	IgnoreLifecycle bool
	ClusterFailure  func(dataprocserver.Workload) string
	Clock           *dataprocserver.ManualClock // nil: real time
	// Interceptors inject faults into the IAM and Dataproc servers (tests).
	IAMInterceptors      []grpc.UnaryServerInterceptor
	DataprocInterceptors []grpc.UnaryServerInterceptor

	// LoginURL, if set, is where the caller serves the login service (e.g.
	// http://127.0.0.1:8088/login): the stack then also creates the dev
	// SAML IdP (served by the caller at SAMLURL) and the session issuer
	// (at SessionURL), and the dev issuer's login form for Users.
	LoginURL, SAMLURL, SessionURL string
	Users                         []User
	// Password of the dev users at both IdPs (default "iis-dev").
	Password string
	// SessionSigner signs session tokens (default: a key generated now).
	SessionSigner   signing.Signer
	SessionLifetime time.Duration
}

// Stack is the running stand-ins.
type Stack struct {
	Issuer   *devissuer.Issuer
	IAM      *iamserver.Server
	Dataproc *dataprocserver.Server
	// SAML and Sessions are set when Config.LoginURL is.
	SAML     *samlidp.IdP
	Sessions *session.Sessions

	loginURL string
	login    loginParts
	cleanup  []func()
}

// Start starts the IAM and Dataproc servers and creates the issuer.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.IssuerURL == "" {
		return nil, errors.New("devstack: IssuerURL is required")
	}
	secret := newSecret()
	users, clients := devIssuerLogin(cfg, secret)
	is, err := devissuer.New(devissuer.Config{URL: cfg.IssuerURL, DevMode: true, Audience: Audience, ES256: true,
		Users: users, Clients: clients, Password: cfg.Password})
	if err != nil {
		return nil, err
	}
	iamCfg := iamserver.Config{Interceptors: cfg.IAMInterceptors}
	dpCfg := dataprocserver.Config{Clusters: cfg.Clusters, Admins: []string{BrokerServiceAccount}, Timing: cfg.Timing, TimingFor: cfg.TimingFor,
		Interceptors: cfg.DataprocInterceptors, ClusterTiming: cfg.ClusterTiming, ClusterQuota: cfg.ClusterQuota,
		IgnoreLifecycle: cfg.IgnoreLifecycle, ClusterFailure: cfg.ClusterFailure}
	if cfg.Clock != nil {
		iamCfg.Clock, dpCfg.Clock = cfg.Clock, cfg.Clock
	}
	iam, err := iamserver.Start(ctx, or(cfg.IAMAddr, "127.0.0.1:0"), iamCfg)
	if err != nil {
		return nil, err
	}
	dpCfg.Tokens = iam
	dp, err := dataprocserver.Start(ctx, or(cfg.DataprocAddr, "127.0.0.1:0"), dpCfg)
	if err != nil {
		iam.Close()
		return nil, err
	}
	st := &Stack{Issuer: is, IAM: iam, Dataproc: dp, login: loginParts{clientSecret: secret, users: cfg.Users}}
	if err := st.startLogin(cfg); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Pipeline is the broker configuration that trusts the dev issuer and runs
// jobs on the local servers.
func (s *Stack) Pipeline(policyPath string) service.Pipeline {
	issuers := []identity.Issuer{{URL: s.Issuer.URL(), Audience: Audience, TrustedForGroups: false}}
	if s.Sessions != nil {
		issuers = append(issuers, s.Sessions.Identity())
	}
	return service.Pipeline{
		Identity:   identity.Config{Issuers: issuers},
		PolicyPath: policyPath,
		Directory:  true,
		Execute:    true,
		IAM:        credentials.ClientConfig{Endpoint: s.IAM.Addr(), Insecure: true},
		Dataproc:   dataproc.ClientConfig{Endpoint: s.Dataproc.Addr(), Insecure: true},
		LabelKey:   []byte("dev-label-key"),
		Caller:     &brokerCaller{iam: s.IAM},
	}
}

// Mux returns a handler serving the issuer (mount at the issuer URL's path).
func (s *Stack) Mux() http.Handler { return s.Issuer.Handler() }

// Close stops the servers.
func (s *Stack) Close() {
	s.Dataproc.Close()
	s.IAM.Close()
	for _, c := range s.cleanup {
		c()
	}
}

// brokerCaller mints the broker's own token from the local IAM server and
// renews it before it expires (tokens live at most an hour).
type brokerCaller struct {
	iam *iamserver.Server

	mu      sync.Mutex
	token   string
	expires time.Time
}

var _ dataproc.Caller = (*brokerCaller)(nil)

func (c *brokerCaller) AccessToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == "" || time.Until(c.expires) < 5*time.Minute {
		tok, exp, err := c.iam.Mint(BrokerServiceAccount, []string{dataprocserver.CloudPlatformScope}, time.Hour)
		if err != nil {
			return ""
		}
		c.token, c.expires = tok, exp
	}
	return c.token
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
