package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/store"
)

const workers = 8

// nextHash is the test's chain function.
func nextHash(prev, eventID string) string {
	h := sha256.Sum256([]byte(prev + "\x00" + eventID))
	return hex.EncodeToString(h[:])
}

// testConcurrentChain has writers append audit records while two
// sequencers chain them: the chain must come out gap-free, each record once,
// and every writer's records in the order that writer committed them (the
// causal order of a request's transactions).
func testConcurrentChain(t *testing.T, s store.Store) {
	const perWorker = 10
	ctx := context.Background()
	var writers errgroup.Group
	for w := range workers {
		writers.Go(func() error {
			for i := range perWorker {
				id := fmt.Sprintf("w%d-%03d", w, i)
				err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
					if _, err := tx.MarkProcessed(ctx, id, "", time.Now()); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, audited(id))
					return err
				})
				if err != nil {
					return fmt.Errorf("Update(%s): %w", id, err)
				}
			}
			return nil
		})
	}
	done := make(chan struct{})
	var sequencers errgroup.Group
	for range 2 {
		sequencers.Go(func() error {
			for {
				select {
				case <-done:
					return nil
				default:
				}
				if _, err := s.SequenceAudit(ctx, 7, testLink); err != nil {
					return err
				}
			}
		})
	}
	err := writers.Wait()
	close(done)
	if serr := sequencers.Wait(); serr != nil {
		t.Fatalf("SequenceAudit: %v", serr)
	}
	if err != nil {
		t.Fatal(err)
	}
	sequence(t, s)
	trail, err := s.AuditTrail(ctx, 0, 0)
	if err != nil {
		t.Fatalf("AuditTrail: %v", err)
	}
	if len(trail) != workers*perWorker {
		t.Fatalf("AuditTrail has %d messages, want %d", len(trail), workers*perWorker)
	}
	prev, seen, last := "", map[string]bool{}, map[string]string{}
	for i, m := range trail {
		if m.Seq != int64(i+1) {
			t.Fatalf("AuditTrail[%d].Seq = %d, want %d: the chain has a gap", i, m.Seq, i+1)
		}
		if want := nextHash(prev, m.EventID); m.Hash != want {
			t.Fatalf("AuditTrail[%d].Hash = %s, want %s: a sequencer did not link to its predecessor", i, m.Hash, want)
		}
		if seen[m.EventID] {
			t.Fatalf("AuditTrail[%d]: event %s twice", i, m.EventID)
		}
		writer, _, _ := strings.Cut(m.EventID, "-")
		if m.EventID < last[writer] {
			t.Fatalf("AuditTrail[%d]: %s chained after %s, which its writer committed later", i, m.EventID, last[writer])
		}
		prev, seen[m.EventID], last[writer] = m.Hash, true, m.EventID
	}
}

func testConcurrentClaim(t *testing.T, s store.Store) {
	const total = 120
	var ms []store.OutboxMessage
	for i := range total {
		ms = append(ms, msg("audit", fmt.Sprintf("m%d", i)))
	}
	enqueue(t, s, ms...)
	n := claimAll(t, func(ctx context.Context, w int) ([]int64, error) {
		got, err := s.ClaimOutbox(ctx, fmt.Sprintf("relay-%d", w), 7, time.Hour)
		if err != nil || len(got) == 0 {
			return nil, err
		}
		return ids(got), s.MarkSent(ctx, ids(got)...)
	})
	if n != total {
		t.Errorf("relays claimed %d messages, want %d", n, total)
	}
}

// claimAll runs claim on every worker at once until it returns nothing,
// fails the test if two claims returned one key, and returns how many keys
// were claimed.
func claimAll[K comparable](t *testing.T, claim func(ctx context.Context, worker int) ([]K, error)) int {
	t.Helper()
	var (
		mu      sync.Mutex
		claimed = map[K]int{}
		g       errgroup.Group
	)
	for w := range workers {
		g.Go(func() error {
			for {
				got, err := claim(context.Background(), w)
				if err != nil || len(got) == 0 {
					return err
				}
				mu.Lock()
				for _, k := range got {
					if prev, dup := claimed[k]; dup {
						mu.Unlock()
						return fmt.Errorf("%v claimed by workers %d and %d", k, prev, w)
					}
					claimed[k] = w
				}
				mu.Unlock()
			}
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return len(claimed)
}

func testConcurrentMarkProcessed(t *testing.T, s store.Store) {
	keys := []string{"k1", "k2", "k3"}
	firsts := make([]atomic.Int32, len(keys))
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			for i, k := range keys {
				var first bool
				err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
					var err error
					first, err = tx.MarkProcessed(ctx, k, "", time.Now())
					return err
				})
				if err != nil {
					return err
				}
				if first {
					firsts[i].Add(1)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if n := firsts[i].Load(); n != 1 {
			t.Errorf("MarkProcessed(%s) from %d goroutines was first %d times, want 1", k, workers, n)
		}
	}
}

func testConcurrentDecision(t *testing.T, s store.Store) {
	var (
		winners []string
		mu      sync.Mutex
		g       errgroup.Group
	)
	for w := range workers {
		g.Go(func() error {
			d := store.Decision{RequestKey: "k", RequestID: "r", Principal: fmt.Sprintf("p%d", w), Outcome: store.OutcomeApproved}
			var first bool
			err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				first, err = tx.RecordDecision(ctx, d)
				return err
			})
			if first {
				mu.Lock()
				winners = append(winners, d.Principal)
				mu.Unlock()
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(winners) != 1 {
		t.Fatalf("RecordDecision from %d goroutines was first for %v, want exactly one", workers, winners)
	}
	view(t, s, func(ctx context.Context, tx store.Tx) error {
		d, err := tx.GetDecision(ctx, "k")
		if err == nil && d.Principal != winners[0] {
			t.Errorf("GetDecision().Principal = %s, want the winner %s", d.Principal, winners[0])
		}
		return err
	})
}

// testConcurrentMembers checks that membership changes to one group are not
// lost when they race.
func testConcurrentMembers(t *testing.T, s store.Store) {
	u := users(t, s, workers)
	grp := putGroup(t, s, store.Group{DisplayName: "g"})
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			return s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.AddMembers(ctx, grp.ID, u[w])
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got := getGroup(t, s, grp.ID)
	if diff := cmp.Diff(u, got.Members); diff != "" || got.Version != 1+workers {
		t.Errorf("after %d concurrent AddMembers: Version %d (want %d), members (-want +got):\n%s", workers, got.Version, 1+workers, diff)
	}
}
