package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	iamcredentials "cloud.google.com/go/iam/credentials/apiv1"
	"cloud.google.com/go/iam/credentials/apiv1/credentialspb"
	"github.com/dataproc-iis/iis/broker/backoff"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/googleapis/gax-go/v2"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	// CloudPlatformScope is the default and minimal scope for Dataproc calls.
	CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
	// DefaultMaxLifetime is the default global lifetime cap.
	DefaultMaxLifetime = 15 * time.Minute
	// MaxLifetime is the longest lifetime the IAM Credentials API grants.
	MaxLifetime = time.Hour
)

// Fault reasons of Mint.
const (
	ReasonDenied      = "credential_denied"          // IAM refused: no permission, account disabled
	ReasonNotFound    = "service_account_not_found"  // the role's service account does not exist
	ReasonInvalid     = "credential_invalid_request" // the request was malformed (bad account, lifetime)
	ReasonUnavailable = "credential_unavailable"     // IAM unreachable or failing: retry later
)

// TokenGenerator is the method of the IAM Credentials client the Minter uses.
type TokenGenerator interface {
	GenerateAccessToken(ctx context.Context, req *credentialspb.GenerateAccessTokenRequest, opts ...gax.CallOption) (*credentialspb.GenerateAccessTokenResponse, error)
}

var _ TokenGenerator = (*iamcredentials.IamCredentialsClient)(nil)

// Config configures a Minter. The zero value is usable.
type Config struct {
	// GlobalMaxLifetime caps every token; default 15 minutes, at most 1 hour.
	GlobalMaxLifetime time.Duration
	// Scopes of every token; default cloud-platform only.
	Scopes []string
	// Delegates is the optional delegation chain (service account e-mails),
	// from the broker's identity towards the target account.
	Delegates []string
	// Retry bounds the retries of transient errors.
	Retry Retry
}

// Validate reports a configuration the Minter cannot run with.
func (c Config) Validate() error {
	if c.GlobalMaxLifetime < 0 || c.GlobalMaxLifetime > MaxLifetime {
		return fmt.Errorf("credentials: GlobalMaxLifetime %v outside (0, %v]", c.GlobalMaxLifetime, MaxLifetime)
	}
	if c.GlobalMaxLifetime != 0 && c.GlobalMaxLifetime < time.Second {
		return fmt.Errorf("credentials: GlobalMaxLifetime %v is under a second", c.GlobalMaxLifetime)
	}
	for _, s := range c.Scopes {
		if strings.TrimSpace(s) == "" {
			return errors.New("credentials: empty scope")
		}
	}
	for _, d := range c.Delegates {
		if !validEmail(d) {
			return fmt.Errorf("credentials: delegate %q is not a service account e-mail", d)
		}
	}
	if c.Retry.Attempts < 0 || c.Retry.Initial < 0 || c.Retry.Max < 0 {
		return errors.New("credentials: negative retry setting")
	}
	return nil
}

// Minter mints access tokens for service accounts. It is safe for concurrent use.
type Minter struct {
	client    TokenGenerator
	maxLife   time.Duration
	scopes    []string
	delegates []string
	retry     Retry
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
}

// New returns a Minter calling client, usually built with NewClient.
func New(cfg Config, client TokenGenerator) (*Minter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		return nil, errors.New("credentials: nil client")
	}
	m := &Minter{
		client: client, maxLife: cfg.GlobalMaxLifetime, scopes: cfg.Scopes,
		retry: cfg.Retry.Or(defaultRetry), now: time.Now, sleep: backoff.Sleep,
	}
	if m.maxLife == 0 {
		m.maxLife = DefaultMaxLifetime
	}
	if len(m.scopes) == 0 {
		m.scopes = []string{CloudPlatformScope}
	}
	for _, d := range cfg.Delegates {
		m.delegates = append(m.delegates, "projects/-/serviceAccounts/"+d)
	}
	return m, nil
}

// Lifetime is the lifetime Mint asks for given a role's cap (0: no role cap):
// the smaller of the two caps, in whole seconds.
func (m *Minter) Lifetime(roleCap time.Duration) time.Duration {
	l := m.maxLife
	if roleCap > 0 {
		l = min(l, roleCap)
	}
	return l.Truncate(time.Second)
}

// Mint returns a fresh token for sa whose lifetime is the smaller of roleCap
// (0: none) and the global cap. Transient IAM errors are retried with backoff;
// errors are classified with broker/fault: permanent (ReasonDenied,
// ReasonNotFound, ReasonInvalid) or transient (ReasonUnavailable).
func (m *Minter) Mint(ctx context.Context, sa string, roleCap time.Duration) (cred Credential, err error) {
	ctx, span := telemetry.Start(ctx, "iis.mint", trace.WithAttributes(attribute.String("iis.service_account", sa)))
	defer func() {
		result := "ok"
		if err != nil {
			result = fault.ReasonOf(err)
		} else {
			span.SetAttributes(attribute.String("iis.credential.fingerprint", "sha256:"+cred.Fingerprint),
				attribute.String("iis.credential.expire_time", cred.ExpireTime.UTC().Format(time.RFC3339)))
		}
		telemetry.Current().Minted(ctx, result)
		telemetry.End(span, err)
	}()
	if !validEmail(sa) {
		return Credential{}, fault.Permanentf(ReasonInvalid, "credentials.Mint: service account %q is not an e-mail address", sa)
	}
	lifetime := m.Lifetime(roleCap)
	if lifetime < time.Second {
		return Credential{}, fault.Permanentf(ReasonInvalid, "credentials.Mint: lifetime %v is under a second", roleCap)
	}
	req := &credentialspb.GenerateAccessTokenRequest{
		Name:      "projects/-/serviceAccounts/" + sa,
		Delegates: m.delegates,
		Scope:     m.scopes,
		Lifetime:  durationpb.New(lifetime),
	}
	log := zerolog.Ctx(ctx)
	var last error
	for attempt := 1; ; attempt++ {
		resp, err := m.client.GenerateAccessToken(ctx, req, noClientRetry)
		if err == nil {
			return m.credential(resp, sa)
		}
		last = fmt.Errorf("iamcredentials.GenerateAccessToken(%s): %w", sa, err)
		if ctx.Err() != nil {
			return Credential{}, fault.AsTransient(ReasonUnavailable, last)
		}
		retry, classified := classify(last)
		if !retry {
			return Credential{}, classified
		}
		if attempt >= m.retry.Attempts {
			return Credential{}, fault.AsTransient(ReasonUnavailable, fmt.Errorf("%d attempts: %w", attempt, last))
		}
		wait := m.retry.Delay(attempt)
		log.Warn().Err(err).Str("service_account", sa).Int("attempt", attempt).Dur("backoff", wait).
			Msg("iamcredentials.GenerateAccessToken failed, retrying")
		if err := m.sleep(ctx, wait); err != nil {
			return Credential{}, fault.AsTransient(ReasonUnavailable, errors.Join(last, err))
		}
	}
}

// noClientRetry turns off the generated client's own retries: Mint owns the
// retry loop, its bounds and its logging.
var noClientRetry = gax.WithRetry(func() gax.Retryer { return nil })

func (m *Minter) credential(resp *credentialspb.GenerateAccessTokenResponse, sa string) (Credential, error) {
	if resp.GetAccessToken() == "" {
		return Credential{}, fault.AsTransient(ReasonUnavailable, errors.New("iamcredentials.GenerateAccessToken: empty token"))
	}
	if err := resp.GetExpireTime().CheckValid(); err != nil {
		return Credential{}, fault.AsTransient(ReasonUnavailable, fmt.Errorf("iamcredentials.GenerateAccessToken: expire_time: %w", err))
	}
	expires := resp.GetExpireTime().AsTime()
	if !expires.After(m.now()) {
		return Credential{}, fault.AsTransient(ReasonUnavailable, errors.New("iamcredentials.GenerateAccessToken: token already expired"))
	}
	return newCredential(resp.GetAccessToken(), sa, m.scopes, expires), nil
}

// classify says whether err is worth retrying now; if not, it returns err
// classified for the handler.
func classify(err error) (retry bool, classified error) {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Internal, codes.Aborted:
		return true, nil
	case codes.PermissionDenied, codes.FailedPrecondition:
		return false, fault.AsPermanent(ReasonDenied, err)
	case codes.NotFound:
		return false, fault.AsPermanent(ReasonNotFound, err)
	case codes.InvalidArgument, codes.OutOfRange:
		return false, fault.AsPermanent(ReasonInvalid, err)
	default:
		// Unauthenticated (the broker's own identity), Unknown, Unimplemented
		// (a misconfigured endpoint): fixable, so redelivery should retry.
		return false, fault.AsTransient(ReasonUnavailable, err)
	}
}

// validEmail is a structural check of a service account e-mail.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " /\t\n") &&
		!strings.Contains(domain, "@") && len(s) <= 254
}
