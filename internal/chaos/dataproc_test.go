//go:build linux

package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/api/iterator"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// listWorkloads asks the Dataproc API, as the broker's own service account
// (minted through IAM Credentials, as the broker does), for every batch
// and cluster job in the run's project and region.
func listWorkloads(ctx context.Context, iamAddr, dataprocAddr string) ([]Workload, error) {
	ic, err := credentials.NewClient(ctx, credentials.ClientConfig{Endpoint: iamAddr, Insecure: true})
	if err != nil {
		return nil, err
	}
	defer ic.Close()
	minter, err := credentials.New(credentials.Config{}, ic)
	if err != nil {
		return nil, err
	}
	cred, err := minter.Mint(ctx, devstack.BrokerServiceAccount, 0)
	if err != nil {
		return nil, err
	}
	clients, err := dataproc.NewClients(dataproc.ClientConfig{Endpoint: dataprocAddr, Insecure: true})
	if err != nil {
		return nil, err
	}
	defer clients.Close()
	bearer := clients.Bearer(cred.AccessToken())
	const project, region = "iis-dev", "europe-west1"

	var out []Workload
	bc, err := clients.Batches(ctx, region)
	if err != nil {
		return nil, err
	}
	batches, ok := bc.(*dataprocapi.BatchControllerClient)
	if !ok {
		return nil, fmt.Errorf("dataproc.Clients.Batches is a %T, not Google's client", bc)
	}
	bit := batches.ListBatches(ctx, &dataprocpb.ListBatchesRequest{
		Parent: "projects/" + project + "/locations/" + region, PageSize: 1000,
	}, bearer)
	for {
		b, err := bit.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataproc.ListBatches: %w", err)
		}
		s := b.GetState()
		out = append(out, Workload{
			Resource: b.GetName(), Request: b.GetLabels()[dataproc.LabelRequest], State: s.String(),
			Ended:     s == dataprocpb.Batch_SUCCEEDED || s == dataprocpb.Batch_FAILED || s == dataprocpb.Batch_CANCELLED,
			Succeeded: s == dataprocpb.Batch_SUCCEEDED,
			StateAt:   b.GetStateTime().AsTime(),
		})
	}
	jc, err := clients.Jobs(ctx, region)
	if err != nil {
		return nil, err
	}
	jobs, ok := jc.(*dataprocapi.JobControllerClient)
	if !ok {
		return nil, fmt.Errorf("dataproc.Clients.Jobs is a %T, not Google's client", jc)
	}
	jit := jobs.ListJobs(ctx, &dataprocpb.ListJobsRequest{ProjectId: project, Region: region, PageSize: 1000}, bearer)
	for {
		j, err := jit.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataproc.ListJobs: %w", err)
		}
		s := j.GetStatus().GetState()
		out = append(out, Workload{
			Resource: fmt.Sprintf("projects/%s/regions/%s/jobs/%s", project, region, j.GetReference().GetJobId()),
			Request:  j.GetLabels()[dataproc.LabelRequest], State: s.String(),
			Ended:     s == dataprocpb.JobStatus_DONE || s == dataprocpb.JobStatus_ERROR || s == dataprocpb.JobStatus_CANCELLED,
			Succeeded: s == dataprocpb.JobStatus_DONE,
			StateAt:   j.GetStatus().GetStateStartTime().AsTime(),
		})
	}
	return out, nil
}

// listClusters asks the Dataproc API, as the broker's own service account,
// for every cluster of the run's project and region, and returns them with
// the IAM members of leavers still bound in their policies.
func listClusters(ctx context.Context, iamAddr, dataprocAddr string, leavers map[string]time.Time) ([]Cluster, []string, error) {
	ic, err := credentials.NewClient(ctx, credentials.ClientConfig{Endpoint: iamAddr, Insecure: true})
	if err != nil {
		return nil, nil, err
	}
	defer ic.Close()
	minter, err := credentials.New(credentials.Config{}, ic)
	if err != nil {
		return nil, nil, err
	}
	cred, err := minter.Mint(ctx, devstack.BrokerServiceAccount, 0)
	if err != nil {
		return nil, nil, err
	}
	clients, err := dataproc.NewClients(dataproc.ClientConfig{Endpoint: dataprocAddr, Insecure: true})
	if err != nil {
		return nil, nil, err
	}
	defer clients.Close()
	bearer := clients.Bearer(cred.AccessToken())
	const project, region = "iis-dev", "europe-west1"
	cc, err := clients.Clusters(ctx, region)
	if err != nil {
		return nil, nil, err
	}
	client, ok := cc.(*dataprocapi.ClusterControllerClient)
	if !ok {
		return nil, nil, fmt.Errorf("dataproc.Clients.Clusters is a %T, not Google's client", cc)
	}
	var out []Cluster
	var bound []string
	it := client.ListClusters(ctx, &dataprocpb.ListClustersRequest{ProjectId: project, Region: region, PageSize: 1000}, bearer)
	for {
		c, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("dataproc.ListClusters: %w", err)
		}
		out = append(out, Cluster{Name: c.GetClusterName(), Request: c.GetLabels()[dataproc.LabelRequest], State: c.GetStatus().GetState().String()})
		p, err := client.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: dataproc.ClusterResource(project, region, c.GetClusterName()),
			Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}}, bearer)
		if err != nil {
			return nil, nil, fmt.Errorf("dataproc.GetIamPolicy: %w", err)
		}
		for _, b := range p.GetBindings() {
			for _, m := range b.GetMembers() {
				if _, leaver := leavers[strings.TrimPrefix(m, "user:")]; leaver {
					bound = append(bound, m+" on "+c.GetClusterName())
				}
			}
		}
	}
	return out, bound, nil
}
