package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// Run runs the conformance suite. open returns a new, empty store for each
// subtest and registers its cleanup (closing it) with t.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Processed", testProcessed},
		{"ProcessedPrune", testProcessedPrune},
		{"ProcessedDigest", testProcessedDigest},
		{"IdentityLinks", testIdentityLinks},
		{"PrimaryEmailOnly", testPrimaryEmailOnly},
		{"EffectClaims", testEffectClaims},
		{"Enqueue", testEnqueue},
		{"Chain", testChain},
		{"Checkpoints", testCheckpoints},
		{"Claim", testClaim},
		{"ClaimLease", testClaimLease},
		{"AuditTrail", testAuditTrail},
		{"PruneOutbox", testPruneOutbox},
		{"UserCRUD", testUserCRUD},
		{"UserVersion", testUserVersion},
		{"UserLock", testUserLock},
		{"UserEmail", testUserEmail},
		{"UserAttributes", testUserAttributes},
		{"ListUsers", testListUsers},
		{"DeleteUser", testDeleteUser},
		{"FilterUsers", testFilterUsers},
		{"FilterGroups", testFilterGroups},
		{"SortUsers", testSortUsers},
		{"FilterInvalid", testFilterInvalid},
		{"GroupCRUD", testGroupCRUD},
		{"Members", testMembers},
		{"ListGroups", testListGroups},
		{"Decisions", testDecisions},
		{"Jobs", testJobs},
		{"JobState", testJobState},
		{"JobClaim", testJobClaim},
		{"Gauges", testGauges},
		{"Grants", testGrants},
		{"Logins", testLogins},
		{"ApprovalRequests", testApprovalRequests},
		{"Approvals", testApprovals},
		{"ResolveDecision", testResolveDecision},
		{"ConcurrentApprovalClose", testConcurrentApprovalClose},
		{"Clusters", testClusters},
		{"ClusterClaim", testClusterClaim},
		{"Bindings", testBindings},
		{"Rollback", testRollback},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"ViewIsReadOnly", testViewReadOnly},
		{"UsableAfterConflict", testUsableAfterConflict},
		{"ConcurrentChain", testConcurrentChain},
		{"ConcurrentClaim", testConcurrentClaim},
		{"ConcurrentJobClaim", testConcurrentJobClaim},
		{"ConcurrentMarkProcessed", testConcurrentMarkProcessed},
		{"ConcurrentDecision", testConcurrentDecision},
		{"ConcurrentMembers", testConcurrentMembers},
		{"ConcurrentConsumeOnce", testConcurrentConsumeOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// update runs fn in an Update and fails the test on error.
func update(t testing.TB, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test on error.
func view(t testing.TB, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantErr checks that err is target (nil: no error).
func wantErr(t testing.TB, call string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Errorf("%s = %v, want no error", call, err)
	case target != nil && !errors.Is(err, target):
		t.Errorf("%s = %v, want %v", call, err, target)
	case errors.Is(target, store.ErrInvalid) && !fault.IsPermanent(err):
		t.Errorf("%s = %v: ErrInvalid must be a permanent fault", call, err)
	}
}

// within checks that got lies in [from, to], at the store's precision.
func within(t testing.TB, what string, got, from, to time.Time) {
	t.Helper()
	from, to = from.Truncate(time.Microsecond), to.Add(time.Microsecond)
	if got.Before(from) || got.After(to) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want a UTC time in [%v, %v]", what, got, from, to)
	}
}

// at is a fixed instant at the store's precision.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
