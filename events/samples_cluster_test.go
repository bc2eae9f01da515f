package events

import "time"

const (
	testCluster  = "iis-5f0c1e2d3b4a59687766554433221100"
	testClusterR = "projects/acme-analytics-prod/regions/europe-west4/clusters/" + testCluster
)

func ptr[T any](v T) *T { return &v }

func sampleClusterRequest() ClusterRequest {
	return ClusterRequest{
		IDToken: testToken, Template: "small", Region: "europe-west4",
		Config: ClusterConfig{
			Workers:       &NodeGroup{Count: ptr(4), MachineType: "n2-standard-8"},
			IdleDeleteTTL: "45m", PersonalAuth: ptr(false),
			Properties: map[string]string{"spark:spark.executor.memory": "4g"},
		},
		Justification: "exploration", Labels: map[string]string{"team": "analytics"},
	}
}

func sampleClusterConfig() ClusterConfig {
	return ClusterConfig{
		Master:           &NodeGroup{Count: ptr(1), MachineType: "n2-standard-4"},
		Workers:          &NodeGroup{Count: ptr(2), MachineType: "n2-standard-4", Accelerators: []Accelerator{{Type: "nvidia-tesla-t4", Count: 1}}},
		SecondaryWorkers: &NodeGroup{Count: ptr(0), MachineType: "n2-standard-4"},
		ImageVersion:     "2.2-debian12", IdleDeleteTTL: "30m0s", AutoDeleteTTL: "4h0m0s", InternalIPOnly: ptr(true),
		ServiceAccount: testSA, PersonalAuth: ptr(false), ComponentGateway: ptr(true), OptionalComponents: []string{"JUPYTER"},
		NetworkTags: []string{"iis"},
	}
}

func sampleClusterDecision(outcome string) ClusterDecision {
	p := samplePrincipal
	d := ClusterDecision{RequestID: testRequest, Principal: &p, Outcome: outcome, Role: "analytics-etl", Template: "small",
		PolicyVersion: "sha256:0f", Input: ClusterDecisionInput{Request: sampleClusterRequest().Facts(), Time: testTime, Stage: "policy", ActiveClusters: 1}}
	if outcome == OutcomeApproved {
		cfg := sampleClusterConfig()
		d.Binding, d.ServiceAccount, d.Cluster, d.Project, d.Region = "group:analytics-engineers", testSA, testCluster, "acme-analytics-prod", "europe-west4"
		d.Config, d.CredentialLifetime = &cfg, "10m0s"
		return d
	}
	d.Reasons = []ClusterReason{{Code: "cluster_workers_exceeded", Field: "config.workers.count", Cap: "max_workers: 2", Message: "4 workers exceed the cap of 2"}}
	return d
}

func clusterSamples() []sample {
	grantID := "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f"
	expires := testTime.Add(30 * time.Minute)
	return []sample{
		row(ClusterRequested, sampleClusterRequest(), NewClusterRequested, DecodeClusterRequest),
		row(ClusterApproved, sampleClusterDecision(OutcomeApproved), NewClusterApproved, DecodeClusterDecision),
		row(ClusterDenied, sampleClusterDecision(OutcomeDenied), NewClusterDenied, DecodeClusterDecision),
		row(ClusterCreated, ClusterCreation{
			RequestID: testRequest, Cluster: testCluster, Project: "acme-analytics-prod", Region: "europe-west4", Resource: testClusterR,
			ClusterUUID: "0e7c1d2b-5a4f-4e3d-9c2b-1a0f9e8d7c6b", DataprocRequestID: testCluster, ServiceAccount: testSA,
			Role: "analytics-etl", Template: "small", Labels: map[string]string{"iis-role": "analytics-etl"},
			Config: sampleClusterConfig(), AutoDeleteTime: testTime.Add(4 * time.Hour),
		}, NewClusterCreated, DecodeClusterCreation),
		row(ClusterStateChanged, ClusterStateChange{RequestID: testRequest, Cluster: testCluster, Resource: testClusterR,
			PreviousState: "CREATING", State: "RUNNING"}, NewClusterStateChanged, DecodeClusterStateChange),
		row(ClusterDeleteRequested, ClusterDeleteRequest{IDToken: testToken, RequestID: testRequest, Reason: "done"},
			NewClusterDeleteRequested, DecodeClusterDeleteRequest),
		row(ClusterDeleted, ClusterDeletion{RequestID: testRequest, Cluster: testCluster, Resource: testClusterR,
			PreviousState: "DELETING", Reason: DeletedLeaver}, NewClusterDeleted, DecodeClusterDeletion),
		row(AccessRequested, AccessRequest{IDToken: testToken, ClusterRequestID: testRequest, View: ViewLogs, Duration: "30m"},
			NewAccessRequested, DecodeAccessRequest),
		row(AccessApproved, AccessDecision{RequestID: grantID, Principal: &samplePrincipal, Outcome: OutcomeApproved,
			Binding: "group:analytics-engineers", Role: "analytics-etl", View: ViewLogs, Resource: testClusterR,
			IAMRole: "roles/dataproc.viewer", Member: "user:ada@example.com", ExpiresAt: expires, PolicyVersion: "sha256:0f",
			Input: AccessDecisionInput{Request: AccessFacts{ClusterRequestID: testRequest, View: ViewLogs, Duration: "30m"}, Time: testTime, Owner: "ada@example.com"},
		}, NewAccessApproved, DecodeAccessDecision),
		row(AccessDenied, AccessDecision{RequestID: grantID, Outcome: OutcomeDenied, Reasons: []Reason{{Code: "access_not_owner"}},
			Input: AccessDecisionInput{Request: AccessFacts{JobRequestID: testRequest, View: ViewUI}, Time: testTime},
		}, NewAccessDenied, DecodeAccessDecision),
		row(AccessGranted, AccessGrant{RequestID: grantID, Resource: testClusterR, IAMRole: "roles/dataproc.viewer",
			Member: "user:ada@example.com", Condition: IAMCondition{Title: "iis-0a1b", Expression: `request.time < timestamp("2025-11-27T02:30:03.512Z")`},
			ExpiresAt: expires, Attempts: 1}, NewAccessGranted, DecodeAccessGrant),
		row(AccessExpired, AccessExpiry{RequestID: grantID, Resource: testClusterR, IAMRole: "roles/dataproc.viewer",
			Member: "user:ada@example.com", ConditionTitle: "iis-0a1b", ExpiresAt: expires, Outcome: BindingRemoved}, NewAccessExpired, DecodeAccessExpiry),
		row(AccessDriftFound, AccessDrift{Resource: testClusterR, Findings: []DriftFinding{{Kind: DriftUnbacked,
			IAMRole: "roles/dataproc.viewer", Member: "user:ada@example.com", ConditionTitle: "iis-0a1b", Action: DriftRemoved}}},
			NewAccessDriftFound, DecodeAccessDrift),
	}
}
