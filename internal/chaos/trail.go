package chaos

import (
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Trail is what the audit chain says about one job, cluster or access request.
type Trail struct {
	Outcomes  []string  // job.approved / job.denied, in chain order
	DecidedAt time.Time // decision time of the first decision
	Issued    int       // credential.issued
	Submitted int       // job.submitted
	// Found counts workloads whose worker died before recording them, found
	// and cancelled by a revocation cascade (its STATE_UNSPECIFIED ->
	// CANCELLING change, which the cascade's recordCancelled writes).
	Found      int
	Ended      int      // job.state_changed events that end the job
	EndState   string   // the state of the last of those
	Rejections []string // reasons of event.rejected about the request
	// Of a cluster request: cluster.created events, and the reason of its
	// cluster.deleted. Of an access request: access.granted events.
	Created       int
	DeletedReason string
	Granted       int
}

// Audit is the audit chain read back and grouped.
type Audit struct {
	Records int
	// Trails holds the records about job requests, by request id.
	Trails map[string]*Trail
	// Revocations holds access.revoked by principal id.
	Revocations map[string][]events.Revocation
	// Types counts every record by CloudEvent type.
	Types map[string]int
	// Rejected lists event.rejected records about messages that were no job
	// request (identity events, unreadable messages): "type: reason".
	Rejected []string
}

// ReadAudit decodes and groups the chain records. A record that does not
// decode is an error: the chain holds only what the broker validated.
func ReadAudit(recs []store.OutboxMessage) (Audit, error) {
	a := Audit{Records: len(recs), Trails: map[string]*Trail{}, Revocations: map[string][]events.Revocation{}, Types: map[string]int{}}
	for _, r := range recs {
		e, err := events.Decode(events.Message{Data: r.Data, Attributes: r.Attributes})
		if err != nil {
			return a, fmt.Errorf("audit record %d: events.Decode: %w", r.Seq, err)
		}
		a.Types[e.Type()]++
		if err := a.add(e); err != nil {
			return a, fmt.Errorf("audit record %d (%s): %w", r.Seq, e.Type(), err)
		}
	}
	return a, nil
}

func (a *Audit) add(e event.Event) error {
	if e.Type() == events.AccessRevoked {
		rv, err := events.DecodeRevocation(e)
		if err != nil {
			return err
		}
		a.Revocations[rv.Principal.ID] = append(a.Revocations[rv.Principal.ID], rv)
		return nil
	}
	id, _ := e.Extensions()[events.ExtRequestID].(string)
	if id == "" {
		if e.Type() == events.EventRejected {
			rj, err := events.DecodeRejection(e)
			if err != nil {
				return err
			}
			a.Rejected = append(a.Rejected, rj.ReceivedType+": "+rj.Reason)
		}
		return nil // identity events
	}
	t := a.Trails[id]
	if t == nil {
		t = &Trail{}
		a.Trails[id] = t
	}
	switch e.Type() {
	case events.ClusterApproved, events.ClusterDenied:
		d, err := events.DecodeClusterDecision(e)
		if err != nil {
			return err
		}
		t.Outcomes = append(t.Outcomes, d.Outcome)
	case events.AccessApproved, events.AccessDenied:
		d, err := events.DecodeAccessDecision(e)
		if err != nil {
			return err
		}
		t.Outcomes = append(t.Outcomes, d.Outcome)
	case events.ClusterCreated:
		t.Created++
	case events.AccessGranted:
		t.Granted++
	case events.ClusterDeleted:
		d, err := events.DecodeClusterDeletion(e)
		if err != nil {
			return err
		}
		t.DeletedReason = d.Reason
	case events.JobApproved, events.JobDenied:
		d, err := events.DecodeJobDecision(e)
		if err != nil {
			return err
		}
		if len(t.Outcomes) == 0 {
			t.DecidedAt = d.Input.Time
		}
		t.Outcomes = append(t.Outcomes, d.Outcome)
	case events.CredentialIssued:
		t.Issued++
	case events.JobSubmitted:
		t.Submitted++
	case events.JobStateChanged:
		sc, err := events.DecodeStateChange(e)
		if err != nil {
			return err
		}
		if sc.PreviousState == "STATE_UNSPECIFIED" && sc.State == "CANCELLING" && strings.HasPrefix(sc.Detail, "submitted under the grant but not recorded") {
			t.Found++
		}
		if sc.Ended {
			t.Ended++
			t.EndState = sc.State
		}
	case events.EventRejected:
		rj, err := events.DecodeRejection(e)
		if err != nil {
			return err
		}
		t.Rejections = append(t.Rejections, rj.Reason)
	}
	return nil
}
