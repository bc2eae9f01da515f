package cluster_test

import (
	"context"
	"testing"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func clusterClient(t testing.TB, addr string) *dataprocapi.ClusterControllerClient {
	t.Helper()
	c, err := dataprocapi.NewClusterControllerClient(context.Background(), option.WithEndpoint(addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func getCluster(name string) *dataprocpb.GetClusterRequest {
	return &dataprocpb.GetClusterRequest{ProjectId: "iis-dev", Region: "europe-west1", ClusterName: name}
}

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

func bearerOpts(tok string) []gax.CallOption {
	return []gax.CallOption{gax.WithGRPCOptions(grpc.PerRPCCredentials(bearer(tok))), gax.WithRetry(func() gax.Retryer { return nil })}
}
