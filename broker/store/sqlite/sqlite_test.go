package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.SQLite(t) })
}

func BenchmarkUpdateMarkProcessedEnqueue(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			s, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: b.TempDir(), Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.BenchUpdateMarkProcessedEnqueue(b, s)
		})
	}
}

func open(t *testing.T, cfg sqlite.Config) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestOpenCreatesPrivateDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	open(t, sqlite.Config{DataDir: dir})
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, sqlite.FileName): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("Stat(%s): %v", path, err)
		}
		if fi.Mode() != want {
			t.Errorf("Stat(%s).Mode() = %v, want %v", path, fi.Mode(), want)
		}
	}
}

// TestReopen checks that data survives a restart and that migrations are not
// applied twice.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custom.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MarkProcessed(ctx, "k", "", time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := open(t, sqlite.Config{Path: path})
	err = s2.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		first, err := tx.MarkProcessed(ctx, "k", "", time.Now())
		if err == nil && first {
			t.Errorf("MarkProcessed(k) after reopen = true, want false: the mark was lost")
		}
		return err
	})
	if err != nil {
		t.Fatalf("Update after reopen: %v", err)
	}
}

// TestTwoProcesses opens the same file twice, as two processes would,
// appends audit records from both at once and sequences them from both:
// BEGIN IMMEDIATE and the busy timeout must keep the chain gap-free without
// SQLITE_BUSY failures.
func TestTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	stores := []store.Store{open(t, sqlite.Config{DataDir: dir}), open(t, sqlite.Config{DataDir: dir})}
	const perWriter = 15
	var g errgroup.Group
	for w := range 6 {
		s := stores[w%2]
		g.Go(func() error {
			for i := range perWriter {
				err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
					id := fmt.Sprintf("w%d-%d", w, i)
					_, err := tx.Enqueue(ctx, store.OutboxMessage{Topic: "audit", EventID: id, Chain: true})
					return err
				})
				if err != nil {
					return err
				}
				if _, err := s.SequenceAudit(context.Background(), 4, link); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent Update from two stores on one file: %v", err)
	}
	for {
		n, err := stores[1].SequenceAudit(context.Background(), 100, link)
		if err != nil {
			t.Fatalf("SequenceAudit: %v", err)
		}
		if n == 0 {
			break
		}
	}
	trail, err := stores[1].AuditTrail(context.Background(), 0, 0)
	if err != nil {
		t.Fatalf("AuditTrail: %v", err)
	}
	for i, m := range trail {
		if m.Seq != int64(i+1) {
			t.Fatalf("AuditTrail[%d].Seq = %d, want %d", i, m.Seq, i+1)
		}
	}
	if len(trail) != 6*perWriter {
		t.Errorf("AuditTrail has %d messages, want %d", len(trail), 6*perWriter)
	}
}

func TestOpenFailsTransiently(t *testing.T) {
	// A data directory below a regular file cannot be created.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: filepath.Join(file, "dir")})
	if err == nil || fault.IsPermanent(err) || fault.ReasonOf(err) != "store_unavailable" {
		t.Errorf("Open(dir under a file) = %v (reason %q), want a transient store_unavailable fault", err, fault.ReasonOf(err))
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg     sqlite.Config
		wantErr bool
	}{
		{sqlite.Config{DataDir: "/var/lib/iis"}, false},
		{sqlite.Config{Path: "/var/lib/iis/x.db", Synchronous: "normal"}, false},
		{sqlite.Config{}, true},
		{sqlite.Config{Path: "/tmp/x.db?mode=ro"}, true},
		{sqlite.Config{DataDir: "d", Synchronous: "OFF"}, true},
		{sqlite.Config{DataDir: "d", ReadConns: -1}, true},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%+v.Validate() = %v, want error: %v", tt.cfg, err, tt.wantErr)
		}
	}
}

func TestErrorsAreSentinels(t *testing.T) {
	s := storetest.SQLite(t)
	err := s.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.GetUser(ctx, "nobody")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) || fault.IsPermanent(err) {
		t.Errorf("GetUser(unknown) = %v, want ErrNotFound, not permanent", err)
	}
}

// link is a stand-in for audit.Link: a hash of the position is enough here.
func link(m *store.OutboxMessage, seq int64, prev string) error {
	m.Hash = fmt.Sprintf("h%d<%s", seq, prev[:min(len(prev), 8)])
	return nil
}
