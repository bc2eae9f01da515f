package telemetry

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instruments are the broker's metrics (Prometheus names in brackets).
type instruments struct {
	decisions   metric.Int64Counter     // iis_decisions_total{outcome,reason,stage}
	decisionDur metric.Float64Histogram // iis_decision_duration_seconds{outcome}
	verifyFail  metric.Int64Counter     // iis_token_verification_failures_total{reason}
	mints       metric.Int64Counter     // iis_credential_mints_total{result}
	dpCalls     metric.Int64Counter     // iis_dataproc_calls_total{method,region,code}
	quotaWaits  metric.Int64Counter     // iis_dataproc_quota_waits_total{region,priority}
	quotaWaited metric.Float64Histogram // iis_dataproc_quota_wait_seconds{region,priority}
	jobStates   metric.Int64Counter     // iis_job_state_changes_total{state}
	redelivered metric.Int64Counter     // iis_messages_redelivered_total{type}
	nacked      metric.Int64Counter     // iis_messages_nacked_total{reason}
	rejected    metric.Int64Counter     // iis_events_rejected_total{reason}
	revocation  metric.Float64Histogram // iis_revocation_latency_seconds{trigger}
	scim        metric.Int64Counter     // iis_scim_requests_total{method,status}
	jwks        metric.Int64Counter     // iis_jwks_refreshes_total{issuer,result}
	checkpoints metric.Int64Counter     // iis_audit_checkpoints_total{result}
	meter       metric.Meter
}

func newInstruments(m metric.Meter) (*instruments, error) {
	var errs []error
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	hist := func(name, desc string, bounds ...float64) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(bounds...))
		errs = append(errs, err)
		return h
	}
	fast := []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	slow := []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	in := &instruments{
		meter:       m,
		decisions:   counter("iis.decisions", "Job request decisions by outcome (approved, denied, error), decisive reason code and stage."),
		decisionDur: hist("iis.decision.duration", "Time to decide a job request: verify, directory, policy.", fast...),
		verifyFail:  counter("iis.token.verification.failures", "ID and session tokens that failed verification, by reason."),
		mints:       counter("iis.credential.mints", "IAM Credentials GenerateAccessToken outcomes (ok or the fault reason)."),
		dpCalls:     counter("iis.dataproc.calls", "Dataproc API calls by method, region and gRPC code (each attempt)."),
		quotaWaits:  counter("iis.dataproc.quota.waits", "Submits and cancels that had to wait for the region's Dataproc quota."),
		quotaWaited: hist("iis.dataproc.quota.wait", "Time submits and cancels waited for the region's Dataproc quota.", slow...),
		jobStates:   counter("iis.job.state.changes", "Jobs entering each state (PENDING, RUNNING, CANCELLING, SUCCEEDED, ...)."),
		redelivered: counter("iis.messages.redelivered", "Deliveries that were not the message's first attempt, by event type."),
		nacked:      counter("iis.messages.nacked", "Messages handed back for redelivery after a transient failure, by reason."),
		rejected:    counter("iis.events.rejected", "Messages rejected for good (event.rejected audited), by reason."),
		revocation:  hist("iis.revocation.latency", "From the SCIM change to the last cancel of a leaver or mover cascade.", slow...),
		scim:        counter("iis.scim.requests", "SCIM requests by method and HTTP status."),
		jwks:        counter("iis.jwks.refreshes", "Fetches of a trusted issuer's key set, by issuer and result."),
		checkpoints: counter("iis.audit.checkpoints", "Signed audit checkpoints: made, none (nothing new, or another worker's), error."),
	}
	return in, errors.Join(errs...)
}

func attrs(kv ...attribute.KeyValue) metric.MeasurementOption { return metric.WithAttributes(kv...) }

// Decision counts a decision and its duration. outcome is approved, denied
// or error (a transient failure: the request is retried).
func (t *Telemetry) Decision(ctx context.Context, outcome, reason, stage string, took time.Duration) {
	if !t.on {
		return
	}
	o, r, st := codeSet.value(outcome), codeSet.value(reason), codeSet.value(stage)
	m := t.m
	m.decisions.Add(ctx, 1, cached(o+"\x00"+r+"\x00"+st, func() []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("outcome", o), attribute.String("reason", r), attribute.String("stage", st)}
	}))
	m.decisionDur.Record(ctx, took.Seconds(), cached(o, func() []attribute.KeyValue { return []attribute.KeyValue{attribute.String("outcome", o)} }))
}

// optionCache holds the measurement options of label tuples seen (on the
// hot path, building an attribute set sorts and allocates). It is bounded
// because the label values are; past maxCached it builds them anew.
var (
	optionCache sync.Map // string -> metric.MeasurementOption
	cachedCount atomic.Int64
)

const maxCached = 4096

func cached(key string, build func() []attribute.KeyValue) metric.MeasurementOption {
	if o, ok := optionCache.Load(key); ok {
		return o.(metric.MeasurementOption)
	}
	o := metric.WithAttributeSet(attribute.NewSet(build()...))
	if cachedCount.Load() < maxCached {
		if _, loaded := optionCache.LoadOrStore(key, o); !loaded {
			cachedCount.Add(1)
		}
	}
	return o
}

// VerificationFailed counts a token that failed verification.
func (t *Telemetry) VerificationFailed(ctx context.Context, reason string) {
	t.m.verifyFail.Add(ctx, 1, attrs(attribute.String("reason", codeSet.value(reason))))
}

// Minted counts a mint: result is "ok" or the fault reason.
func (t *Telemetry) Minted(ctx context.Context, result string) {
	t.m.mints.Add(ctx, 1, attrs(attribute.String("result", codeSet.value(result))))
}

// DataprocCall counts one attempt of a Dataproc call (method like
// "CreateBatch", code the gRPC code name).
func (t *Telemetry) DataprocCall(ctx context.Context, method, region, code string) {
	t.m.dpCalls.Add(ctx, 1, attrs(attribute.String("method", methodSet.value(method)),
		attribute.String("region", regionSet.value(region)), attribute.String("code", methodSet.value(code))))
}

// QuotaWait records a call that waited for the region's quota.
func (t *Telemetry) QuotaWait(ctx context.Context, region, priority string, waited time.Duration) {
	a := attrs(attribute.String("region", regionSet.value(region)), attribute.String("priority", codeSet.value(priority)))
	t.m.quotaWaits.Add(ctx, 1, a)
	t.m.quotaWaited.Record(ctx, waited.Seconds(), a)
}

// JobState counts a job entering state.
func (t *Telemetry) JobState(ctx context.Context, state string) {
	t.m.jobStates.Add(ctx, 1, attrs(attribute.String("state", stateSet.value(state))))
}

// Redelivered counts a delivery that was not the message's first.
func (t *Telemetry) Redelivered(ctx context.Context, eventType string) {
	t.m.redelivered.Add(ctx, 1, attrs(attribute.String("type", shortType(eventType))))
}

// Nacked counts a message handed back after a transient failure.
func (t *Telemetry) Nacked(ctx context.Context, reason string) {
	t.m.nacked.Add(ctx, 1, attrs(attribute.String("reason", codeSet.value(reason))))
}

// Rejected counts a message rejected for good.
func (t *Telemetry) Rejected(ctx context.Context, reason string) {
	t.m.rejected.Add(ctx, 1, attrs(attribute.String("reason", codeSet.value(reason))))
}

// Revocation records a cascade's latency, from the SCIM change to its last
// cancel; trigger is user_deactivated, user_deleted or membership_removed.
func (t *Telemetry) Revocation(ctx context.Context, trigger string, latency time.Duration) {
	t.m.revocation.Record(ctx, latency.Seconds(), attrs(attribute.String("trigger", codeSet.value(trigger))))
}

// SCIMRequest counts a SCIM request by method and status.
func (t *Telemetry) SCIMRequest(ctx context.Context, method string, status int) {
	t.m.scim.Add(ctx, 1, attrs(attribute.String("method", methodSet.value(method)),
		attribute.String("status", statusSet.value(strconv.Itoa(status)))))
}

// JWKSRefresh counts a key-set fetch: result is ok, error or rate_limited.
func (t *Telemetry) JWKSRefresh(ctx context.Context, issuer, result string) {
	t.m.jwks.Add(ctx, 1, attrs(attribute.String("issuer", issuerSet.value(issuer)), attribute.String("result", codeSet.value(result))))
}

// Checkpoint counts a checkpoint attempt.
func (t *Telemetry) Checkpoint(ctx context.Context, made bool, err error) {
	result := "none"
	switch {
	case err != nil:
		result = "error"
	case made:
		result = "made"
	}
	t.m.checkpoints.Add(ctx, 1, attrs(attribute.String("result", result)))
}

// shortType is an event type as a code: its resource and verb, without
// the prefix and the version ("….job.requested.v1" is "job_requested").
func shortType(typ string) string {
	segs := strings.Split(typ, ".")
	if len(segs) >= 3 {
		segs = segs[len(segs)-3 : len(segs)-1]
	}
	return codeSet.value(strings.Join(segs, "_"))
}
