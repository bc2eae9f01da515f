package credentials

import (
	"context"
	"errors"
	"fmt"
	"slices"

	iamcredentials "cloud.google.com/go/iam/credentials/apiv1"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/dataproc-iis/iis/broker/telemetry"
)

// ClientConfig configures the IAM Credentials client.
type ClientConfig struct {
	// Endpoint overrides the API endpoint (host:port); empty is Google's.
	Endpoint string
	// Insecure dials Endpoint in plaintext and sends no credentials: for the
	// local IAM server of `iis dev` and tests only. It requires Endpoint.
	Insecure bool
	// Options are appended to the client options (e.g. credentials).
	Options []option.ClientOption
}

// Validate reports a configuration that must not be used.
func (c ClientConfig) Validate() error {
	if c.Insecure && c.Endpoint == "" {
		return errors.New("credentials: Insecure requires an explicit Endpoint (dev mode only)")
	}
	return nil
}

// NewClient builds Google's IAM Credentials client. In production it uses the
// broker's Application Default Credentials over TLS.
func NewClient(ctx context.Context, cfg ClientConfig) (*iamcredentials.IamCredentialsClient, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var opts []option.ClientOption
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	if cfg.Insecure {
		opts = append(opts,
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	opts = append(opts, telemetry.GRPCClientOption())
	opts = append(opts, slices.Clone(cfg.Options)...)
	c, err := iamcredentials.NewIamCredentialsClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("iamcredentials.NewIamCredentialsClient: %w", err)
	}
	return c, nil
}
