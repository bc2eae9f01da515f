package dataproc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/backoff"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/googleapis/gax-go/v2"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Fault reasons of this package.
const (
	ReasonInvalidJob         = "invalid_job"              // the request cannot become a Dataproc job
	ReasonCredentialExpired  = "credential_expired"       // the minted token expires too soon: mint again
	ReasonCredentialRejected = "credential_rejected"      // Dataproc did not accept the token
	ReasonDenied             = "dataproc_denied"          // the service account may not do this
	ReasonInvalidRequest     = "dataproc_invalid_request" // Dataproc rejected the request's content
	ReasonNotFound           = "dataproc_not_found"       // cluster, job or batch does not exist
	ReasonRejected           = "dataproc_rejected"        // the resource is in a state that forbids the call
	ReasonIDConflict         = "dataproc_id_conflict"     // the derived id belongs to another request's workload
	ReasonUnavailable        = "dataproc_unavailable"     // Dataproc unreachable or failing: retry later
	ReasonEnded              = "workload_ended"           // a cancel found the workload already ended: nothing was cancelled
)

// Retry bounds the retries of transient Dataproc errors: exponential backoff
// with jitter, a fixed number of attempts (defaults: 5 attempts, 250ms, 10s).
type Retry = backoff.Policy

var defaultRetry = Retry{Attempts: 5, Initial: 250 * time.Millisecond, Max: 10 * time.Second}

// noClientRetry turns off the generated clients' own retries: this package
// owns the retry loop, its bounds, its rate limiting and its logging.
var noClientRetry = gax.WithRetry(func() gax.Retryer { return nil })

func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Internal, codes.Aborted:
		return true
	}
	return false
}

// call runs fn until it succeeds, fails for good, or runs out of attempts,
// waiting for the region's rate limiter before each attempt when limited.
// The error it returns carries the gRPC status, unclassified.
func (s *Submitter) call(ctx context.Context, name, region string, limited bool, p Priority, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		if limited {
			if err := s.wait(ctx, region, p); err != nil {
				return fmt.Errorf("%s: rate limiter: %w", name, err)
			}
		}
		err := fn(ctx)
		telemetry.Current().DataprocCall(ctx, strings.TrimPrefix(name, "dataproc."), region, status.Code(err).String())
		if err == nil {
			return nil
		}
		err = fmt.Errorf("%s: %w", name, err)
		if ctx.Err() != nil || !retryable(err) {
			return err
		}
		if attempt >= s.retry.Attempts {
			return fmt.Errorf("%d attempts: %w", attempt, err)
		}
		wait := s.retry.Delay(attempt)
		zerolog.Ctx(ctx).Warn().Err(err).Str("region", region).Int("attempt", attempt).Dur("backoff", wait).
			Msg(name + " failed, retrying")
		if err := s.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

// wait waits for the region's quota, and counts and reports (on the
// caller's span) a wait that was not immediate.
func (s *Submitter) wait(ctx context.Context, region string, p Priority) error {
	start := time.Now()
	err := s.limiter.Wait(ctx, region, p)
	if waited := time.Since(start); waited >= time.Millisecond {
		prio := "submit"
		if p == PriorityCancel {
			prio = "cancel"
		}
		telemetry.Current().QuotaWait(ctx, region, prio, waited)
		telemetry.Event(ctx, "dataproc quota wait", attribute.String("iis.region", region),
			attribute.String("iis.priority", prio), attribute.Int64("iis.waited_ms", waited.Milliseconds()))
	}
	return err
}

// classify marks an error from call as permanent or transient.
func classify(err error) error {
	var classified *fault.Error
	if err == nil || errors.As(err, &classified) {
		return err
	}
	switch status.Code(err) {
	case codes.PermissionDenied:
		return fault.AsPermanent(ReasonDenied, err)
	case codes.InvalidArgument, codes.OutOfRange:
		return fault.AsPermanent(ReasonInvalidRequest, err)
	case codes.NotFound:
		return fault.AsPermanent(ReasonNotFound, err)
	case codes.FailedPrecondition:
		return fault.AsPermanent(ReasonRejected, err)
	case codes.AlreadyExists:
		return fault.AsPermanent(ReasonIDConflict, err)
	case codes.Unauthenticated:
		// An expired or unknown token: a redelivery mints a fresh one.
		return fault.AsTransient(ReasonCredentialRejected, err)
	default:
		return fault.AsTransient(ReasonUnavailable, err)
	}
}
