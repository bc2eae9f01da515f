package dataprocserver

import (
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// renderClusterOp builds a cluster's create or delete operation now: a
// create is done when the cluster is RUNNING (its response) or in ERROR (its
// error); a delete when the cluster is gone. s.mu must be held.
func (s *Server) renderClusterOp(rec *clusterRec, name string) (*longrunningpb.Operation, error) {
	h := s.clusterHistory(rec, s.clock.Now())
	cur := h[len(h)-1]
	deletion := name == rec.deleteOp
	md := &dataprocpb.ClusterOperationMetadata{ClusterName: rec.name, ClusterUuid: rec.cluster.GetClusterUuid(),
		OperationType: "CREATE", Description: "Create cluster with 1 master and worker VMs", Labels: rec.cluster.GetLabels()}
	done := cur.phase != clusterCreating
	if deletion {
		md.OperationType, md.Description = "DELETE", "Delete cluster"
		done = cur.phase == clusterGone
	}
	st := dataprocpb.ClusterOperationStatus_RUNNING
	if done {
		st = dataprocpb.ClusterOperationStatus_DONE
	}
	md.Status = &dataprocpb.ClusterOperationStatus{State: st, InnerState: st.String(), StateStartTime: timestamppb.New(cur.at)}
	mdAny, err := anypb.New(md)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "metadata: %v", err)
	}
	op := &longrunningpb.Operation{Name: name, Metadata: mdAny, Done: done}
	switch {
	case !done:
	case deletion:
		r, err := anypb.New(&emptypb.Empty{})
		if err != nil {
			return nil, status.Errorf(codes.Internal, "response: %v", err)
		}
		op.Result = &longrunningpb.Operation_Response{Response: r}
	case rec.failure != "":
		op.Result = &longrunningpb.Operation_Error{Error: &spb.Status{Code: int32(codes.Internal), Message: rec.failure}}
	default:
		r, err := anypb.New(s.renderCluster(rec))
		if err != nil {
			return nil, status.Errorf(codes.Internal, "response: %v", err)
		}
		op.Result = &longrunningpb.Operation_Response{Response: r}
	}
	return op, nil
}
