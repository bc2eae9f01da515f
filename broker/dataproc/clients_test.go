package dataproc

import (
	"context"
	"strings"
	"testing"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/dataproc-iis/iis/broker/fault"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestEndpoint(t *testing.T) {
	if got, want := Endpoint("europe-west1"), "europe-west1-dataproc.googleapis.com:443"; got != want {
		t.Errorf("Endpoint(europe-west1) = %q, want %q", got, want)
	}
	c, err := NewClients(ClientConfig{})
	if err != nil {
		t.Fatalf("NewClients() = %v", err)
	}
	if ep, err := c.endpoint("us-central1"); err != nil || ep != "us-central1-dataproc.googleapis.com:443" {
		t.Errorf("endpoint(us-central1) = %q, %v; want the regional endpoint", ep, err)
	}
	for _, bad := range []string{"", "evil.com:443/x", "US-CENTRAL1", "us-central1.attacker"} {
		if _, err := c.Jobs(context.Background(), bad); err == nil {
			t.Errorf("Jobs(%q) = nil error, want an invalid region", bad)
		}
	}
	if err := (ClientConfig{Insecure: true}).Validate(); err == nil {
		t.Error("ClientConfig{Insecure without Endpoint}.Validate() = nil, want an error")
	}
}

// Outside dev mode a token is never sent over a plaintext connection, even
// if one is configured by mistake.
func TestBearerRequiresTLSOutsideDevMode(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, etlSA)
	secure, err := NewClients(ClientConfig{Endpoint: e.srv.Addr(),
		Options: []option.ClientOption{option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials()))}})
	if err != nil {
		t.Fatalf("NewClients() = %v", err)
	}
	defer secure.Close()
	batches, err := secure.Batches(e.ctx, region)
	if err != nil {
		t.Fatalf("Batches() = %v", err)
	}
	_, err = batches.GetBatch(e.ctx, &dataprocpb.GetBatchRequest{Name: "projects/iis-test/locations/us-central1/batches/abcd"},
		secure.Bearer(cred.AccessToken()), noClientRetry)
	if err == nil || !strings.Contains(err.Error(), "transport") {
		t.Errorf("GetBatch(secure bearer over plaintext) = %v, want a transport security error", err)
	}
}

func TestStateAndCancelRejectBadRegion(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, etlSA)
	sub := Submission{Kind: KindBatch, Project: project, Region: "not a region", Resource: "x", Operation: "y"}
	if _, _, _, err := e.sub.State(e.ctx, cred, sub); !fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonInvalidJob {
		t.Errorf("State(bad region) = %v, want permanent %s", err, ReasonInvalidJob)
	}
	if err := e.sub.Cancel(e.ctx, cred, sub); !fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonInvalidJob {
		t.Errorf("Cancel(bad region) = %v, want permanent %s", err, ReasonInvalidJob)
	}
}
