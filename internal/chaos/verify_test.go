//go:build linux

package chaos

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the raw connection that tampers with the store

	"github.com/dataproc-iis/iis/broker/store"
)

// verifyWithCLI runs `iis audit verify` on the store and on the capture of
// the audit topic (every record from seq 1, duplicates dropped), against the
// signed checkpoints: both must report a clean chain.
func verifyWithCLI(t *testing.T, bin, dsn, capture, data string) {
	t.Helper()
	cps := checkpointArgs(data)
	for _, args := range [][]string{
		append([]string{"audit", "verify", "-store", dsn, "-max-problems", "20"}, cps...),
		append([]string{"audit", "verify", "-file", capture, "-from", "1", "-max-problems", "20"}, cps...),
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		text := strings.TrimSpace(string(out))
		if strings.Contains(text, `unknown command "audit"`) {
			t.Log("iis audit verify is not in this build; the chain was verified with audit.Hash only")
			return
		}
		src := args[2]
		if err != nil {
			t.Errorf("iis audit verify %s: %v\n%s", src, err, text)
			continue
		}
		lines := strings.Split(text, "\n")
		t.Logf("iis audit verify %s: %s", src, lines[len(lines)-1])
	}
}

func checkpointArgs(data string) []string {
	return []string{"-checkpoint-archive", filepath.Join(data, "checkpoints"), "-checkpoint-key", filepath.Join(data, "checkpoint-key.pem")}
}

// truncateBehindTheBroker is the case of issue 14: once every process has
// stopped (each made its last checkpoint), someone with write access to the
// database deletes the newest records and moves the chain head back onto
// the last one left, so that the chain is consistent again. Without the
// checkpoints `iis audit verify` cannot tell; with them it must report the
// missing tail.
func truncateBehindTheBroker(t *testing.T, ctx context.Context, c *cluster, st store.Store) {
	t.Helper()
	for _, p := range append(c.workers, c.dev) {
		p.stop(30 * time.Second)
	}
	data := filepath.Join(c.dir, "data")
	var head int64
	var last store.Checkpoint
	err := st.View(ctx, func(ctx context.Context, tx store.Tx) (err error) {
		if head, _, err = tx.ChainHead(ctx); err != nil {
			return err
		}
		last, _, err = tx.LastCheckpoint(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.Seq != head {
		t.Fatalf("after every process stopped, the last checkpoint covers seq %d of %d: the shutdown checkpoint is missing", last.Seq, head)
	}
	const cut = 5
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash string
	if err := db.QueryRowContext(ctx, "SELECT hash FROM outbox WHERE seq = $1", head-cut).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DELETE FROM outbox WHERE seq > $1", "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1"} {
		args := []any{head - cut}
		if strings.HasPrefix(q, "UPDATE") {
			args = append(args, hash)
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	plain, err := exec.Command(c.bin, "audit", "verify", "-store", c.dsn).CombinedOutput()
	if err != nil {
		t.Errorf("iis audit verify without checkpoints on the truncated store: %v: the premise is that the chain alone cannot tell\n%s", err, plain)
	}
	out, err := exec.Command(c.bin, append([]string{"audit", "verify", "-store", c.dsn}, checkpointArgs(data)...)...).CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err == nil || !strings.Contains(text, "removed") || !strings.Contains(text, "truncated tail") {
		t.Errorf("iis audit verify against the checkpoints did not report the %d records deleted behind the broker's back (exit %v):\n%s", cut, err, text)
		return
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "truncated tail") {
			t.Logf("newest %d records deleted behind the broker's back: iis audit verify: %s", cut, l)
		}
	}
}
