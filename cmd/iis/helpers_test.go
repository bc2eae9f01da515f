package main

import (
	"context"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/dataproc-iis/iis/broker/transport"
)

// subscriptions lists the subscription names of project iis-dev at addr.
func subscriptions(t *testing.T, addr string) string {
	t.Helper()
	ctx := context.Background()
	c, err := transport.NewClient(ctx, "iis-dev", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	it := c.SubscriptionAdminClient.ListSubscriptions(ctx, &pubsubpb.ListSubscriptionsRequest{Project: "projects/iis-dev"})
	var names []string
	for {
		s, err := it.Next()
		if err != nil {
			break
		}
		names = append(names, s.Name)
	}
	return strings.Join(names, "\n")
}
