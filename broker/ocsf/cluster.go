package ocsf

import (
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
)

// The cluster and access events: requests are API Activity, decisions
// Authorize Session (Authentication when the token failed), what the broker
// does to clusters API Activity on Dataproc, and access bindings User
// Access Management.
func init() {
	for typ, m := range map[string]func(event.Event, *Event) error{
		events.ClusterRequested:       mapClusterRequested,
		events.ClusterApproved:        mapClusterDecision,
		events.ClusterDenied:          mapClusterDecision,
		events.ClusterCreated:         mapClusterCreated,
		events.ClusterStateChanged:    mapClusterState,
		events.ClusterDeleteRequested: mapClusterDeleteRequested,
		events.ClusterDeleted:         mapClusterDeleted,
		events.AccessRequested:        mapAccessRequested,
		events.AccessApproved:         mapAccessDecision,
		events.AccessDenied:           mapAccessDecision,
		events.AccessGranted:          mapAccessGranted,
		events.AccessExpired:          mapAccessExpired,
		events.AccessDriftFound:       mapAccessDrift,
	} {
		mappers[typ] = m
	}
}

// requested maps a request event: the token it carries is never copied.
func requested(e event.Event, out *Event, activity int, op string, res Resource) {
	out.classify(classAPIActivity, activity, "")
	out.Actor = &Actor{AppName: e.Source()}
	out.API = &API{Operation: op, Service: &Service{Name: "dataproc-iis"}}
	out.SrcEndpoint = &Endpoint{Name: e.Source()}
	out.Resources = []Resource{res}
	out.Message = "a " + strings.ReplaceAll(op, "_", " ") + " (the ID token is never copied)"
}

func mapClusterRequested(e event.Event, out *Event) error {
	r, err := events.DecodeClusterRequest(e)
	if err != nil {
		return err
	}
	requested(e, out, 1, "cluster.requested", Resource{UID: r.Project + "/" + r.Region, Type: "dataproc_cluster_request", Name: r.Template})
	return nil
}

func mapClusterDeleteRequested(e event.Event, out *Event) error {
	r, err := events.DecodeClusterDeleteRequest(e)
	if err != nil {
		return err
	}
	requested(e, out, 4, "cluster.delete_requested", Resource{UID: r.RequestID, Type: "cluster_request"})
	return nil
}

func mapAccessRequested(e event.Event, out *Event) error {
	r, err := events.DecodeAccessRequest(e)
	if err != nil {
		return err
	}
	uid := r.ClusterRequestID
	if uid == "" {
		uid = r.JobRequestID
	}
	requested(e, out, 1, "access.requested", Resource{UID: uid, Type: "access_" + r.View})
	return nil
}

// decided maps an approval or a denial (a denial without a principal is an
// authentication failure).
func decided(e event.Event, out *Event, p *events.Principal, approved bool, what, id string, privileges []string, code, detail string) {
	out.User = principalUser(p)
	out.StatusCode = code
	out.DstEndpoint = brokerEndpoint(e)
	out.classify(classAuthorize, 1, "")
	if approved {
		out.status(statusSuccess, detail)
		out.Privileges = privileges
		out.Message = fmt.Sprintf("%s %s approved", what, id)
		return
	}
	out.severity(sevLow)
	out.status(statusFailure, detail)
	out.Message = fmt.Sprintf("%s %s denied", what, id)
	if p == nil {
		out.classify(classAuthentication, 1, "")
		return
	}
	if out.Privileges = privileges; len(out.Privileges) == 0 {
		out.Privileges = []string{"(none)"}
	}
}

func mapClusterDecision(e event.Event, out *Event) error {
	d, err := events.DecodeClusterDecision(e)
	if err != nil {
		return err
	}
	var codes, msgs []string
	for _, r := range d.Reasons {
		codes = append(codes, r.Code)
		m := r.Code + ": " + r.Message
		if r.Field != "" {
			m += " [" + r.Field + "; " + r.Cap + "]"
		}
		msgs = append(msgs, m)
	}
	decided(e, out, d.Principal, d.Outcome == events.OutcomeApproved, "cluster request", d.RequestID,
		nonEmpty(d.Role, d.Template, d.ServiceAccount), strings.Join(codes, ","), strings.Join(msgs, "; "))
	if d.Cluster != "" {
		out.Resources = []Resource{{UID: d.Project + "/" + d.Region + "/" + d.Cluster, Type: "dataproc_cluster", Name: d.Template}}
	}
	return nil
}

func mapAccessDecision(e event.Event, out *Event) error {
	d, err := events.DecodeAccessDecision(e)
	if err != nil {
		return err
	}
	code, detail := reasons(d.Reasons)
	decided(e, out, d.Principal, d.Outcome == events.OutcomeApproved, "access request", d.RequestID,
		nonEmpty(d.IAMRole, d.View), code, detail)
	if d.Resource != "" {
		out.Resources = []Resource{{UID: d.Resource, Type: "dataproc_cluster", Name: d.View}}
	}
	return nil
}

// onCluster maps what the broker did to a cluster through Dataproc's API.
func onCluster(e event.Event, out *Event, activity int, op, resource string, ok bool, detail string) {
	out.classify(classAPIActivity, activity, "")
	out.Actor = broker(e)
	out.API = &API{Operation: op, Service: &Service{Name: "dataproc.googleapis.com"}}
	out.SrcEndpoint = brokerEndpoint(e)
	out.Resources = []Resource{{UID: resource, Type: "dataproc_cluster"}}
	out.status(statusSuccess, detail)
	if !ok {
		out.status(statusFailure, detail)
		out.severity(sevLow)
	}
}

func mapClusterCreated(e event.Event, out *Event) error {
	c, err := events.DecodeClusterCreation(e)
	if err != nil {
		return err
	}
	onCluster(e, out, 1, "CreateCluster", c.Resource, true, "auto-delete by "+c.AutoDeleteTime.UTC().Format("2006-01-02T15:04:05Z"))
	out.Actor.User = serviceAccount(c.ServiceAccount)
	return nil
}

func mapClusterState(e event.Event, out *Event) error {
	s, err := events.DecodeClusterStateChange(e)
	if err != nil {
		return err
	}
	onCluster(e, out, 3, "cluster.state_changed", s.Resource, s.State != "ERROR" && s.State != "NOT_CREATED", s.State+": "+s.Detail)
	out.StatusCode = s.State
	return nil
}

func mapClusterDeleted(e event.Event, out *Event) error {
	d, err := events.DecodeClusterDeletion(e)
	if err != nil {
		return err
	}
	onCluster(e, out, 4, "DeleteCluster", d.Resource, true, d.Reason+": "+d.Detail)
	out.StatusCode = d.Reason
	return nil
}

// binding maps an access binding given or taken away.
func binding(out *Event, activity int, name, member, role, resource string) {
	out.classify(classUserAccess, activity, name)
	out.User = user(member, member, strings.TrimPrefix(strings.TrimPrefix(member, "user:"), "serviceAccount:"), userTypeUser)
	if strings.HasPrefix(member, "serviceAccount:") {
		out.User.TypeID, out.User.Type = userTypeSystem, userTypeNames[userTypeSystem]
	}
	out.Privileges = []string{role + " on " + resource}
	out.Resources = []Resource{{UID: resource, Type: "dataproc_cluster", Name: role}}
}

func mapAccessGranted(e event.Event, out *Event) error {
	g, err := events.DecodeAccessGrant(e)
	if err != nil {
		return err
	}
	binding(out, 1, "Assign Privileges", g.Member, g.IAMRole, g.Resource)
	out.status(statusSuccess, g.Condition.Expression)
	out.Message = fmt.Sprintf("%s holds %s on %s until %s", g.Member, g.IAMRole, g.Resource, g.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"))
	return nil
}

func mapAccessExpired(e event.Event, out *Event) error {
	x, err := events.DecodeAccessExpiry(e)
	if err != nil {
		return err
	}
	binding(out, 2, "", x.Member, x.IAMRole, x.Resource)
	out.status(statusSuccess, "expired: "+x.Outcome)
	return nil
}

func mapAccessDrift(e event.Event, out *Event) error {
	d, err := events.DecodeAccessDrift(e)
	if err != nil {
		return err
	}
	out.classify(classAPIActivity, activityOther, "Drift Found")
	out.Actor = broker(e)
	out.API = &API{Operation: "access.drift_found", Service: &Service{Name: "dataproc.googleapis.com"}}
	out.SrcEndpoint = brokerEndpoint(e)
	out.severity(sevMedium)
	var parts []string
	for _, f := range d.Findings {
		out.Resources = append(out.Resources, Resource{UID: d.Resource, Type: "iam_binding_" + f.Kind, Name: f.Member + " " + f.IAMRole})
		parts = append(parts, f.Kind+" "+f.Member+" "+f.IAMRole+": "+f.Action)
	}
	out.status(statusSuccess, strings.Join(parts, "; "))
	return nil
}
