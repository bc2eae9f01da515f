package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("approve", "approve a request that waits for approvers (iis approve REQUEST_ID)", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return runAnswer(ctx, "approve", args, stdout, stderr)
	})
	register("reject", "reject a request that waits for approvers (iis reject REQUEST_ID -comment why)", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return runAnswer(ctx, "reject", args, stdout, stderr)
	})
}

// approverSettings are the flags of iis approve, reject and pending.
type approverSettings struct {
	Broker string
	Token  string
}

func (s *approverSettings) register(f flags) {
	f.String(&s.Broker, "broker", "IIS_BROKER_URL", "http://127.0.0.1:8088", "the broker's HTTP address (its "+approval.APIPath+" API: iis serve -http-addr, iis dev)")
	f.StringVar(&s.Token, "token", "", "your ID token or broker session token, or @file (never printed; default: the session of `iis login`)")
}

// token is -token, else the session `iis login` keeps (refreshed when it
// is about to expire).
func (s *approverSettings) token(ctx context.Context, stderr io.Writer) (string, error) {
	if s.Token == "" {
		sess, err := currentSession(ctx, stderr)
		return sess.Token, err
	}
	b, err := readArg(s.Token)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func runAnswer(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	var ps pubsubSettings
	var as approverSettings
	var digest, comment string
	var wait time.Duration
	f := newFlags(verb, stderr)
	ps.register(f)
	as.register(f)
	f.StringVar(&digest, "digest", "", "the request's digest, from job.approval_requested (default: read from the broker's API)")
	f.StringVar(&comment, "comment", "", "why, for the audit trail")
	f.DurationVar(&wait, "wait", 30*time.Second, "how long to wait for the broker to count the answer (0: do not wait)")
	f.Usage("usage: iis " + verb + " REQUEST_ID [flags]\n\nPublishes approval." + map[string]string{"approve": "granted", "reject": "rejected"}[verb] +
		" with your token for the request, and waits for the broker to count it (approval.recorded) or refuse it (event.rejected).\n")
	id, rest := requestArg(args)
	if err := f.Parse(rest); err != nil {
		return err
	}
	if id == "" {
		id = f.Arg(0)
	}
	if id == "" {
		return fmt.Errorf("usage: iis %s REQUEST_ID [-comment ...] [-token ...]", verb)
	}
	token, err := as.token(ctx, stderr)
	if err != nil {
		return err
	}
	if digest == "" {
		it, err := waitingRequest(ctx, as.Broker, token, id)
		if err != nil {
			return err
		}
		digest = it.RequestDigest
		fmt.Fprintf(stdout, "request %s of %s: role %s, %s; %s\n", id, it.Requester.ID, it.Role, describeJob(it.Request), progress(it.Counts))
	}
	v := events.ApprovalVerdict{IDToken: token, RequestID: id, RequestDigest: digest, Comment: comment}
	build := events.NewApprovalGranted
	if verb == "reject" {
		build = events.NewApprovalRejected
	}
	ev, err := build("//dataproc-iis/cli/"+userName(), v)
	if err != nil {
		return fmt.Errorf("refusing to publish: %w", err)
	}
	c, err := ps.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var outcome <-chan event.Event
	if wait > 0 {
		// Subscribe first, so that the outcome cannot be missed.
		var stop func()
		if outcome, stop, err = followCause(ctx, c, ps.Topo.Audit, ev.ID()); err != nil {
			return err
		}
		defer stop()
	}
	m, err := events.Encode(ev)
	if err != nil {
		return err
	}
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	if _, err := pub.Publish(ctx, ps.Topo.Requests, m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published %s for request %s (event %s)\n", strings.TrimPrefix(ev.Type(), events.Prefix+"."), id, ev.ID())
	if wait <= 0 {
		return nil
	}
	select {
	case out := <-outcome:
		return reportOutcome(stdout, out)
	case <-time.After(wait):
		return fmt.Errorf("the broker did not answer within %s: `iis tail` shows what it did", wait)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// requestArg takes a leading REQUEST_ID off args, so that flags may
// follow it (iis approve ID -comment ok).
func requestArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// reportOutcome prints what the broker did with the answer; a refusal is
// an error.
func reportOutcome(w io.Writer, out event.Event) error {
	if out.Type() == events.EventRejected {
		r, _ := events.DecodeRejection(out)
		return fmt.Errorf("refused: %s: %s", r.Reason, strings.TrimPrefix(r.Detail, r.Reason+": "))
	}
	rec, err := events.DecodeRecordedApproval(out)
	if err != nil {
		return err
	}
	switch {
	case rec.Verdict == events.VerdictRejected:
		fmt.Fprintf(w, "rejected: request %s is denied\n", rec.RequestID)
	case rec.Complete:
		fmt.Fprintf(w, "approved: request %s has every approval it needs and goes on (%s)\n", rec.RequestID, progress(rec.Counts))
	default:
		fmt.Fprintf(w, "counted: request %s still waits (%s)\n", rec.RequestID, progress(rec.Counts))
	}
	return nil
}

// followCause subscribes to topic and delivers the first approval.recorded
// or event.rejected caused by the event with id cause.
func followCause(ctx context.Context, c *pubsub.Client, topic, cause string) (<-chan event.Event, func(), error) {
	sub := transport.SubscriptionName(c.Project(), "iis-answer-"+uuid.NewString()[:8])
	_, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: sub, Topic: transport.TopicName(c.Project(), topic), AckDeadlineSeconds: 10,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("pubsub.CreateSubscription: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	out := make(chan event.Event, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Subscriber(sub).Receive(rctx, func(_ context.Context, m *pubsub.Message) {
			m.Ack()
			e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
			if err != nil || e.Extensions()[events.ExtCausationID] != cause ||
				(e.Type() != events.ApprovalRecorded && e.Type() != events.EventRejected) {
				return
			}
			select {
			case out <- e:
			default:
			}
		})
	}()
	stop := func() {
		cancel()
		<-done
		c.SubscriptionAdminClient.DeleteSubscription(context.WithoutCancel(ctx), &pubsubpb.DeleteSubscriptionRequest{Subscription: sub})
	}
	return out, stop, nil
}

func progress(counts []events.ApprovalCount) string {
	var parts []string
	for _, c := range counts {
		s := fmt.Sprintf("%s: %d of %d", c.Rule, len(c.Approvers), c.Count)
		if len(c.Approvers) > 0 {
			s += " (" + strings.Join(c.Approvers, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func describeJob(f events.RequestFacts) string {
	main := f.Job.MainPythonURI + f.Job.MainJarURI + f.Job.MainClass + f.Job.QueryURI
	where := f.Target.Project + "/" + f.Target.Region
	if f.Target.Cluster != "" {
		where += "/" + f.Target.Cluster
	}
	return fmt.Sprintf("%s %s on %s", f.Job.Type, main, where)
}
