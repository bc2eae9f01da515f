package access_test

import (
	"context"
	"testing"
	"time"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// submitter is a Dataproc client of the test's own, as another tool with
// setIamPolicy rights would be.
func (e env) submitter(t *testing.T) *dataproc.Submitter {
	t.Helper()
	clients, err := dataproc.NewClients(dataproc.ClientConfig{Endpoint: e.stack.Dataproc.Addr(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { clients.Close() })
	sub, err := dataproc.New(dataproc.Config{Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func (e env) adminToken(t *testing.T) string {
	t.Helper()
	tok, _, err := e.stack.IAM.Mint(devstack.BrokerServiceAccount, []string{dataprocserver.CloudPlatformScope}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e env) brokerCaller(t *testing.T) dataproc.Caller { return watch.StaticCaller(e.adminToken(t)) }

func (e env) iamClient(t *testing.T) *dataprocapi.ClusterControllerClient {
	t.Helper()
	c, err := dataprocapi.NewClusterControllerClient(context.Background(), option.WithEndpoint(e.stack.Dataproc.Addr()),
		option.WithoutAuthentication(), option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

func (e env) adminOpts(t *testing.T) []gax.CallOption {
	return []gax.CallOption{gax.WithGRPCOptions(grpc.PerRPCCredentials(bearer(e.adminToken(t)))), gax.WithRetry(func() gax.Retryer { return nil })}
}
