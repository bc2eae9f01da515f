package dataproc

import (
	"context"
	"errors"
	"fmt"
	"time"

	dataprocapi "cloud.google.com/go/dataproc/v2/apiv1"
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/fault"
)

// Reasons of cluster calls.
const (
	ReasonQuota = "dataproc_quota_exceeded" // Dataproc refused a cluster for lack of quota
	ReasonGone  = "cluster_gone"            // the cluster no longer exists: nothing was deleted
	ReasonBusy  = "cluster_busy"            // Dataproc refuses the call in the cluster's state (CREATING): later
)

// GoneError reports a delete of a cluster that no longer exists.
type GoneError struct{ Resource string }

func (e *GoneError) Error() string {
	return "cluster " + e.Resource + " no longer exists: nothing to delete"
}

// Gone reports whether err says the cluster was already gone.
func Gone(err error) bool {
	var g *GoneError
	return errors.As(err, &g)
}

// CreateCluster creates the request's cluster, authenticated as cred (the
// role's service account, which its VMs run as). It is idempotent: every
// delivery uses the same name and request_id, and a cluster this request
// already created is adopted rather than created again.
func (s *Submitter) CreateCluster(ctx context.Context, cred credentials.Credential, req ClusterRequest) (Cluster, error) {
	if err := req.validate(); err != nil {
		return Cluster{}, fault.AsPermanent(ReasonInvalidRequest, fmt.Errorf("dataproc.CreateCluster: %w", err))
	}
	if cred.ServiceAccount != req.Config.ServiceAccount {
		return Cluster{}, fault.Permanentf(ReasonInvalidRequest, "dataproc.CreateCluster: credential of %s for VMs running as %s", cred.ServiceAccount, req.Config.ServiceAccount)
	}
	if cred.Expired(s.now(), s.margin) {
		return Cluster{}, fault.AsTransient(ReasonCredentialExpired, fmt.Errorf(
			"dataproc.CreateCluster: credential %s expires at %s", cred.Fingerprint, cred.ExpireTime.Format(time.RFC3339)))
	}
	cl := ExpectedCluster(req.Key, req.Project, req.Region)
	client, err := s.clients.Clusters(ctx, req.Region)
	if err != nil {
		return Cluster{}, clientFault(err)
	}
	labels := s.clusterLabels(req)
	create := &dataprocpb.CreateClusterRequest{ProjectId: req.Project, Region: req.Region,
		Cluster: buildCluster(cl.Name, req, labels), RequestId: cl.DataprocRequestID}
	var op *dataprocapi.CreateClusterOperation
	err = s.call(ctx, "dataproc.CreateCluster", req.Region, true, PrioritySubmit, func(ctx context.Context) error {
		var err error
		op, err = client.CreateCluster(ctx, create, s.opts(cred)...)
		return err
	})
	switch status.Code(err) {
	case codes.OK:
	case codes.AlreadyExists:
		return s.adoptCluster(ctx, client, cred, cl, labels[LabelRequest])
	case codes.ResourceExhausted:
		return Cluster{}, fault.AsPermanent(ReasonQuota, err)
	default:
		return Cluster{}, classify(err)
	}
	cl.Operation = op.Name()
	if md, err := op.Metadata(); err == nil {
		cl.UUID = md.GetClusterUuid()
	}
	return cl, nil
}

// adoptCluster returns the cluster a request created when Dataproc no
// longer matched its request_id, after checking that it is this request's.
func (s *Submitter) adoptCluster(ctx context.Context, client ClusterController, cred credentials.Credential, cl Cluster, reqLabel string) (Cluster, error) {
	c, err := s.getCluster(ctx, client, cred, cl)
	if err != nil {
		return Cluster{}, classify(err)
	}
	if c.GetLabels()[LabelRequest] != reqLabel || c.GetConfig().GetGceClusterConfig().GetServiceAccount() != cred.ServiceAccount {
		return Cluster{}, fault.Permanentf(ReasonIDConflict, "dataproc.CreateCluster: cluster %s exists and is not this request's", cl.Resource)
	}
	cl.UUID = c.GetClusterUuid()
	return cl, nil
}

func (s *Submitter) getCluster(ctx context.Context, client ClusterController, c Caller, cl Cluster) (*dataprocpb.Cluster, error) {
	var got *dataprocpb.Cluster
	err := s.call(ctx, "dataproc.GetCluster", cl.Region, false, PriorityCancel, func(ctx context.Context) error {
		var err error
		got, err = client.GetCluster(ctx, &dataprocpb.GetClusterRequest{ProjectId: cl.Project, Region: cl.Region, ClusterName: cl.Name}, s.opts(c)...)
		return err
	})
	return got, err
}

// ClusterState returns the cluster's state as Dataproc names it (CREATING,
// RUNNING, ERROR, DELETING, ...), Dataproc's words for it, and its uuid;
// gone is true when Dataproc no longer knows the cluster (or knows another
// cluster of that name). Reads are not rate limited.
func (s *Submitter) ClusterState(ctx context.Context, c Caller, cl Cluster) (state, detail, uuid string, gone bool, err error) {
	client, err := s.clients.Clusters(ctx, cl.Region)
	if err != nil {
		return "", "", "", false, clientFault(err)
	}
	got, err := s.getCluster(ctx, client, c, cl)
	if status.Code(err) == codes.NotFound {
		return "", "", "", true, nil
	}
	if err != nil {
		return "", "", "", false, classify(err)
	}
	if cl.UUID != "" && got.GetClusterUuid() != cl.UUID {
		return "", "", "", true, nil // a newer cluster with the same name: ours is gone
	}
	st := got.GetStatus()
	return st.GetState().String(), describe(st.GetState().String(), st.GetDetail()), got.GetClusterUuid(), false, nil
}

// DeleteCluster asks Dataproc to delete the cluster (its uuid, when known,
// guards against deleting a newer cluster of the same name). Deletes wait
// for the rate limiter ahead of every submit. A cluster already gone is a
// permanent ReasonGone fault wrapping a *GoneError; one Dataproc cannot
// delete yet (still CREATING) a transient ReasonBusy fault.
func (s *Submitter) DeleteCluster(ctx context.Context, c Caller, cl Cluster) error {
	client, err := s.clients.Clusters(ctx, cl.Region)
	if err != nil {
		return clientFault(err)
	}
	err = s.call(ctx, "dataproc.DeleteCluster", cl.Region, true, PriorityCancel, func(ctx context.Context) error {
		_, err := client.DeleteCluster(ctx, &dataprocpb.DeleteClusterRequest{ProjectId: cl.Project, Region: cl.Region,
			ClusterName: cl.Name, ClusterUuid: cl.UUID}, s.opts(c)...)
		return err
	})
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound:
		return &fault.Error{Kind: fault.Permanent, Reason: ReasonGone, Err: &GoneError{Resource: cl.Resource}}
	case codes.FailedPrecondition:
		return fault.AsTransient(ReasonBusy, err)
	}
	return classify(err)
}

// PrincipalClusters lists the clusters in a project and region that carry
// the principal's iis-principal label: the broker's clusters of that
// principal, whatever the store knows of them.
func (s *Submitter) PrincipalClusters(ctx context.Context, c Caller, project, region, principal string) ([]Cluster, error) {
	client, err := s.clients.Clusters(ctx, region)
	if err != nil {
		return nil, clientFault(err)
	}
	var out []Cluster
	err = s.call(ctx, "dataproc.ListClusters", region, false, PriorityCancel, func(ctx context.Context) error {
		out = out[:0]
		it := client.ListClusters(ctx, &dataprocpb.ListClustersRequest{ProjectId: project, Region: region,
			Filter: fmt.Sprintf("labels.%s = %s", LabelPrincipal, s.PrincipalLabel(principal))}, s.opts(c)...)
		for {
			got, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			if got.GetStatus().GetState() == dataprocpb.ClusterStatus_DELETING {
				continue
			}
			out = append(out, Cluster{Project: project, Region: region, Name: got.GetClusterName(), UUID: got.GetClusterUuid(),
				Resource: ClusterResource(project, region, got.GetClusterName())})
		}
	})
	if err != nil {
		return nil, classify(err)
	}
	return out, nil
}
