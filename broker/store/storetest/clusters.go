package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/store"
)

func cluster(requestID, principal string, nextPoll time.Time) store.Cluster {
	return store.Cluster{
		RequestID: requestID, RequestKey: store.EventKey("//src", requestID), Principal: principal, UserID: "u-" + principal,
		Role: "etl", Template: "small", ServiceAccount: "etl@p.iam.gserviceaccount.com", Project: "p", Region: "europe-west1",
		Name: "iis-" + requestID, Resource: "projects/p/regions/europe-west1/clusters/iis-" + requestID,
		DataprocRequestID: "iis-" + requestID, Spec: `{"image_version":"2.2"}`, State: store.ClusterApproved, NextPollAt: nextPoll,
		LastEventID: "ev-approved-" + requestID,
	}
}

func putClusters(t testing.TB, s store.Store, cs ...store.Cluster) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range cs {
			if err := tx.PutCluster(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

func testClusters(t *testing.T, s store.Store) {
	t0 := at("2030-01-01T00:00:00Z")
	a1, a2, b1 := cluster("a1", "alice", t0), cluster("a2", "alice", t0.Add(time.Second)), cluster("b1", "bob", t0)
	b1.UserID = "" // recorded without a directory user
	putClusters(t, s, a1, a2, b1)

	// Created: Dataproc's ids and the end; a re-put naming no event keeps the last one.
	a1.State, a1.UUID, a1.Operation, a1.AutoDeleteAt, a1.Attempts = "CREATING", "uuid-1", "projects/p/regions/europe-west1/operations/o1", t0.Add(4*time.Hour), 1
	again := a1
	again.LastEventID = ""
	putClusters(t, s, again)
	// Ended: a later put (a late writer) cannot bring it back or change why it ended.
	a2.State, a2.Ended, a2.DeleteReason, a2.DeleteCause, a2.LastEventID = store.ClusterDeleted, true, "leaver", "ev-revoked", "ev-deleted"
	putClusters(t, s, a2)
	late := a2
	late.State, late.Ended, late.DeleteReason, late.DeleteCause = "RUNNING", false, "", ""
	putClusters(t, s, late)

	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetCluster(ctx, "a1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(a1, got, ignoreStamps); diff != "" {
			t.Errorf("GetCluster(a1) (-want +got):\n%s", diff)
		}
		got, err = tx.GetCluster(ctx, "a2")
		if err != nil {
			return err
		}
		if !got.Ended || got.State != store.ClusterDeleted || got.DeleteReason != "leaver" || got.DeleteCause != "ev-revoked" {
			t.Errorf("an ended cluster came back: %+v", got)
		}
		_, err = tx.GetCluster(ctx, "nope")
		wantErr(t, "GetCluster(unknown)", err, store.ErrNotFound)

		if got, err := tx.FindCluster(ctx, "p", "europe-west1", "iis-a1"); err != nil || got.RequestID != "a1" {
			t.Errorf("FindCluster(iis-a1) = %s, %v", got.RequestID, err)
		}
		_, err = tx.FindCluster(ctx, "p", "us-east1", "iis-a1")
		wantErr(t, "FindCluster(other region)", err, store.ErrNotFound)

		for _, c := range []struct {
			name string
			list func() ([]store.Cluster, error)
			want []string
		}{
			{"active", func() ([]store.Cluster, error) { return tx.ListActiveClusters(ctx) }, []string{"a1", "b1"}},
			{"by user", func() ([]store.Cluster, error) { return tx.ListActiveClustersByUser(ctx, "u-alice") }, []string{"a1"}},
			{"by no user", func() ([]store.Cluster, error) { return tx.ListActiveClustersByUser(ctx, "") }, nil},
			{"by principal", func() ([]store.Cluster, error) { return tx.ListActiveClustersByPrincipal(ctx, "bob") }, []string{"b1"}},
		} {
			cs, err := c.list()
			if err != nil {
				return err
			}
			var ids []string
			for _, x := range cs {
				ids = append(ids, x.RequestID)
			}
			if diff := cmp.Diff(c.want, ids); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		return nil
	})
	for _, bad := range []store.Cluster{{RequestID: "x"}, func() store.Cluster { c := cluster("y", "p", t0); c.State = ""; return c }()} {
		err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutCluster(ctx, bad) })
		wantErr(t, "PutCluster(invalid)", err, store.ErrInvalid)
	}
}

func testClusterClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := at("2030-01-01T00:00:00Z")
	gone := cluster("gone", "alice", t0)
	gone.State, gone.Ended = store.ClusterDeleted, true
	putClusters(t, s, cluster("b", "alice", t0), cluster("a", "bob", t0.Add(time.Second)), cluster("later", "bob", t0.Add(time.Hour)), gone)
	now := t0.Add(10 * time.Second)
	claim := func() []string {
		cs, err := s.ClaimDueClusters(ctx, now, time.Minute, 10)
		if err != nil {
			t.Fatalf("ClaimDueClusters: %v", err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.RequestID)
			if !c.NextPollAt.Equal(now.Add(time.Minute)) {
				t.Errorf("claimed %s: next poll %v, want %v", c.RequestID, c.NextPollAt, now.Add(time.Minute))
			}
		}
		return ids
	}
	if diff := cmp.Diff([]string{"a", "b"}, claim()); diff != "" {
		t.Errorf("claim (-want +got):\n%s", diff)
	}
	if got := claim(); len(got) != 0 {
		t.Errorf("second claim = %v, want none while the lease holds", got)
	}
	_, err := s.ClaimDueClusters(ctx, now, 0, 1)
	wantErr(t, "ClaimDueClusters(no lease)", err, store.ErrInvalid)
}

func testBindings(t *testing.T, s store.Store) {
	t0 := at("2030-01-01T00:00:00Z")
	binding := func(id, principal, cluster string, expires time.Time) store.Binding {
		return store.Binding{ID: "iis-" + id, RequestID: id, RequestKey: store.EventKey("//src", id), ClusterRequestID: cluster,
			Resource: "projects/p/regions/europe-west1/clusters/iis-" + cluster, Principal: principal, UserID: "u-" + principal,
			Member: "user:" + principal + "@example.com", IAMRole: "roles/dataproc.viewer", ExpiresAt: expires,
			State: store.BindingPending, EventID: "ev-approved-" + id}
	}
	b1, b2 := binding("r1", "alice", "c1", t0.Add(time.Minute)), binding("r2", "alice", "c1", t0.Add(time.Hour))
	b3 := binding("r3", "bob", "c2", t0.Add(-time.Minute))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, b := range []store.Binding{b1, b2, b3} {
			if err := tx.PutBinding(ctx, b); err != nil {
				return err
			}
		}
		return nil
	})
	b1.State, b1.EventID = store.BindingActive, "ev-granted-r1"
	removedAt := t0.Add(2 * time.Minute)
	b2.State, b2.RemovedAt, b2.RemoveReason = store.BindingRemoved, &removedAt, "leaver"
	late := b2
	late.State, late.RemovedAt, late.RemoveReason = store.BindingActive, nil, ""
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, b := range []store.Binding{b1, b2, late} {
			if err := tx.PutBinding(ctx, b); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.GetBinding(ctx, "iis-r2")
		if err != nil {
			return err
		}
		if got.State != store.BindingRemoved || got.RemoveReason != "leaver" || got.RemovedAt == nil || !got.RemovedAt.Equal(removedAt) {
			t.Errorf("a removed binding came back: %+v", got)
		}
		if got, err := tx.GetBinding(ctx, "iis-r1"); err != nil || cmp.Diff(b1, got, ignoreStamps) != "" {
			t.Errorf("GetBinding(iis-r1) = %+v, %v; want %+v", got, err, b1)
		}
		_, err = tx.GetBinding(ctx, "nope")
		wantErr(t, "GetBinding(unknown)", err, store.ErrNotFound)
		for _, c := range []struct {
			name string
			list func() ([]store.Binding, error)
			want []string
		}{
			{"by user", func() ([]store.Binding, error) { return tx.ListActiveBindingsByUser(ctx, "u-alice") }, []string{"iis-r1"}},
			{"by principal", func() ([]store.Binding, error) { return tx.ListActiveBindingsByPrincipal(ctx, "bob") }, []string{"iis-r3"}},
			{"by cluster, removed too", func() ([]store.Binding, error) { return tx.ListBindingsByCluster(ctx, "c1") }, []string{"iis-r1", "iis-r2"}},
			{"expired by t0+1m", func() ([]store.Binding, error) { return tx.ListExpiredBindings(ctx, t0.Add(time.Minute), 0) }, []string{"iis-r3", "iis-r1"}},
			{"expired, limit 1", func() ([]store.Binding, error) { return tx.ListExpiredBindings(ctx, t0.Add(time.Minute), 1) }, []string{"iis-r3"}},
		} {
			bs, err := c.list()
			if err != nil {
				return err
			}
			var ids []string
			for _, b := range bs {
				ids = append(ids, b.ID)
			}
			if diff := cmp.Diff(c.want, ids); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		return nil
	})
	bad := binding("r9", "alice", "c1", t0)
	bad.State = "MAYBE"
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.PutBinding(ctx, bad) })
	wantErr(t, "PutBinding(bad state)", err, store.ErrInvalid)
}
