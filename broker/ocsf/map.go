package ocsf

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
)

// product is the producer every record names.
var product = Product{Name: "Dataproc IIS", VendorName: "Dataproc IIS"}

// ErrUnmapped is returned for an event type this package has no class for
// (a type newer than the binary): the caller decides whether to skip it.
var ErrUnmapped = errors.New("ocsf: no OCSF class for the event type")

// Map turns one audit record, as published, into its OCSF record. The
// message is decoded and validated first: a record that is not a valid
// catalog event is an error, never a partial record.
func Map(m events.Message) (Event, error) {
	e, err := events.Decode(m)
	if err != nil {
		return Event{}, fmt.Errorf("events.Decode: %w", err)
	}
	out := Event{
		Time:     e.Time().UnixMilli(),
		Metadata: Metadata{Version: Version, Product: product, UID: e.ID(), LogName: "audit"},
		Unmapped: map[string]any{"cloudevents": cloudEvent(m)},
	}
	if v, ok := e.Extensions()[events.ExtRequestID].(string); ok {
		out.Metadata.CorrelationUID = v
	}
	out.severity(sevInformational)
	mapper, ok := mappers[e.Type()]
	if !ok {
		return Event{}, fmt.Errorf("%w: %s", ErrUnmapped, e.Type())
	}
	if err := mapper(e, &out); err != nil {
		return Event{}, fmt.Errorf("ocsf: %s: %w", e.Type(), err)
	}
	if spec, ok := events.Lookup(e.Type()); ok && spec.Channel != events.ChannelRequests {
		// Audit and identity data hold no secret; requests hold ID tokens
		// and are never copied.
		out.Unmapped["data"] = jsonRaw(e.Data())
	}
	return out, nil
}

// cloudEvent keeps every CloudEvents attribute of the record.
func cloudEvent(m events.Message) map[string]string {
	out := make(map[string]string, len(m.Attributes))
	for k, v := range m.Attributes {
		if name, ok := strings.CutPrefix(k, "ce-"); ok {
			out[name] = v
		}
	}
	return out
}

var mappers = map[string]func(event.Event, *Event) error{
	events.JobRequested:           mapJobRequested,
	events.JobApproved:            mapDecision,
	events.JobDenied:              mapDecision,
	events.CredentialIssued:       mapCredential,
	events.JobSubmitted:           mapSubmitted,
	events.JobStateChanged:        mapStateChanged,
	events.JobCancelRequested:     mapCancelRequested,
	events.AccessRevoked:          mapRevoked,
	events.UserProvisioned:        mapUserChange,
	events.UserUpdated:            mapUserChange,
	events.UserDeactivated:        mapUserChange,
	events.UserReactivated:        mapUserChange,
	events.UserDeleted:            mapUserChange,
	events.GroupMembershipChanged: mapMembership,
	events.EventRejected:          mapRejected,
	events.AuditCheckpointed:      mapCheckpoint,
	events.LoginFailed:            mapLoginFailed,
	events.LoginSucceeded:         mapLoginSucceeded,
	events.SessionIssued:          mapSession,
	events.ApprovalRequested:      mapApprovalRequested,
	events.ApprovalGranted:        mapApprovalAnswer,
	events.ApprovalRejected:       mapApprovalAnswer,
	events.ApprovalRecorded:       mapApprovalRecorded,
	events.ApprovalExpired:        mapApprovalExpired,
}

// Mapped reports whether Map has a class for the type.
func Mapped(typ string) bool { _, ok := mappers[typ]; return ok }

func broker(e event.Event) *Actor { return &Actor{AppName: e.Source()} }

func brokerEndpoint(e event.Event) *Endpoint {
	return &Endpoint{Name: e.Source(), SvcName: "dataproc-iis"}
}

func principalUser(p *events.Principal) *User {
	if p == nil {
		return user("", "unknown", "", userTypeUnknown)
	}
	typ := userTypeUser
	if p.Type == events.PrincipalWorkload {
		typ = userTypeSystem
	}
	u := user(p.ID, p.ID, p.Email, typ)
	for _, g := range p.Groups {
		u.Groups = append(u.Groups, Group{Name: g})
	}
	return u
}

func serviceAccount(sa string) *User { return user(sa, sa, sa, userTypeSystem) }

func reasons(rs []events.Reason) (code, detail string) {
	var codes, msgs []string
	for _, r := range rs {
		codes = append(codes, r.Code)
		msgs = append(msgs, r.Code+": "+r.Message)
	}
	return strings.Join(codes, ","), strings.Join(msgs, "; ")
}

func mapJobRequested(e event.Event, out *Event) error {
	r, err := events.DecodeJobRequest(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, 1, "")
	out.Actor = &Actor{AppName: e.Source()}
	out.API = &API{Operation: "job.requested", Service: &Service{Name: "dataproc-iis"}}
	out.SrcEndpoint = &Endpoint{Name: e.Source()}
	out.Resources = []Resource{{UID: r.Target.Project + "/" + r.Target.Region, Type: "dataproc_target", Name: r.Job.Type}}
	out.Message = "a job was requested (the ID token is never copied)"
	return nil
}

func mapDecision(e event.Event, out *Event) error {
	d, err := events.DecodeJobDecision(e)
	if err != nil {
		return err
	}
	out.User = principalUser(d.Principal)
	code, detail := reasons(d.Reasons)
	out.StatusCode = code
	out.DstEndpoint = brokerEndpoint(e)
	if d.Outcome == events.OutcomeApproved {
		out.classify(classAuthorize, 1, "")
		out.status(statusSuccess, detail)
		out.Privileges = nonEmpty(d.Role, d.ServiceAccount)
		out.Message = fmt.Sprintf("job request %s approved: role %s as %s", d.RequestID, d.Role, d.ServiceAccount)
		return nil
	}
	out.severity(sevLow)
	if d.Principal == nil {
		// The token was not accepted: an authentication failure.
		out.classify(classAuthentication, 1, "")
		out.status(statusFailure, detail)
		out.Message = fmt.Sprintf("job request %s denied: the requester was not authenticated", d.RequestID)
		return nil
	}
	out.classify(classAuthorize, 1, "")
	out.status(statusFailure, detail)
	out.Privileges = nonEmpty(d.Role)
	if len(out.Privileges) == 0 {
		out.Privileges = []string{"(none)"}
	}
	out.Message = fmt.Sprintf("job request %s denied", d.RequestID)
	return nil
}

func mapCredential(e event.Event, out *Event) error {
	c, err := events.DecodeIssuedCredential(e)
	if err != nil {
		return err
	}
	out.classify(classAuthentication, activityOther, "Credential Issued")
	out.status(statusSuccess, "")
	out.User = serviceAccount(c.ServiceAccount)
	out.Session = &Session{UID: c.Fingerprint, ExpirationTime: c.ExpireTime.UnixMilli(), Issuer: "iamcredentials.googleapis.com"}
	out.DstEndpoint = &Endpoint{SvcName: "iamcredentials.googleapis.com"}
	out.Message = fmt.Sprintf("a %s access token was minted for %s (request %s)", c.Lifetime, c.ServiceAccount, c.RequestID)
	return nil
}

func mapSubmitted(e event.Event, out *Event) error {
	s, err := events.DecodeJobSubmission(e)
	if err != nil {
		return err
	}
	op := "CreateBatch"
	if s.Kind == events.KindJob {
		op = "SubmitJob"
	}
	out.classify(classAPIActivity, 1, "")
	out.status(statusSuccess, "")
	out.Actor = &Actor{User: serviceAccount(s.ServiceAccount), AppName: e.Source()}
	out.API = &API{Operation: op, Service: &Service{Name: "dataproc.googleapis.com"}}
	out.SrcEndpoint = brokerEndpoint(e)
	out.Resources = []Resource{{UID: s.Resource, Type: "dataproc_" + s.Kind}}
	return nil
}

func mapStateChanged(e event.Event, out *Event) error {
	s, err := events.DecodeStateChange(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, 3, "")
	status := statusSuccess
	switch s.State {
	case "FAILED", "ERROR":
		status = statusFailure
		out.severity(sevLow)
	}
	out.status(status, s.State+": "+s.Detail)
	out.StatusCode = s.State
	out.Actor = broker(e)
	out.API = &API{Operation: "job.state_changed", Service: &Service{Name: "dataproc.googleapis.com"}}
	out.SrcEndpoint = brokerEndpoint(e)
	out.Resources = []Resource{{UID: s.Resource, Type: "dataproc_workload"}}
	return nil
}

func mapCancelRequested(e event.Event, out *Event) error {
	c, err := events.DecodeCancelRequest(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, 4, "")
	out.Actor = &Actor{AppName: e.Source()}
	out.API = &API{Operation: "job.cancel_requested", Service: &Service{Name: "dataproc-iis"}}
	out.SrcEndpoint = &Endpoint{Name: e.Source()}
	out.Resources = []Resource{{UID: c.RequestID, Type: "job_request"}}
	return nil
}

func mapRevoked(e event.Event, out *Event) error {
	r, err := events.DecodeRevocation(e)
	if err != nil {
		return err
	}
	out.classify(classUserAccess, 2, "")
	out.User = principalUser(&r.Principal)
	failed := 0
	for _, a := range r.Actions {
		out.Privileges = append(out.Privileges, a.Kind+":"+a.Resource)
		out.Resources = append(out.Resources, Resource{UID: a.Resource, Type: a.Kind, Name: a.Outcome})
		if a.Outcome == events.ActionFailed {
			failed++
		}
	}
	if len(out.Privileges) == 0 {
		out.Privileges = []string{"(none held)"}
	}
	out.status(statusSuccess, fmt.Sprintf("%s: %d actions in %d ms", r.Trigger.Action, len(r.Actions), r.LatencyMS))
	if failed > 0 {
		out.status(statusFailure, fmt.Sprintf("%s: %d of %d actions failed", r.Trigger.Action, failed, len(r.Actions)))
		out.severity(sevMedium)
	}
	out.Unmapped["latency_ms"] = r.LatencyMS
	return nil
}

var userActivity = map[string]int{
	events.UserProvisioned: 1, events.UserReactivated: 2, events.UserDeactivated: 5, events.UserDeleted: 6, events.UserUpdated: activityOther,
}

func mapUserChange(e event.Event, out *Event) error {
	c, err := events.DecodeUserChange(e)
	if err != nil {
		return err
	}
	name := ""
	if e.Type() == events.UserUpdated {
		name = "Update"
	}
	out.classify(classAccountChange, userActivity[e.Type()], name)
	out.status(statusSuccess, strings.Join(c.Changed, ","))
	email := ""
	if len(c.User.Emails) > 0 {
		email = c.User.Emails[0]
	}
	out.User = user(c.User.ID, c.User.UserName, email, userTypeUser)
	for _, g := range c.User.Groups {
		out.User.Groups = append(out.User.Groups, Group{Name: g})
	}
	if c.Actor != "" {
		out.Actor = &Actor{AppName: c.Actor}
	}
	return nil
}

func mapMembership(e event.Event, out *Event) error {
	c, err := events.DecodeMembershipChange(e)
	if err != nil {
		return err
	}
	switch {
	case len(c.Added) > 0 && len(c.Removed) == 0:
		out.classify(classGroupMgmt, 3, "")
	case len(c.Removed) > 0 && len(c.Added) == 0:
		out.classify(classGroupMgmt, 4, "")
	default:
		out.classify(classGroupMgmt, activityOther, "Membership Changed")
	}
	out.status(statusSuccess, fmt.Sprintf("%d added, %d removed", len(c.Added), len(c.Removed)))
	out.Group = &Group{UID: c.Group.ID, Name: c.Group.DisplayName}
	if members := append(append([]events.Member(nil), c.Added...), c.Removed...); len(members) == 1 {
		out.User = user(members[0].ID, members[0].UserName, "", userTypeUser)
	}
	if c.Actor != "" {
		out.Actor = &Actor{AppName: c.Actor}
	}
	return nil
}

func mapRejected(e event.Event, out *Event) error {
	r, err := events.DecodeRejection(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, activityOther, "Reject")
	out.status(statusFailure, r.Detail)
	out.StatusCode = r.Reason
	out.severity(sevLow)
	out.Actor = broker(e)
	out.API = &API{Operation: "receive", Service: &Service{Name: "pubsub.googleapis.com"}}
	out.SrcEndpoint = &Endpoint{Name: r.ReceivedSource}
	if out.SrcEndpoint.Name == "" {
		out.SrcEndpoint.Name = "unknown"
	}
	out.Resources = []Resource{{UID: r.ReceivedID, Type: r.ReceivedType, Name: r.MessageID}}
	return nil
}

func mapCheckpoint(e event.Event, out *Event) error {
	c, err := events.DecodeCheckpoint(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, 1, "")
	out.status(statusSuccess, fmt.Sprintf("chain %s: %d records, head %s", c.ChainID, c.Count, c.Hash))
	out.Actor = broker(e)
	out.API = &API{Operation: "audit.checkpoint", Service: &Service{Name: "dataproc-iis"}}
	out.SrcEndpoint = brokerEndpoint(e)
	out.Resources = []Resource{{UID: c.ChainID, Type: "audit_chain", Name: fmt.Sprint(c.Seq)}}
	return nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
