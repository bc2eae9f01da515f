package transport

import (
	"context"
	"fmt"

	"cloud.google.com/go/pubsub/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// NewClient returns a Pub/Sub client for project. With emulatorHost set
// (host:port of pstest or the Pub/Sub emulator) it dials without TLS or
// credentials; otherwise it uses Application Default Credentials, or the
// PUBSUB_EMULATOR_HOST variable that the client library itself honours.
func NewClient(ctx context.Context, project, emulatorHost string, opts ...option.ClientOption) (*pubsub.Client, error) {
	if project == "" {
		return nil, fmt.Errorf("transport: project is required")
	}
	if emulatorHost != "" {
		opts = append([]option.ClientOption{
			option.WithEndpoint(emulatorHost),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
			option.WithoutAuthentication(),
			option.WithTelemetryDisabled(),
		}, opts...)
	}
	c, err := pubsub.NewClient(ctx, project, opts...)
	if err != nil {
		return nil, fmt.Errorf("pubsub.NewClient: %w", err)
	}
	return c, nil
}
