package approval

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// URLPlaceholder is replaced by the request id in an approval URL
// template (https://iis.example.com/approvals/{request_id}).
const URLPlaceholder = "{request_id}"

// Pending is a job request that starts waiting for approvers, as the
// request handler decided it.
type Pending struct {
	Request   event.Event // the job.requested
	Facts     events.RequestFacts
	Requester events.Principal // as the decision event shows the requester
	Principal string           // the name the decision is recorded under
	UserID    string
	Role      string
	Binding   string
	Account   string // the role's service account
	Version   string // the policy version
	Need      policy.Approval
	Digest    string   // the decision's digest of the request
	Chain     []string // the requester's chain (directory.Chain)
	At        time.Time
	URL       string // approval URL template, or ""
}

// Build returns the record of the waiting request and its
// job.approval_requested event (caused by the request, in its trail).
func (p Pending) Build(source string) (store.ApprovalRequest, event.Event, error) {
	reqs := make([]events.ApprovalRequirement, len(p.Need.Requirements))
	stored := make([]store.ApprovalRequirement, len(p.Need.Requirements))
	for i, r := range p.Need.Requirements {
		reqs[i] = events.ApprovalRequirement{Rule: r.Rule, Approvers: r.Approvers, Count: r.Count, Reason: r.Reason}
		stored[i] = store.ApprovalRequirement(reqs[i])
	}
	expires := p.At.Add(p.Need.ExpiresAfter).UTC()
	data := events.ApprovalRequest{
		RequestID: p.Request.ID(), RequestDigest: p.Digest, Principal: p.Requester, Role: p.Role, Binding: p.Binding,
		ServiceAccount: p.Account, PolicyVersion: p.Version, Requirements: reqs, ExpiresAt: expires, Request: p.Facts,
	}
	if p.Need.Window > 0 {
		data.Window = p.Need.Window.String()
	}
	if p.URL != "" {
		data.ApprovalURL = strings.ReplaceAll(p.URL, URLPlaceholder, url.PathEscape(p.Request.ID()))
	}
	ev, err := events.NewApprovalRequested(source, data, events.WithCause(p.Request), events.WithSubject(p.Request.ID()))
	if err != nil {
		return store.ApprovalRequest{}, event.Event{}, fmt.Errorf("approval: build approval requested: %w", err)
	}
	requester, err := json.Marshal(p.Requester)
	if err != nil {
		return store.ApprovalRequest{}, event.Event{}, err
	}
	facts, err := json.Marshal(p.Facts)
	if err != nil {
		return store.ApprovalRequest{}, event.Event{}, err
	}
	tp, _ := p.Request.Extensions()[events.ExtTraceparent].(string)
	r := store.ApprovalRequest{
		RequestKey: store.EventKey(p.Request.Source(), p.Request.ID()), RequestID: p.Request.ID(), Source: p.Request.Source(),
		Traceparent: tp, Principal: p.Principal, UserID: p.UserID, Role: p.Role, Binding: p.Binding,
		Status: store.ApprovalPending, RequestDigest: p.Digest, PolicyVersion: p.Version,
		Requester: requester, Facts: facts, Requirements: stored, Chain: p.Chain, Window: p.Need.Window,
		EventID: ev.ID(), ExpiresAt: expires,
	}
	return r, ev, nil
}

// Requirements returns the policy form of a waiting request's rules.
func Requirements(r store.ApprovalRequest) []policy.ApprovalRequirement {
	out := make([]policy.ApprovalRequirement, len(r.Requirements))
	for i, q := range r.Requirements {
		out[i] = policy.ApprovalRequirement(q)
	}
	return out
}
