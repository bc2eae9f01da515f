package ocsf

import (
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/events"
)

// loginEndpoints are the two ends of a login: the person's client and the
// login service.
func loginEndpoints(e event.Event, l events.Login, out *Event) {
	out.SrcEndpoint = &Endpoint{Name: l.Client, IP: l.RemoteIP}
	if out.SrcEndpoint.Name == "" && out.SrcEndpoint.IP == "" {
		out.SrcEndpoint = nil
	}
	out.DstEndpoint = &Endpoint{Name: e.Source(), SvcName: "dataproc-iis login"}
	out.Unmapped["login"] = map[string]string{"idp": l.IdP, "protocol": l.Protocol, "flow_id": l.FlowID}
}

func mapLoginFailed(e event.Event, out *Event) error {
	f, err := events.DecodeLoginFailure(e)
	if err != nil {
		return err
	}
	out.classify(classAuthentication, 1, "")
	out.status(statusFailure, fmt.Sprintf("%s at %s: %s", f.Reason, f.Stage, f.Message))
	out.StatusCode = f.Reason
	out.severity(sevLow)
	switch {
	case f.Principal != nil:
		out.User = principalUser(f.Principal)
		out.User.UID = f.UserID
		if out.User.UID == "" {
			out.User.UID = f.Principal.ID
		}
	case f.Login.Subject != "":
		out.User = user(f.Login.Subject, f.Login.Subject, "", userTypeUnknown)
	default:
		out.User = user("", "unknown", "", userTypeUnknown)
	}
	loginEndpoints(e, f.Login, out)
	return nil
}

func mapLoginSucceeded(e event.Event, out *Event) error {
	s, err := events.DecodeLoginSuccess(e)
	if err != nil {
		return err
	}
	out.classify(classAuthentication, 1, "")
	out.status(statusSuccess, "")
	out.User = principalUser(&s.Principal)
	out.User.UID = s.UserID
	out.Session = &Session{UID: s.SessionFingerprint}
	loginEndpoints(e, s.Login, out)
	return nil
}

func mapSession(e event.Event, out *Event) error {
	s, err := events.DecodeIssuedSession(e)
	if err != nil {
		return err
	}
	name := "Session Issued"
	if s.Reason == events.SessionRefresh {
		name = "Session Refreshed"
	}
	out.classify(classAuthentication, activityOther, name)
	out.status(statusSuccess, "")
	out.User = principalUser(&s.Principal)
	out.User.UID = s.UserID
	out.Session = &Session{UID: s.Fingerprint, ExpirationTime: s.ExpiresAt.UnixMilli(), Issuer: s.Issuer}
	out.DstEndpoint = &Endpoint{Name: e.Source(), SvcName: "dataproc-iis session"}
	out.Unmapped["session"] = map[string]string{"key_id": s.KeyID, "idp": s.IdP, "reason": s.Reason, "refreshed_from": s.RefreshedFrom}
	return nil
}
