package checkpoint_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
	"github.com/dataproc-iis/iis/events"
)

// Each attack below leaves a chain that verifies on its own: only the
// checkpoint outside the database shows it.

func TestVerifyIntactWithCheckpoints(t *testing.T) {
	e := newEnv(t)
	e.append(6)
	e.checkpoint()
	e.append(2)
	e.checkpoint()
	e.append(1)
	rep, l := e.verify()
	if !rep.OK() || rep.Anchors != 2 || len(l.Anchors) != 2 {
		t.Errorf("verify(intact) = %v (anchors %d), %+v; want OK against 2 checkpoints", rep.Problems, rep.Anchors, l)
	}
}

// truncate deletes the records after keep and moves the head back to keep,
// as someone with write access would to hide them.
func (e *env) truncate(keep int64, alsoCheckpoints bool) {
	db := e.raw()
	var hash string
	if err := db.QueryRow("SELECT hash FROM outbox WHERE seq = ?", keep).Scan(&hash); err != nil {
		e.t.Fatal(err)
	}
	e.exec(db, "DELETE FROM outbox WHERE seq > ?", keep)
	e.exec(db, "UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1", keep, hash)
	if alsoCheckpoints {
		e.exec(db, "DELETE FROM audit_checkpoints WHERE seq > ?", keep)
	}
}

func TestTruncatedTail(t *testing.T) {
	e := newEnv(t)
	e.append(10)
	e.checkpoint()
	e.truncate(7, false)
	if rep, err := audit.VerifyStore(context.Background(), e.st, audit.StoreOptions{}); err != nil || !rep.OK() {
		t.Fatalf("without checkpoints the truncated chain = %v, %v; the test's premise is that it verifies", rep.Problems, err)
	}
	rep, _ := e.verify()
	if diff := cmp.Diff([]audit.Kind{audit.Removed}, kinds(rep)); diff != "" {
		t.Errorf("verify(truncated tail) kinds (-want +got):\n%s\n%v", diff, rep.Problems)
	}
	if len(rep.Problems) == 1 && rep.Problems[0].Seq != 8 {
		t.Errorf("verify(truncated tail) = %v, want the missing range to start at seq 8", rep.Problems[0])
	}
}

func TestTruncatedTailAndItsCheckpointRow(t *testing.T) {
	e := newEnv(t)
	e.append(10)
	e.checkpoint()
	e.truncate(7, true)
	rep, _ := e.verify()
	if diff := cmp.Diff([]audit.Kind{audit.RolledBack}, kinds(rep)); diff != "" {
		t.Errorf("verify(truncated tail, checkpoint row deleted too) kinds (-want +got):\n%s\n%v", diff, rep.Problems)
	}
}

// TestRolledBackDatabase restores a backup taken before the last
// checkpoint: the restored database is a consistent older state.
func TestRolledBackDatabase(t *testing.T) {
	e := newEnv(t)
	e.append(4)
	e.checkpoint()
	backup := filepath.Join(t.TempDir(), "backup.db")
	db := e.raw()
	e.exec(db, "VACUUM INTO ?", backup)
	db.Close()
	e.append(5)
	e.checkpoint()

	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(e.dir, sqlite.FileName)
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(live + suffix)
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(live, b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.open()
	if rep, err := audit.VerifyStore(context.Background(), e.st, audit.StoreOptions{}); err != nil || !rep.OK() {
		t.Fatalf("without checkpoints the restored backup = %v, %v; the test's premise is that it verifies", rep.Problems, err)
	}
	rep, l := e.verify()
	if diff := cmp.Diff([]audit.Kind{audit.RolledBack}, kinds(rep)); diff != "" {
		t.Errorf("verify(rolled back) kinds (-want +got):\n%s\n%v", diff, rep.Problems)
	}
	if len(l.Anchors) != 2 {
		t.Errorf("Load() found %d checkpoints, want 2", len(l.Anchors))
	}
}

// TestRewrittenHead changes a record before the last checkpoint and
// recomputes every hash after it, the head included.
func TestRewrittenHead(t *testing.T) {
	e := newEnv(t)
	e.append(6)
	e.checkpoint()
	e.append(2)
	e.rewriteFrom(5)
	if rep, err := audit.VerifyStore(context.Background(), e.st, audit.StoreOptions{}); err != nil || !rep.OK() {
		t.Fatalf("without checkpoints the rewritten chain = %v, %v; the test's premise is that it verifies", rep.Problems, err)
	}
	rep, _ := e.verify()
	if diff := cmp.Diff([]audit.Kind{audit.Rewritten}, kinds(rep)); diff != "" {
		t.Errorf("verify(rewritten head) kinds (-want +got):\n%s\n%v", diff, rep.Problems)
	}
	if len(rep.Problems) == 1 && rep.Problems[0].Seq != 6 {
		t.Errorf("verify(rewritten head) = %v, want it found at seq 6, the checkpointed head", rep.Problems[0])
	}
}

// TestRewrittenAfterTheLastCheckpoint is the limit: records newer than the
// last checkpoint are vouched for by the chain alone.
func TestRewrittenAfterTheLastCheckpoint(t *testing.T) {
	e := newEnv(t)
	e.append(6)
	e.checkpoint()
	e.append(3)
	e.rewriteFrom(8)
	if rep, _ := e.verify(); !rep.OK() {
		t.Errorf("verify(rewrite after the last checkpoint) = %v; the documented limit is that it does not show", rep.Problems)
	}
}

// rewriteFrom replaces the data of the record at seq from and re-links
// every record after it, as audit.Link would, then moves the head.
func (e *env) rewriteFrom(from int64) {
	ctx := context.Background()
	trail, err := e.st.AuditTrail(ctx, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	db := e.raw()
	prev := trail[from-2].Hash
	for _, m := range trail[from-1:] {
		if m.Seq == from {
			ev, err := events.NewEventRejected("//test", events.Rejection{Reason: "malformed", MessageID: "rewritten"})
			if err != nil {
				e.t.Fatal(err)
			}
			enc, err := events.Encode(ev)
			if err != nil {
				e.t.Fatal(err)
			}
			m.Data = enc.Data
		}
		attrs := make(map[string]string, len(m.Attributes))
		for k, v := range m.Attributes {
			if k != "ce-auditseq" && k != "ce-auditprev" {
				attrs[k] = v
			}
		}
		m.Attributes = attrs
		if err := audit.Link(&m, m.Seq, prev); err != nil {
			e.t.Fatal(err)
		}
		b, _ := jsonOfAttrs(m.Attributes)
		e.exec(db, "UPDATE outbox SET data = ?, attributes = ?, hash = ? WHERE seq = ?", m.Data, b, m.Hash, m.Seq)
		prev = m.Hash
	}
	e.exec(db, "UPDATE audit_chain_head SET hash = ? WHERE id = 1", prev)
}

func jsonOfAttrs(a map[string]string) (string, error) {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte("{")
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(append(strconv.AppendQuote(b, k), ':'), a[k])
	}
	return string(append(b, '}')), nil
}

// TestAnotherChainInTheArchive replaces the database by a fresh one: the
// archive still holds the old chain's checkpoints.
func TestAnotherChainInTheArchive(t *testing.T) {
	e := newEnv(t)
	e.append(3)
	e.checkpoint()
	e.st.Close()
	e.dir = t.TempDir() // a new, empty database
	e.open()
	e.append(2)
	rep, _ := e.verify()
	if diff := cmp.Diff([]audit.Kind{audit.RolledBack}, kinds(rep)); diff != "" {
		t.Errorf("verify(replaced database) kinds (-want +got):\n%s\n%v", diff, rep.Problems)
	}
}

// TestForgedCheckpoint plants a checkpoint signed by another key.
func TestForgedCheckpoint(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.append(3)
	real := e.checkpoint()
	forger := fileSigner(t)
	c := real
	c.Seq, c.Count, c.Previous = 50, 50, nil
	c, err := signWith(ctx, forger, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.archive.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	rep, _ := e.verify()
	if diff := cmp.Diff([]audit.Kind{audit.BadCheckpoint}, kinds(rep)); diff != "" {
		t.Errorf("verify(forged checkpoint) kinds (-want +got):\n%s\n%v", diff, rep.Problems)
	}
}
