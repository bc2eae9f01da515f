package timeline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// record is one audit event as the page shows it.
type record struct {
	Seq       int64
	Time      time.Time
	Type      string // without the prefix and version: "job.approved"
	ID        string
	RequestID string
	Cause     string
	Trace     string // the W3C trace id, to find the trace
	Class     string // ok, denied, warn, info: the row's colour
	Title     string
	Facts     []fact
	Reasons   []events.Reason
	Actions   []events.RevokeAction

	trigger   *record // job.approved/denied: the request it decided
	Principal string  // who the event is about
	Trigger   string  // access.revoked: what started the cascade
	LatencyMS int64   // access.revoked: SCIM change to last cancel
	outcome   string
	state     string
	revoked   *events.Revocation
}

// fact is a label and a value.
type fact struct{ Label, Value string }

// readTrail decodes the newest window records of the audit trail, in chain
// order, and says whether older records were left out.
func readTrail(ctx context.Context, st Trail, window int) ([]record, bool, error) {
	var head int64
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		head, _, err = tx.ChainHead(ctx)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store.ChainHead: %w", err)
	}
	after := max(0, head-int64(window))
	msgs, err := st.AuditTrail(ctx, after, window)
	if err != nil {
		return nil, false, fmt.Errorf("store.AuditTrail: %w", err)
	}
	out := make([]record, 0, len(msgs))
	for _, m := range msgs {
		e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			out = append(out, record{Seq: m.Seq, ID: m.EventID, Type: "undecodable", Class: "warn", Title: "a record that does not decode: " + err.Error()})
			continue
		}
		out = append(out, describe(m.Seq, e))
	}
	return out, after > 0, nil
}

func ext(e event.Event, name string) string {
	s, _ := e.Extensions()[name].(string)
	return s
}

// describe turns an audit event into what a person reads. Only the
// events' own fields are shown: they never hold a secret (the catalog's
// schemas and the secret scan see to that).
func describe(seq int64, e event.Event) record {
	r := record{Seq: seq, Time: e.Time().UTC(), ID: e.ID(), Type: short(e.Type()), RequestID: ext(e, events.ExtRequestID),
		Cause: ext(e, events.ExtCausationID), Class: "info", Title: short(e.Type())}
	if tp := ext(e, events.ExtTraceparent); len(tp) >= 35 {
		r.Trace = tp[3:35]
	}
	switch e.Type() {
	case events.JobApproved, events.JobDenied:
		d, err := events.DecodeJobDecision(e)
		if err != nil {
			break
		}
		r.outcome, r.Reasons = d.Outcome, d.Reasons
		r.Class, r.Title = "ok", "Approved: role "+d.Role
		if d.Outcome != events.OutcomeApproved {
			r.Class, r.Title = "denied", "Denied at the "+or(d.Input.Stage, "policy")+" stage"
		}
		if d.Principal != nil {
			r.Principal = d.Principal.ID
			r.Facts = append(r.Facts, fact{"principal", d.Principal.ID + " (" + d.Principal.Type + ", " + d.Principal.Issuer + ")"})
			if len(d.Principal.Groups) > 0 {
				r.Facts = append(r.Facts, fact{"groups", strings.Join(d.Principal.Groups, ", ")})
			}
		}
		r.Facts = appendIf(r.Facts, "rule that matched", d.Binding)
		r.Facts = appendIf(r.Facts, "service account", d.ServiceAccount)
		r.Facts = appendIf(r.Facts, "policy version", d.PolicyVersion)
		r.Facts = appendIf(r.Facts, "max duration", d.MaxDuration)
		if fp, ok := d.Input.Identity["token_fingerprint"].(string); ok {
			r.Facts = append(r.Facts, fact{"token", fp})
		}
		r.trigger = requested(e, d)
	case events.CredentialIssued:
		c, err := events.DecodeIssuedCredential(e)
		if err != nil {
			break
		}
		r.Class, r.Title = "ok", "Credential issued for "+c.ServiceAccount
		r.Facts = []fact{{"fingerprint", c.Fingerprint}, {"expires", c.ExpireTime.UTC().Format(time.RFC3339)}, {"lifetime", c.Lifetime},
			{"scopes", strings.Join(c.Scopes, " ")}}
	case events.JobSubmitted:
		s, err := events.DecodeJobSubmission(e)
		if err != nil {
			break
		}
		r.state, r.Class, r.Title = "PENDING", "ok", "Submitted to Dataproc ("+s.Kind+")"
		r.Facts = []fact{{"resource", s.Resource}, {"runs as", s.ServiceAccount}, {"Dataproc request id", s.DataprocRequestID}}
	case events.JobStateChanged:
		s, err := events.DecodeStateChange(e)
		if err != nil {
			break
		}
		r.state, r.Title = s.State, "State: "+or(s.PreviousState, "?")+" → "+s.State
		switch s.State {
		case "SUCCEEDED", "RUNNING", "PENDING":
			r.Class = "ok"
		case "CANCELLING", "CANCELLED", "FAILED":
			r.Class = "warn"
		}
		r.Facts = appendIf(nil, "detail", s.Detail)
	case events.EventRejected:
		rj, err := events.DecodeRejection(e)
		if err != nil {
			break
		}
		r.Class, r.Title = "denied", "Rejected: "+rj.Reason
		r.Facts = appendIf(nil, "detail", rj.Detail)
	case events.AccessRevoked:
		rv, err := events.DecodeRevocation(e)
		if err != nil {
			break
		}
		r.revoked, r.Principal, r.Actions = &rv, rv.Principal.ID, rv.Actions
		r.Trigger, r.LatencyMS = rv.Trigger.Action, rv.LatencyMS
		r.Class, r.Title = "warn", fmt.Sprintf("Access revoked (%s): %d actions in %d ms", rv.Trigger.Action, len(rv.Actions), rv.LatencyMS)
		r.Facts = []fact{{"principal", rv.Principal.ID}, {"trigger", rv.Trigger.EventType + " " + rv.Trigger.EventID},
			{"latency", fmt.Sprintf("%d ms from the SCIM change to the last cancel", rv.LatencyMS)}}
	case events.UserDeactivated, events.UserDeleted, events.UserReactivated, events.UserProvisioned, events.UserUpdated:
		u, err := events.DecodeUserChange(e)
		if err != nil {
			break
		}
		r.Principal, r.Title = strings.ToLower(u.User.UserName), "Directory: "+r.Type+" "+u.User.UserName
		r.Facts = appendIf(nil, "by", u.Actor)
	}
	return r
}

// requested is the trigger of a decision: the job request, as the
// decision's input snapshot recorded it (the request itself, with its
// token, is not in the audit trail).
func requested(e event.Event, d events.JobDecision) *record {
	f := d.Input.Request
	t, j := f.Target, f.Job
	r := &record{Time: d.Input.Time, Type: "job.requested", ID: d.RequestID, RequestID: d.RequestID, Class: "info",
		Title: "Requested: " + j.Type + " on " + strings.Trim(t.Project+"/"+t.Region+"/"+t.Cluster, "/")}
	r.Facts = appendIf(r.Facts, "main", j.MainPythonURI+j.MainClass+j.MainJarURI)
	r.Facts = appendIf(r.Facts, "role asked for", f.Role)
	r.Facts = appendIf(r.Facts, "justification", f.Justification)
	r.Facts = appendIf(r.Facts, "max duration", f.MaxDuration)
	if d.Principal != nil {
		r.Facts = append(r.Facts, fact{"by", d.Principal.ID})
	}
	return r
}

func appendIf(fs []fact, label, value string) []fact {
	if value == "" {
		return fs
	}
	return append(fs, fact{label, value})
}

func short(typ string) string {
	typ = strings.TrimPrefix(typ, events.Prefix+".")
	if i := strings.LastIndex(typ, ".v"); i > 0 {
		return typ[:i]
	}
	return typ
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func sortStrings(s []string) { sort.Strings(s) }

// request is one request's trail, trigger to output.
type request struct {
	ID        string
	Principal string
	Outcome   string
	State     string
	Started   time.Time
	Records   []record
	Cascades  []record // the access.revoked that cancelled its job
	Trace     string
}

// requests groups the trail by request id, newest first.
func requests(trail []record) []*request {
	byID := map[string]*request{}
	var order []*request
	for _, r := range trail {
		if r.RequestID == "" || r.Type == "access.revoked" {
			continue
		}
		q := byID[r.RequestID]
		if q == nil {
			q = &request{ID: r.RequestID, Started: r.Time, Trace: r.Trace}
			byID[r.RequestID] = q
			order = append(order, q)
		}
		if r.trigger != nil && len(q.Records) == 0 {
			q.Records = append(q.Records, *r.trigger)
		}
		q.Records = append(q.Records, r)
		if r.Principal != "" && q.Principal == "" {
			q.Principal = r.Principal
		}
		if r.outcome != "" {
			q.Outcome = r.outcome
		}
		if r.state != "" {
			q.State = r.state
		}
	}
	// A job cancelled by a cascade: the cascade's access.revoked caused its
	// CANCELLING change.
	revs := map[string]record{}
	for _, r := range trail {
		if r.revoked != nil {
			revs[r.ID] = r
		}
	}
	for _, q := range order {
		for _, r := range q.Records {
			if rv, ok := revs[r.Cause]; ok {
				q.Cascades = append(q.Cascades, rv)
			}
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Started.After(order[j].Started) })
	return order
}
