package transport

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Topology names the topics and subscriptions the broker uses. Names are
// IDs within the client's project.
type Topology struct {
	Requests      string // job requests and cancel requests from pipelines
	Identity      string // identity events from the SCIM endpoint
	Audit         string // every outcome, for SIEM and compliance
	Approvals     string // requests that wait for approvers, for chat and e-mail bridges ("": none)
	DeadLetter    string // messages Pub/Sub gave up delivering
	RequestsSub   string // the workers' subscription to Requests
	IdentitySub   string // the workers' subscription to Identity
	DeadLetterSub string // a subscription that keeps dead letters for inspection

	// MaxDeliveryAttempts is the dead-letter policy's limit (5-100). The
	// worker acks what it can never process after auditing it, so dead
	// letters are a last resort, not a path the broker relies on.
	MaxDeliveryAttempts int32
}

// DefaultTopology returns the names used by `iis dev` and the Terraform in deploy/.
func DefaultTopology() Topology {
	return Topology{
		Requests:            "iis-requests",
		Identity:            "iis-identity",
		Audit:               "iis-audit",
		Approvals:           "iis-approvals",
		DeadLetter:          "iis-dead-letter",
		RequestsSub:         "iis-requests-worker",
		IdentitySub:         "iis-identity-worker",
		DeadLetterSub:       "iis-dead-letter-hold",
		MaxDeliveryAttempts: 100,
	}
}

// Ensure creates every topic and subscription of t that does not exist yet.
// In production Terraform owns them; `iis dev` and the tests call this.
func Ensure(ctx context.Context, c *pubsub.Client, t Topology) error {
	for _, id := range []string{t.Requests, t.Identity, t.Audit, t.DeadLetter, t.Approvals} {
		if id == "" {
			continue
		}
		_, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: TopicName(c.Project(), id)})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("pubsub.CreateTopic(%s): %w", id, err)
		}
	}
	dead := &pubsubpb.DeadLetterPolicy{
		DeadLetterTopic:     TopicName(c.Project(), t.DeadLetter),
		MaxDeliveryAttempts: t.MaxDeliveryAttempts,
	}
	subs := []*pubsubpb.Subscription{
		{Name: SubscriptionName(c.Project(), t.RequestsSub), Topic: TopicName(c.Project(), t.Requests), AckDeadlineSeconds: 60, DeadLetterPolicy: dead, RetryPolicy: retry()},
		{Name: SubscriptionName(c.Project(), t.IdentitySub), Topic: TopicName(c.Project(), t.Identity), AckDeadlineSeconds: 60, DeadLetterPolicy: dead, RetryPolicy: retry()},
		{Name: SubscriptionName(c.Project(), t.DeadLetterSub), Topic: TopicName(c.Project(), t.DeadLetter), AckDeadlineSeconds: 60},
	}
	for _, s := range subs {
		_, err := c.SubscriptionAdminClient.CreateSubscription(ctx, s)
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("pubsub.CreateSubscription(%s): %w", s.Name, err)
		}
	}
	return nil
}

func retry() *pubsubpb.RetryPolicy {
	return &pubsubpb.RetryPolicy{
		MinimumBackoff: durationpb.New(time.Second),
		MaximumBackoff: durationpb.New(time.Minute),
	}
}

// TopicName returns the full resource name of a topic ID.
func TopicName(project, id string) string { return "projects/" + project + "/topics/" + id }

// SubscriptionName returns the full resource name of a subscription ID.
func SubscriptionName(project, id string) string {
	return "projects/" + project + "/subscriptions/" + id
}
