package ocsf

import (
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
)

// Approvals map to Authorize Session records (class 3003): the request that
// waits for approvers (its requester, the role it would get), each
// approver's answer the broker counted (the approver, what they approve),
// and an expiry (the requester, denied); an approver's answer as received
// is an API Activity, like a job request (its token is never copied).

func approvalPrivileges(role string, counts []events.ApprovalCount) []string {
	out := nonEmpty(role)
	for _, c := range counts {
		out = append(out, fmt.Sprintf("approval:%s %d/%d", c.Rule, len(c.Approvers), c.Count))
	}
	if len(out) == 0 {
		out = []string{"(none)"}
	}
	return out
}

func mapApprovalRequested(e event.Event, out *Event) error {
	a, err := events.DecodeApprovalRequest(e)
	if err != nil {
		return err
	}
	out.classify(classAuthorize, activityOther, "Approval Requested")
	out.User = principalUser(&a.Principal)
	out.DstEndpoint = brokerEndpoint(e)
	var needs []string
	for _, r := range a.Requirements {
		needs = append(needs, fmt.Sprintf("%s: %d of %s", r.Rule, r.Count, strings.Join(r.Approvers, ",")))
	}
	out.Privileges = nonEmpty(a.Role, a.ServiceAccount)
	out.StatusDetail = strings.Join(needs, "; ")
	out.Message = fmt.Sprintf("job request %s waits for approvers until %s", a.RequestID, a.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"))
	out.Unmapped["approval"] = map[string]any{"request_digest": a.RequestDigest, "expires_at": a.ExpiresAt, "approval_url": a.ApprovalURL}
	return nil
}

func mapApprovalAnswer(e event.Event, out *Event) error {
	v, err := events.DecodeApprovalVerdict(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, 3, "")
	out.Actor = &Actor{AppName: e.Source()}
	out.API = &API{Operation: strings.TrimSuffix(strings.TrimPrefix(e.Type(), events.Prefix+"."), ".v1"), Service: &Service{Name: "dataproc-iis"}}
	out.SrcEndpoint = &Endpoint{Name: e.Source()}
	out.Resources = []Resource{{UID: v.RequestID, Type: "job_request", Name: v.RequestDigest}}
	out.Message = "an approver answered a request (the token is never copied)"
	return nil
}

func mapApprovalRecorded(e event.Event, out *Event) error {
	r, err := events.DecodeRecordedApproval(e)
	if err != nil {
		return err
	}
	out.classify(classAuthorize, activityOther, "Approval "+strings.ToUpper(r.Verdict[:1])+r.Verdict[1:])
	out.User = principalUser(&r.Approver)
	out.Session = &Session{UID: r.TokenFingerprint}
	out.DstEndpoint = brokerEndpoint(e)
	out.Privileges = approvalPrivileges("", r.Counts)
	out.status(statusSuccess, r.Comment)
	out.StatusCode = r.Verdict
	out.Message = fmt.Sprintf("%s %s request %s (complete: %v)", r.Approver.ID, r.Verdict, r.RequestID, r.Complete)
	out.Resources = []Resource{{UID: r.RequestID, Type: "job_request"}}
	return nil
}

func mapApprovalExpired(e event.Event, out *Event) error {
	x, err := events.DecodeApprovalExpiry(e)
	if err != nil {
		return err
	}
	out.classify(classAuthorize, activityOther, "Approval Expired")
	out.User = principalUser(&x.Principal)
	out.DstEndpoint = brokerEndpoint(e)
	out.Privileges = approvalPrivileges("", x.Counts)
	out.status(statusFailure, "nobody approved the request in time")
	out.StatusCode = "approval_expired"
	out.severity(sevLow)
	out.Message = fmt.Sprintf("job request %s expired unapproved", x.RequestID)
	return nil
}
