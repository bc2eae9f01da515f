package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// feedTest is a store and a listener on one fresh schema.
type feedTest struct {
	st      store.Store
	conn    *pgx.Conn // for markers and raw SQL, on the same schema
	schema  string
	appName string
	l       *postgres.Listener
	ch      <-chan directory.Change
	markers int
}

func newFeedTest(t *testing.T) *feedTest {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, postgres.Config{DSN: dsn, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ft := &feedTest{st: st}
	if ft.conn, err = pgx.Connect(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ft.conn.Close(context.Background()) })
	if err := ft.conn.QueryRow(ctx, "SELECT current_schema()").Scan(&ft.schema); err != nil {
		t.Fatal(err)
	}
	ft.appName = "iis_listener_" + ft.schema
	if ft.l, err = postgres.Listen(ctx, withParam(t, dsn, "application_name", ft.appName)); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ft.l.Close() })
	if ft.ch, err = ft.l.Changes(ctx); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	ft.expect(t, directory.FeedUp)
	return ft
}

func withParam(t *testing.T, dsn, k, v string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("url.Parse(%s): %v", storetest.PostgresEnv, err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// next returns the next change, failing the test after 10s.
func (ft *feedTest) next(t *testing.T) (directory.Change, bool) {
	t.Helper()
	select {
	case ch, ok := <-ft.ch:
		return ch, ok
	case <-time.After(10 * time.Second):
		t.Fatal("no change from the listener within 10s")
		return directory.Change{}, false
	}
}

func (ft *feedTest) expect(t *testing.T, kind directory.ChangeKind) {
	t.Helper()
	if ch, ok := ft.next(t); !ok || ch.Kind != kind {
		t.Fatalf("change = %+v (open %v), want kind %d", ch, ok, kind)
	}
}

// notified is what the listener reported between two markers.
type notified struct {
	Users, Keys []string
	All         bool
}

// collect commits a marker notification and returns what the listener
// reported before it: notifications arrive in commit order, so everything
// committed before the marker has arrived once the marker has.
func (ft *feedTest) collect(t *testing.T) notified {
	t.Helper()
	ft.markers++
	marker := fmt.Sprintf("marker-%d", ft.markers)
	ft.notify(t, fmt.Sprintf(`{"schema": %q, "users": [%q]}`, ft.schema, marker))
	var got notified
	for {
		ch, ok := ft.next(t)
		switch {
		case !ok:
			t.Fatal("the listener's channel closed")
		case ch.Kind == directory.ChangeAll:
			got.All = true
		case ch.Kind != directory.ChangeUsers:
			t.Fatalf("change = %+v, want ChangeUsers or ChangeAll", ch)
		case slices.Contains(ch.Users, marker):
			slices.Sort(got.Users)
			slices.Sort(got.Keys)
			got.Users, got.Keys = slices.Compact(got.Users), slices.Compact(got.Keys)
			return got
		default:
			got.Users = append(got.Users, ch.Users...)
			got.Keys = append(got.Keys, ch.Keys...)
		}
	}
}

func (ft *feedTest) notify(t *testing.T, payload string) {
	t.Helper()
	if _, err := ft.conn.Exec(context.Background(), "SELECT pg_notify($1, $2)", postgres.Channel, payload); err != nil {
		t.Fatalf("pg_notify: %v", err)
	}
}

func (ft *feedTest) update(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := ft.st.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func putUser(id, name string, emails ...string) func(ctx context.Context, tx store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			u, err = store.User{ID: id, Active: true}, nil
		}
		if err != nil {
			return err
		}
		u.UserName, u.Emails = name, nil
		for _, e := range emails {
			u.Emails = append(u.Emails, store.Email{Value: e})
		}
		_, err = tx.PutUser(ctx, u)
		return err
	}
}

func setMembers(group string, users ...string) func(ctx context.Context, tx store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error {
		g, err := tx.GetGroupByName(ctx, group)
		if errors.Is(err, store.ErrNotFound) {
			g, err = tx.PutGroup(ctx, store.Group{DisplayName: group})
		}
		if err != nil {
			return err
		}
		_, _, err = tx.SetMembers(ctx, g.ID, users)
		return err
	}
}

func renameGroup(from, to, externalID string) func(ctx context.Context, tx store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error {
		g, err := tx.GetGroupByName(ctx, from)
		if err != nil {
			return err
		}
		g.DisplayName, g.ExternalID = to, externalID
		_, err = tx.PutGroup(ctx, g)
		return err
	}
}

// TestListenReportsDirectoryChanges runs directory writes one after the
// other and checks what each notified.
func TestListenReportsDirectoryChanges(t *testing.T) {
	ft := newFeedTest(t)
	other := newFeedTest(t) // another deployment in the same database
	var many []string
	tests := []struct {
		name string
		do   func(t *testing.T)
		want notified
	}{
		{"user created", func(t *testing.T) {
			ft.update(t, putUser("u-alice", "Alice@Example.com", "Alice@Example.com", "a.smith@example.com"))
		},
			notified{Users: []string{"u-alice"}, Keys: []string{"a.smith@example.com", "alice@example.com"}}},
		{"user created without e-mail", func(t *testing.T) { ft.update(t, putUser("u-bob", "bob")) },
			notified{Users: []string{"u-bob"}, Keys: []string{"bob"}}},
		{"user locked", func(t *testing.T) {
			ft.update(t, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.SetUserLocked(ctx, "u-alice", true, "leaver")
				return err
			})
		}, notified{Users: []string{"u-alice"}, Keys: []string{"alice@example.com"}}},
		{"user renamed, e-mail dropped", func(t *testing.T) { ft.update(t, putUser("u-alice", "alice2", "a.smith@example.com")) },
			notified{Users: []string{"u-alice"}, Keys: []string{"a.smith@example.com", "alice2", "alice@example.com"}}},
		{"group created with members", func(t *testing.T) { ft.update(t, setMembers("Data-Eng", "u-alice", "u-bob")) },
			notified{Users: []string{"u-alice", "u-bob"}}},
		{"member removed", func(t *testing.T) { ft.update(t, setMembers("Data-Eng", "u-bob")) },
			notified{Users: []string{"u-alice"}}},
		{"group renamed", func(t *testing.T) { ft.update(t, renameGroup("Data-Eng", "data-engineering", "")) },
			notified{Users: []string{"u-bob"}}},
		{"group changed, same name", func(t *testing.T) { ft.update(t, renameGroup("data-engineering", "data-engineering", "ext-1")) },
			notified{}},
		{"rolled back", func(t *testing.T) {
			err := ft.st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.SetUserLocked(ctx, "u-bob", true, "leaver"); err != nil {
					return err
				}
				return errors.New("abort")
			})
			if err == nil {
				t.Fatal("Update(abort) = nil, want an error")
			}
		}, notified{}},
		{"another schema's change", func(t *testing.T) { other.update(t, putUser("u-carol", "carol")) }, notified{}},
		{"user deleted", func(t *testing.T) {
			ft.update(t, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, "u-bob") })
		}, notified{Users: []string{"u-bob"}, Keys: []string{"bob"}}},
		{"big group renamed", func(t *testing.T) {
			ft.update(t, func(ctx context.Context, tx store.Tx) error {
				for i := range 250 {
					id := fmt.Sprintf("user-%031d", i)
					many = append(many, id)
					if err := putUser(id, id)(ctx, tx); err != nil {
						return err
					}
				}
				return setMembers("big", many...)(ctx, tx)
			})
			ft.collect(t)
			ft.update(t, renameGroup("big", "bigger", ""))
		}, notified{All: true}},
		{"truncated", func(t *testing.T) {
			if _, err := ft.conn.Exec(context.Background(), "TRUNCATE dir_members"); err != nil {
				t.Fatal(err)
			}
		}, notified{All: true}},
		{"unreadable payload", func(t *testing.T) { ft.notify(t, "not json") }, notified{All: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.do(t)
			if diff := cmp.Diff(tt.want, ft.collect(t)); diff != "" {
				t.Errorf("notified (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListenReconnects kills the listener's connection: it must say
// FeedDown, then FeedUp once it listens again, and deliver changes then.
func TestListenReconnects(t *testing.T) {
	ft := newFeedTest(t)
	for i := range 2 {
		tag, err := ft.conn.Exec(context.Background(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", ft.appName)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("terminate the listener #%d: %v, %d backends", i, err, tag.RowsAffected())
		}
		ft.expect(t, directory.FeedDown)
		ft.expect(t, directory.FeedUp)
	}
	ft.update(t, putUser("u-dave", "dave"))
	if diff := cmp.Diff(notified{Users: []string{"u-dave"}, Keys: []string{"dave"}}, ft.collect(t)); diff != "" {
		t.Errorf("notified after reconnecting (-want +got):\n%s", diff)
	}
}

func TestListenClose(t *testing.T) {
	ft := newFeedTest(t)
	late, err := ft.l.Changes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ch := <-late; ch.Kind != directory.FeedUp {
		t.Errorf("first change of a late subscriber = %+v, want FeedUp", ch)
	}
	ft.l.Close()
	for _, ch := range []<-chan directory.Change{ft.ch, late} {
		for range ch { // drain: a FeedDown may come first
		}
	}
	if _, err := ft.l.Changes(context.Background()); !errors.Is(err, postgres.ErrListenerClosed) {
		t.Errorf("Changes after Close = %v, want ErrListenerClosed", err)
	}
}

func TestListenRejectsBadDSN(t *testing.T) {
	if _, err := postgres.Listen(context.Background(), "postgres://%zz"); err == nil {
		t.Error(`Listen("postgres://%zz") = nil error, want an error`)
	}
}
