package decision

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
)

// observe ends the decision's span and counts it: approved, denied or
// pending_approval with its decisive reason and stage, or error with the
// transient reason (the request is retried).
func observe(ctx context.Context, span trace.Span, start time.Time, out Outcome, err error) {
	outcome, reason, stage := "denied", out.Reason(), out.Stage
	switch {
	case err != nil:
		outcome, reason, stage = "error", fault.ReasonOf(err), "error"
	case out.Allowed():
		outcome = "approved"
	case out.Decision.Approval != nil:
		outcome = "pending_approval" // settled later by approvers, not counted again
	}
	telemetry.Current().Decision(ctx, outcome, reason, stage, time.Since(start))
	if span.IsRecording() {
		span.SetAttributes(attribute.String("iis.outcome", outcome), attribute.String("iis.reason", reason),
			attribute.String("iis.stage", stage), attribute.String("iis.role", out.Decision.Role),
			attribute.String("iis.policy_version", out.Decision.Version), attribute.String("iis.principal", out.Principal.ID))
	}
	telemetry.End(span, err)
}
