package dataproc

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Workload states, the same for batches and jobs.
const (
	StatePending    = "pending"
	StateRunning    = "running"
	StateCancelling = "cancelling"
	StateSucceeded  = "succeeded"
	StateFailed     = "failed"
	StateCancelled  = "cancelled"
	StateUnknown    = "unknown"
)

var jobStates = map[dataprocpb.JobStatus_State]string{
	dataprocpb.JobStatus_PENDING:         StatePending,
	dataprocpb.JobStatus_SETUP_DONE:      StatePending,
	dataprocpb.JobStatus_RUNNING:         StateRunning,
	dataprocpb.JobStatus_ATTEMPT_FAILURE: StateRunning, // a restartable job's attempt failed; it may run again
	dataprocpb.JobStatus_CANCEL_PENDING:  StateCancelling,
	dataprocpb.JobStatus_CANCEL_STARTED:  StateCancelling,
	dataprocpb.JobStatus_DONE:            StateSucceeded,
	dataprocpb.JobStatus_ERROR:           StateFailed,
	dataprocpb.JobStatus_CANCELLED:       StateCancelled,
}

var batchStates = map[dataprocpb.Batch_State]string{
	dataprocpb.Batch_PENDING:    StatePending,
	dataprocpb.Batch_RUNNING:    StateRunning,
	dataprocpb.Batch_CANCELLING: StateCancelling,
	dataprocpb.Batch_SUCCEEDED:  StateSucceeded,
	dataprocpb.Batch_FAILED:     StateFailed,
	dataprocpb.Batch_CANCELLED:  StateCancelled,
}

// Ended reports whether a state is final.
func Ended(state string) bool {
	return state == StateSucceeded || state == StateFailed || state == StateCancelled
}

// State returns the workload's state (one of the State constants), whether it
// has ended, and Dataproc's own words for it ("ERROR: <details>"). Reads are
// not rate limited. Errors are classified with broker/fault.
func (s *Submitter) State(ctx context.Context, c Caller, sub Submission) (state string, ended bool, detail string, err error) {
	switch sub.Kind {
	case KindBatch:
		client, err := s.clients.Batches(ctx, sub.Region)
		if err != nil {
			return "", false, "", clientFault(err)
		}
		var b *dataprocpb.Batch
		err = s.call(ctx, "dataproc.GetBatch", sub.Region, false, PrioritySubmit, func(ctx context.Context) (err error) {
			b, err = client.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: sub.Resource}, s.opts(c)...)
			return err
		})
		if err != nil {
			return "", false, "", classify(err)
		}
		state = stateOr(batchStates[b.GetState()])
		return state, Ended(state), describe(b.GetState().String(), b.GetStateMessage()), nil
	case KindJob:
		client, err := s.clients.Jobs(ctx, sub.Region)
		if err != nil {
			return "", false, "", clientFault(err)
		}
		var j *dataprocpb.Job
		err = s.call(ctx, "dataproc.GetJob", sub.Region, false, PrioritySubmit, func(ctx context.Context) (err error) {
			j, err = client.GetJob(ctx, &dataprocpb.GetJobRequest{ProjectId: sub.Project, Region: sub.Region, JobId: sub.DataprocID}, s.opts(c)...)
			return err
		})
		if err != nil {
			return "", false, "", classify(err)
		}
		state = stateOr(jobStates[j.GetStatus().GetState()])
		return state, Ended(state), describe(j.GetStatus().GetState().String(), j.GetStatus().GetDetails()), nil
	}
	return "", false, "", fault.Permanentf(ReasonInvalidJob, "dataproc.State: unknown kind %q", sub.Kind)
}

// Cancel asks Dataproc to stop the workload: a batch through its operation, a
// job with CancelJob. Cancels wait for the region's rate limiter ahead of
// every submit. A workload that had already ended is not cancelled: the
// error is then a permanent ReasonEnded fault wrapping an *EndedError with
// the state it ended in, so that nobody reports a cancel that did not happen.
func (s *Submitter) Cancel(ctx context.Context, c Caller, sub Submission) (err error) {
	ctx, span := telemetry.Start(ctx, "iis.cancel", trace.WithAttributes(attribute.String("iis.resource", sub.Resource)))
	defer telemetry.EndErr(span, &err)
	switch sub.Kind {
	case KindBatch:
		err = s.cancelBatch(ctx, c, sub)
	case KindJob:
		var client JobController
		if client, err = s.clients.Jobs(ctx, sub.Region); err != nil {
			return clientFault(err)
		}
		err = s.call(ctx, "dataproc.CancelJob", sub.Region, true, PriorityCancel, func(ctx context.Context) error {
			_, err := client.CancelJob(ctx, &dataprocpb.CancelJobRequest{ProjectId: sub.Project, Region: sub.Region, JobId: sub.DataprocID}, s.opts(c)...)
			return err
		})
	default:
		return fault.Permanentf(ReasonInvalidJob, "dataproc.Cancel: unknown kind %q", sub.Kind)
	}
	if status.Code(err) == codes.FailedPrecondition {
		// Refused because it has ended? Then there was nothing to cancel.
		if state, ended, _, serr := s.State(ctx, c, sub); serr == nil && ended {
			return &fault.Error{Kind: fault.Permanent, Reason: ReasonEnded, Err: &EndedError{State: state}}
		}
	}
	if err == nil && sub.Kind == KindBatch {
		// A batch's cancel goes to its long-running operation, and
		// google.longrunning may accept the cancel of an operation that is
		// already done: ask the batch whether it had ended on its own.
		if state, ended, _, serr := s.State(ctx, c, sub); serr == nil && ended && state != StateCancelled {
			return &fault.Error{Kind: fault.Permanent, Reason: ReasonEnded, Err: &EndedError{State: state}}
		}
	}
	return classify(err)
}

// EndedError reports a cancel of a workload that had already ended.
type EndedError struct {
	State string // the state it ended in (StateSucceeded, StateFailed, StateCancelled)
}

func (e *EndedError) Error() string {
	return "the workload had already ended (" + e.State + "): nothing to cancel"
}

// EndedState returns the state a cancel found the workload ended in, if
// err says it had ended.
func EndedState(err error) (string, bool) {
	var e *EndedError
	if errors.As(err, &e) {
		return e.State, true
	}
	return "", false
}

func (s *Submitter) cancelBatch(ctx context.Context, c Caller, sub Submission) error {
	client, err := s.clients.Batches(ctx, sub.Region)
	if err != nil {
		return clientFault(err)
	}
	op := sub.Operation
	if op == "" { // recorded before the operation was known: ask the batch
		err := s.call(ctx, "dataproc.GetBatch", sub.Region, false, PriorityCancel, func(ctx context.Context) error {
			b, err := client.GetBatch(ctx, &dataprocpb.GetBatchRequest{Name: sub.Resource}, s.opts(c)...)
			op = b.GetOperation()
			return err
		})
		if err != nil {
			return err
		}
	}
	return s.call(ctx, "dataproc.CancelOperation", sub.Region, true, PriorityCancel, func(ctx context.Context) error {
		return client.CancelOperation(ctx, &longrunningpb.CancelOperationRequest{Name: op}, s.opts(c)...)
	})
}

func stateOr(s string) string {
	if s == "" {
		return StateUnknown
	}
	return s
}

func describe(state, msg string) string {
	if msg == "" {
		return state
	}
	return fmt.Sprintf("%s: %s", state, msg)
}
