package checkpoint_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the raw connection that tampers with the store

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
	"github.com/dataproc-iis/iis/events"
)

const topic = "iis-audit"

// fileSigner is a P-256 key file in a temporary directory.
func fileSigner(t testing.TB) *signing.File {
	t.Helper()
	s, err := signing.NewFile(signing.FileConfig{Path: filepath.Join(t.TempDir(), "key.pem"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// env is a SQLite store in a directory, a signer and a directory archive.
type env struct {
	t       *testing.T
	dir     string
	st      store.Store
	signer  *signing.File
	archive checkpoint.Dir
	cp      *checkpoint.Checkpointer
	n       int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), signer: fileSigner(t)}
	e.archive = checkpoint.Dir{Path: filepath.Join(t.TempDir(), "archive")}
	e.open()
	return e
}

// open (re)opens the store and builds a Checkpointer on it.
func (e *env) open() {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{DataDir: e.dir})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	e.st = st
	e.cp, err = checkpoint.New(checkpoint.Config{Store: st, Signer: e.signer, Archive: e.archive, Topic: topic, Source: "//test/checkpoint"})
	if err != nil {
		e.t.Fatal(err)
	}
}

// append writes n audit records and chains them.
func (e *env) append(n int) {
	e.t.Helper()
	ctx := context.Background()
	log := audit.Log{Topic: topic}
	for range n {
		e.n++
		ev, err := events.NewEventRejected("//test", events.Rejection{Reason: "malformed", MessageID: fmt.Sprint(e.n)})
		if err != nil {
			e.t.Fatal(err)
		}
		if err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, ev) }); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := audit.Sequence(ctx, e.st, 0); err != nil {
		e.t.Fatal(err)
	}
}

// checkpoint makes a checkpoint and fails unless one was made.
func (e *env) checkpoint() events.Checkpoint {
	e.t.Helper()
	c, made, err := e.cp.Checkpoint(context.Background())
	if err != nil || !made {
		e.t.Fatalf("Checkpoint() = %+v, made %v, %v", c, made, err)
	}
	return c
}

// raw opens the store's file behind its back.
func (e *env) raw() *sql.DB {
	e.t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.dir, sqlite.FileName))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) exec(db *sql.DB, q string, args ...any) {
	e.t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *env) chainID() string {
	e.t.Helper()
	var id string
	if err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
		id, err = tx.ChainID(ctx)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// verify loads the archive and verifies the store against it.
func (e *env) verify() (audit.Report, checkpoint.Loaded) {
	e.t.Helper()
	ctx := context.Background()
	l, err := checkpoint.Load(ctx, e.archive, e.signer, e.chainID(), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	rep, err := audit.VerifyStore(ctx, e.st, audit.StoreOptions{Anchors: l.Anchors})
	if err != nil {
		e.t.Fatal(err)
	}
	rep.Problems = append(rep.Problems, l.Problems...)
	return rep, l
}

func kinds(r audit.Report) []audit.Kind {
	var ks []audit.Kind
	for _, p := range r.Problems {
		ks = append(ks, p.Kind)
	}
	return ks
}

func fixed() events.Checkpoint {
	return events.Checkpoint{ChainID: "3f6c2b1e-8d4a-4f7b-9c1e-5a2d7b8e9f01", Seq: 120, Count: 120,
		Hash: "28889bdb9108a1f3c5e7d9b2a4c6e8f0123456789abcdef0fedcba9876543210",
		Time: time.Date(2026, 12, 3, 10, 15, 0, 123e6, time.UTC)}
}

func jsonOf(c events.Checkpoint) ([]byte, error) { return json.Marshal(c) }

func signWith(ctx context.Context, s signing.Signer, c events.Checkpoint) (events.Checkpoint, error) {
	return checkpoint.Sign(ctx, s, c)
}
