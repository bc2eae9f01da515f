package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("run", "submit a job with your session (or a token) and follow it until it ends", runRun)
}

// refreshBefore: a stored session closer than this to its expiry is
// refreshed before a run.
const refreshBefore = 5 * time.Minute

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var ps pubsubSettings
	var data, token, role, justification string
	var timeout, progress time.Duration
	f := newFlags("run", stderr)
	ps.register(f)
	f.StringVar(&data, "data", "", "the job request as JSON (target, job, ...), or @file")
	f.StringVar(&token, "token", "", "an ID token or session token, or @file (default: the session of `iis login`)")
	f.StringVar(&role, "role", "", "role to ask for (default: the policy picks)")
	f.StringVar(&justification, "justification", "", "why, for the audit trail")
	f.DurationVar(&timeout, "timeout", 2*time.Hour, "stop following after this long")
	f.DurationVar(&progress, "progress", 10*time.Second, "how often to print a progress line while the job runs")
	if err := f.Parse(args); err != nil {
		return err
	}
	body, err := readArg(data)
	if err != nil {
		return err
	}
	var req events.JobRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("-data must be a job request in JSON: %w", err)
	}
	if role != "" {
		req.Role = role
	}
	if justification != "" {
		req.Justification = justification
	}
	who := ""
	if token != "" {
		b, err := readArg(token)
		if err != nil {
			return err
		}
		req.IDToken = strings.TrimSpace(string(b))
	} else {
		s, err := currentSession(ctx, stderr)
		if err != nil {
			return err
		}
		req.IDToken, who = s.Token, s.User
	}
	id := uuid.NewString()
	e, err := events.NewJobRequested("//dataproc-iis/cli/"+userName(), req, events.WithID(id))
	if err != nil {
		return fmt.Errorf("refusing to submit: %w", err)
	}
	m, err := events.Encode(e)
	if err != nil {
		return err
	}
	c, err := ps.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// Subscribe first, so that no step is missed.
	sub := transport.SubscriptionName(c.Project(), "iis-run-"+id[:8])
	_, err = c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: sub, Topic: transport.TopicName(c.Project(), ps.Topo.Audit), AckDeadlineSeconds: 10,
	})
	if err != nil {
		return fmt.Errorf("pubsub.CreateSubscription: %w", err)
	}
	defer c.SubscriptionAdminClient.DeleteSubscription(context.WithoutCancel(ctx), &pubsubpb.DeleteSubscriptionRequest{Subscription: sub})
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	if _, err := pub.Publish(ctx, ps.Topo.Requests, m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted request %s%s\n", id, map[bool]string{true: " as " + who, false: ""}[who != ""])
	saveRequest(id, req)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return follow(ctx, c, sub, id, progress, stdout, stderr)
}

// currentSession is the stored session, refreshed when it is about to
// expire.
func currentSession(ctx context.Context, stderr io.Writer) (storedSession, error) {
	s, err := loadSession()
	if err != nil {
		return s, err
	}
	if time.Until(s.ExpiresAt) > refreshBefore {
		return s, nil
	}
	tok, err := postToken(ctx, s.LoginURL, url.Values{"grant_type": {login.GrantRefresh}, "refresh_token": {s.Token}})
	if err != nil {
		if time.Now().Before(s.ExpiresAt) {
			fmt.Fprintf(stderr, "warning: the session could not be refreshed (%v)\n", err)
			return s, nil
		}
		return s, fmt.Errorf("the session expired and cannot be refreshed (%v): run `iis login`", err)
	}
	s.Token, s.ExpiresAt, s.Fingerprint = tok.AccessToken, tok.ExpiresAt, tok.Fingerprint
	if _, err := saveSession(s); err != nil {
		return s, err
	}
	return s, nil
}

// saveRequest keeps the request (without its token) for `iis policy
// explain`, named in the hint of a denial.
func saveRequest(id string, req events.JobRequest) string {
	req.IDToken = ""
	b, _ := json.MarshalIndent(req, "", "  ")
	path := filepath.Join(os.TempDir(), "iis-request-"+id[:8]+".json")
	if os.WriteFile(path, b, 0o600) != nil {
		return ""
	}
	return path
}

// follow prints each audit step of request id until the job ends. A
// denial or a failed job is an error (non-zero exit).
func follow(ctx context.Context, c *pubsub.Client, sub, id string, every time.Duration, stdout, stderr io.Writer) error {
	steps := make(chan event.Event, 64)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := c.Subscriber(sub)
	s.ReceiveSettings.NumGoroutines = 1
	go s.Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
		if err != nil || !about(e, id) {
			return
		}
		select {
		case steps <- e:
		case <-rctx.Done():
		}
	})
	tick := time.NewTicker(every)
	defer tick.Stop()
	start, state := time.Now(), "waiting for the broker"
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped following after %s (last: %s); the job goes on: `iis tail` follows it", time.Since(start).Round(time.Second), state)
		case <-tick.C:
			fmt.Fprintf(stdout, "  … %s (%s)\n", state, time.Since(start).Round(time.Second))
		case e := <-steps:
			done, err := step(e, id, &state, stdout, stderr)
			if done {
				return err
			}
		}
	}
}

// about reports whether e belongs to request id.
func about(e event.Event, id string) bool {
	if v, _ := e.Extensions()[events.ExtRequestID].(string); v == id {
		return true
	}
	if e.Type() == events.EventRejected {
		r, err := events.DecodeRejection(e)
		return err == nil && r.ReceivedID == id
	}
	return false
}

// step prints one audit event and says whether the run is over.
func step(e event.Event, id string, state *string, stdout, stderr io.Writer) (bool, error) {
	switch e.Type() {
	case events.JobApproved:
		d, _ := events.DecodeJobDecision(e)
		fmt.Fprintf(stdout, "approved: role %s via %s, runs as %s\n", d.Role, d.Binding, d.ServiceAccount)
		*state = "approved"
	case events.JobDenied:
		d, _ := events.DecodeJobDecision(e)
		code, msg := "denied", ""
		if len(d.Reasons) > 0 {
			code, msg = d.Reasons[0].Code, d.Reasons[0].Message
		}
		who := "YOU"
		if d.Principal != nil {
			who = d.Principal.ID
		}
		fmt.Fprintf(stderr, "hint: iis policy explain -policy POLICY -request %s -as %s   (why, role by role)\n",
			filepath.Join(os.TempDir(), "iis-request-"+id[:8]+".json"), who)
		return true, fmt.Errorf("denied: %s: %s", code, msg)
	case events.CredentialIssued:
		d, _ := events.DecodeIssuedCredential(e)
		fmt.Fprintf(stdout, "credential issued for %s, expires %s (%s)\n", d.ServiceAccount, d.ExpireTime.Local().Format("15:04:05"), d.Fingerprint)
	case events.JobSubmitted:
		d, _ := events.DecodeJobSubmission(e)
		fmt.Fprintf(stdout, "submitted to Dataproc: %s\n", d.Resource)
		*state = "submitted"
	case events.JobStateChanged:
		d, _ := events.DecodeStateChange(e)
		fmt.Fprintf(stdout, "state: %s\n", d.State)
		*state = d.State
		if d.Ended {
			if d.State == "SUCCEEDED" || d.State == "DONE" {
				return true, nil
			}
			return true, fmt.Errorf("the job ended %s%s", d.State, map[bool]string{true: ": " + d.Detail, false: ""}[d.Detail != ""])
		}
	case events.EventRejected:
		d, _ := events.DecodeRejection(e)
		return true, fmt.Errorf("rejected: %s: %s", d.Reason, d.Detail)
	case events.AccessRevoked:
		fmt.Fprintln(stdout, "access revoked: the broker is cancelling the job")
	}
	return false, nil
}
