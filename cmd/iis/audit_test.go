package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite" // the "sqlite" driver, to tamper with the file

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
	"github.com/dataproc-iis/iis/events"
)

// auditTrail appends n audit events with audit.Log into a SQLite store in
// a new data directory, closes it and returns the directory and the trail.
func auditTrail(t *testing.T, n int) (string, []store.OutboxMessage) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, sqlite.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := audit.Log{Topic: "iis-audit"}
	for i := range n {
		e, err := events.NewEventRejected("//test/audit", events.Rejection{
			Reason: "schema_violation", Detail: fmt.Sprintf("record %d <at /job> & é", i+1), MessageID: strconv.Itoa(i + 1),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error { return log.Append(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.Sequence(ctx, st, 0); err != nil {
		t.Fatal(err)
	}
	trail, err := st.AuditTrail(ctx, 0, 0)
	if err != nil || len(trail) != n {
		t.Fatalf("AuditTrail() = %d records, %v; want %d", len(trail), err, n)
	}
	return dir, trail
}

type finding struct {
	Kind     audit.Kind
	Seq      int64
	Position int
}

// verifyJSON runs `iis audit verify -json args...` and returns the report
// and the exit code.
func verifyJSON(t *testing.T, args ...string) (audit.Report, int) {
	t.Helper()
	var out, errOut syncBuffer
	code := run(context.Background(), append([]string{"audit", "verify", "-json"}, args...), &out, &errOut)
	var rep audit.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("iis audit verify -json %v: %v\nstdout: %s\nstderr: %s", args, err, out.String(), errOut.String())
	}
	return rep, code
}

func projection(r audit.Report) []finding {
	var out []finding
	for _, p := range r.Problems {
		out = append(out, finding{p.Kind, p.Seq, p.Position})
	}
	return out
}

// TestAuditVerifyStore tampers with the outbox of a SQLite store through
// SQL, as someone with access to the database file could, and runs
// `iis audit verify -store`. Positions are outbox rows (their seq column).
func TestAuditVerifyStore(t *testing.T) {
	const n = 8
	exec := func(stmts ...string) func(*testing.T, *sql.DB, []store.OutboxMessage) {
		return func(t *testing.T, db *sql.DB, _ []store.OutboxMessage) {
			for _, s := range stmts {
				if _, err := db.Exec(s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
		}
	}
	tests := []struct {
		name   string
		tamper func(*testing.T, *sql.DB, []store.OutboxMessage)
		want   []finding
	}{
		{name: "intact"},
		{
			name: "one byte of data changed",
			tamper: func(t *testing.T, db *sql.DB, trail []store.OutboxMessage) {
				d := bytes.Replace(trail[3].Data, []byte("record 4"), []byte("record 5"), 1)
				mustExec(t, db, "UPDATE outbox SET data = ? WHERE seq = 4", d)
			},
			want: []finding{{audit.Changed, 4, 4}},
		},
		{
			name: "attribute changed",
			tamper: func(t *testing.T, db *sql.DB, trail []store.OutboxMessage) {
				setAttr(t, db, trail[5], "ce-source", "//test/elsewhere", false)
			},
			want: []finding{{audit.Changed, 6, 6}},
		},
		{
			name: "attribute changed and the hash column recomputed",
			tamper: func(t *testing.T, db *sql.DB, trail []store.OutboxMessage) {
				setAttr(t, db, trail[5], "ce-time", time.Now().UTC().Format(time.RFC3339Nano), true)
			},
			want: []finding{{audit.Changed, 6, 6}},
		},
		{name: "record deleted", tamper: exec("DELETE FROM outbox WHERE seq = 5"), want: []finding{{audit.Removed, 5, 6}}},
		{name: "last record deleted", tamper: exec("DELETE FROM outbox WHERE seq = 8"), want: []finding{{audit.Removed, 8, -1}}},
		{
			name: "forged record appended",
			tamper: func(t *testing.T, db *sql.DB, trail []store.OutboxMessage) {
				insertForged(t, db, n+1, trail[n-1].Hash)
			},
			want: []finding{{audit.Inserted, n + 1, n + 1}},
		},
		{
			name: "forged record inserted in the middle",
			tamper: func(t *testing.T, db *sql.DB, trail []store.OutboxMessage) {
				exec("UPDATE outbox SET seq = seq + 1000 WHERE seq >= 4", "UPDATE outbox SET seq = seq - 999 WHERE seq > 1000")(t, db, trail)
				insertForged(t, db, 4, trail[2].Hash)
			},
			want: []finding{{audit.Inserted, 4, 4}},
		},
		{
			name:   "records swapped",
			tamper: exec("UPDATE outbox SET seq = 1000 WHERE seq = 2", "UPDATE outbox SET seq = 2 WHERE seq = 6", "UPDATE outbox SET seq = 6 WHERE seq = 1000"),
			want:   []finding{{audit.Reordered, 2, 6}, {audit.Reordered, 6, 2}},
		},
		{
			name:   "adjacent records swapped",
			tamper: exec("UPDATE outbox SET seq = 1000 WHERE seq = 4", "UPDATE outbox SET seq = 4 WHERE seq = 5", "UPDATE outbox SET seq = 5 WHERE seq = 1000"),
			want:   []finding{{audit.Reordered, 4, 5}, {audit.Reordered, 5, 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, trail := auditTrail(t, n)
			file := filepath.Join(dir, sqlite.FileName)
			if tt.tamper != nil {
				db, err := sql.Open("sqlite", file)
				if err != nil {
					t.Fatal(err)
				}
				tt.tamper(t, db, trail)
				db.Close()
			}
			rep, code := verifyJSON(t, "-store", file, "-page", "3")
			if diff := cmp.Diff(tt.want, projection(rep)); diff != "" {
				t.Errorf("iis audit verify -store: problems (-want +got):\n%s\n%+v", diff, rep.Problems)
			}
			if wantCode := min(len(tt.want), 1); code != wantCode {
				t.Errorf("iis audit verify -store exited %d, want %d", code, wantCode)
			}
		})
	}
}

func TestAuditVerifyStoreText(t *testing.T) {
	dir, _ := auditTrail(t, 5)
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"audit", "verify", "-data-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("iis audit verify = %d\n%s%s", code, out.String(), errOut.String())
	}
	if got, want := out.String(), "verified 5 records (seq 1..5): OK\n"; got != want {
		t.Errorf("iis audit verify printed %q, want %q", got, want)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "DELETE FROM outbox WHERE seq = 3")
	db.Close()
	out, errOut = syncBuffer{}, syncBuffer{}
	code := run(context.Background(), []string{"audit", "verify", "-data-dir", dir}, &out, &errOut)
	wantOut := "seq 3: removed: seq 3 is missing between seq 2 and seq 4 (row 4)\nverified 4 records (seq 1..5): 1 problem\n"
	if code != 1 || out.String() != wantOut || !strings.Contains(errOut.String(), "the audit trail has 1 problem") {
		t.Errorf("iis audit verify (row deleted) = %d, %q, %q; want 1, %q", code, out.String(), errOut.String(), wantOut)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// setAttr changes one attribute of a stored record and, if rehash, its
// hash column too.
func setAttr(t *testing.T, db *sql.DB, m store.OutboxMessage, key, value string, rehash bool) {
	t.Helper()
	a := map[string]string{}
	for k, v := range m.Attributes {
		a[k] = v
	}
	a[key] = value
	b, _ := json.Marshal(a)
	hash := m.Hash
	if rehash {
		hash = audit.Hash(events.Message{Data: m.Data, Attributes: a})
	}
	mustExec(t, db, "UPDATE outbox SET attributes = ?, hash = ? WHERE seq = ?", string(b), hash, m.Seq)
}

// insertForged writes a record at seq linked to prev, hashed like any other.
func insertForged(t *testing.T, db *sql.DB, seq int, prev string) {
	t.Helper()
	e, err := events.NewEventRejected("//test/audit", events.Rejection{Reason: "malformed"}, events.WithID("forged"))
	if err != nil {
		t.Fatal(err)
	}
	e.SetExtension(events.ExtAuditSeq, strconv.Itoa(seq))
	e.SetExtension(events.ExtAuditPrev, prev)
	m, err := events.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m.Attributes)
	mustExec(t, db, "INSERT INTO outbox (topic, event_id, data, attributes, seq, hash, created_at) VALUES ('iis-audit', 'forged', ?, ?, ?, ?, 0)",
		m.Data, string(b), seq, audit.Hash(m))
}

// TestAuditVerifyCapture writes captures as `iis tail -json` does and
// verifies them with -file: Pub/Sub's duplicates and disorder are fine,
// tampering is not.
func TestAuditVerifyCapture(t *testing.T) {
	const n = 6
	_, trail := auditTrail(t, n)
	msgs := make([]*pubsub.Message, n)
	for i, m := range trail {
		msgs[i] = &pubsub.Message{ID: strconv.Itoa(100 + i), Data: m.Data, Attributes: m.Attributes, PublishTime: time.Now()}
	}
	capture := func(ms []*pubsub.Message, extra ...string) string {
		var b bytes.Buffer
		for _, m := range ms {
			writeJSON(&b, m)
		}
		for _, l := range extra {
			b.WriteString(l + "\n")
		}
		f := filepath.Join(t.TempDir(), "audit.jsonl")
		if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	shuffled := append(append([]*pubsub.Message(nil), msgs...), msgs[1], msgs[4])
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	changed := append([]*pubsub.Message(nil), msgs...)
	changed[2] = &pubsub.Message{ID: "x", Data: bytes.Replace(msgs[2].Data, []byte("record 3"), []byte("record 9"), 1), Attributes: msgs[2].Attributes}

	tests := []struct {
		name string
		file string
		args []string
		want []finding
		dups int
	}{
		{name: "in order", file: capture(msgs), args: []string{"-from", "1"}},
		{name: "shuffled, with redeliveries", file: capture(shuffled), args: []string{"-from", "1"}, dups: 2},
		{name: "one byte changed", file: capture(changed), want: []finding{{audit.Changed, 3, 3}}},
		{name: "first missing, from 1", file: capture(msgs[1:]), args: []string{"-from", "1"}, want: []finding{{audit.Removed, 1, 1}}},
		{name: "not JSON", file: capture(msgs, "{oops"), want: []finding{{audit.Malformed, 0, n + 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, code := verifyJSON(t, append([]string{"-file", tt.file}, tt.args...)...)
			if diff := cmp.Diff(tt.want, projection(rep)); diff != "" {
				t.Errorf("iis audit verify -file: problems (-want +got):\n%s\n%+v", diff, rep.Problems)
			}
			if wantCode := min(len(tt.want), 1); code != wantCode || rep.Duplicates != tt.dups {
				t.Errorf("iis audit verify -file = exit %d, %d duplicates; want %d, %d", code, rep.Duplicates, wantCode, tt.dups)
			}
		})
	}
}

func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{{"audit"}, {"audit", "check"}, {"audit", "verify", "extra"}, {"audit", "verify", "-file", "/nonexistent/capture"}} {
		var out, errOut syncBuffer
		if code := run(context.Background(), args, &out, &errOut); code != 1 {
			t.Errorf("iis %v = %d, want 1 (stderr %q)", args, code, errOut.String())
		}
	}
}

// TestAuditVerifyCheckpoints checks a store against the checkpoints `iis
// dev` keeps in its data directory: by default, with no flag.
func TestAuditVerifyCheckpoints(t *testing.T) {
	ctx := context.Background()
	dir, trail := auditTrail(t, 6)
	st, err := sqlite.Open(ctx, sqlite.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.NewFile(signing.FileConfig{Path: filepath.Join(dir, "checkpoint-key.pem"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := checkpoint.New(checkpoint.Config{Store: st, Signer: key, Archive: checkpoint.Dir{Path: filepath.Join(dir, "checkpoints")},
		Topic: "iis-audit", Source: "//test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, made, err := cp.Checkpoint(ctx); err != nil || !made {
		t.Fatalf("Checkpoint() = %v, %v", made, err)
	}
	st.Close()

	rep, code := verifyJSON(t, "-data-dir", dir)
	if code != 0 || rep.Anchors != 1 {
		t.Fatalf("iis audit verify (intact, 1 checkpoint) = exit %d, anchors %d, %v", code, rep.Anchors, rep.Problems)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "DELETE FROM outbox WHERE seq > 4")
	mustExec(t, db, "UPDATE audit_chain_head SET seq = 4, hash = ? WHERE id = 1", trail[3].Hash)
	db.Close()
	rep, code = verifyJSON(t, "-data-dir", dir)
	if diff := cmp.Diff([]finding{{audit.Removed, 5, -1}}, projection(rep)); diff != "" || code != 1 {
		t.Errorf("iis audit verify (truncated tail) = exit %d, findings (-want +got):\n%s", code, diff)
	}
	var out, errOut syncBuffer
	code = run(ctx, []string{"audit", "verify", "-data-dir", dir, "-checkpoint-archive", filepath.Join(dir, "checkpoints")}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "-checkpoint-key") {
		t.Errorf("iis audit verify -checkpoint-archive without a key = exit %d, %q; want a refusal naming -checkpoint-key", code, errOut.String())
	}
}

func TestAuditExportOCSF(t *testing.T) {
	dir, trail := auditTrail(t, 4)
	out := filepath.Join(t.TempDir(), "ocsf.jsonl")
	var stdout, stderr syncBuffer
	if code := run(context.Background(), []string{"audit", "export", "-format", "ocsf", "-data-dir", dir, "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("iis audit export = exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(trail) {
		t.Fatalf("exported %d lines, want %d", len(lines), len(trail))
	}
	for i, l := range lines {
		var rec struct {
			ClassUID int `json:"class_uid"`
			Metadata struct {
				UID string `json:"uid"`
			} `json:"metadata"`
			Unmapped struct {
				CloudEvents map[string]string `json:"cloudevents"`
			} `json:"unmapped"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if rec.ClassUID != 6003 || rec.Metadata.UID != trail[i].EventID || rec.Unmapped.CloudEvents["auditseq"] != strconv.Itoa(i+1) {
			t.Errorf("line %d = class %d, uid %s, seq %s; want API Activity for event %s at seq %d",
				i+1, rec.ClassUID, rec.Metadata.UID, rec.Unmapped.CloudEvents["auditseq"], trail[i].EventID, i+1)
		}
	}
	if !strings.Contains(stderr.String(), "exported 4 records") {
		t.Errorf("stderr = %q, want the count", stderr.String())
	}
}

// TestAuditVerifyCaptureCheckpoints checks a capture against the
// checkpoint events it holds: with the key, a capture whose last records
// were rewritten consistently fails at the checkpointed seq; a forged
// checkpoint is reported; without the key, they are only counted.
func TestAuditVerifyCaptureCheckpoints(t *testing.T) {
	ctx := context.Background()
	_, trail := auditTrail(t, 5)
	keyPath := filepath.Join(t.TempDir(), "key.pem")
	key, err := signing.NewFile(signing.FileConfig{Path: keyPath, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	checkpointLine := func(s signing.Signer, seq int64, hash string) *pubsub.Message {
		c, err := checkpoint.Sign(ctx, s, events.Checkpoint{ChainID: "3f6c2b1e-8d4a-4f7b-9c1e-5a2d7b8e9f01", Seq: seq, Count: seq, Hash: hash, Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		e, err := events.NewAuditCheckpointed("//test", c)
		if err != nil {
			t.Fatal(err)
		}
		m, err := events.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		return &pubsub.Message{ID: "cp", Data: m.Data, Attributes: m.Attributes, PublishTime: time.Now()}
	}
	write := func(ms ...*pubsub.Message) string {
		var b bytes.Buffer
		for _, m := range ms {
			writeJSON(&b, m)
		}
		f := filepath.Join(t.TempDir(), "audit.jsonl")
		if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	var msgs []*pubsub.Message
	for i, m := range trail {
		msgs = append(msgs, &pubsub.Message{ID: strconv.Itoa(i), Data: m.Data, Attributes: m.Attributes, PublishTime: time.Now()})
	}
	good := checkpointLine(key, 4, trail[3].Hash)
	lie := checkpointLine(key, 4, strings.Repeat("ab", 32)) // what a rewritten capture would be checked against
	forger, err := signing.NewFile(signing.FileConfig{Path: filepath.Join(t.TempDir(), "other.pem"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	forged := checkpointLine(forger, 4, trail[3].Hash)

	rep, code := verifyJSON(t, "-file", write(append(msgs, good)...), "-from", "1", "-checkpoint-archive", t.TempDir(), "-checkpoint-key", keyPath)
	if code != 0 || rep.Anchors != 1 {
		t.Errorf("capture with a good checkpoint = exit %d, anchors %d, %v", code, rep.Anchors, rep.Problems)
	}
	rep, code = verifyJSON(t, "-file", write(append(msgs, lie)...), "-from", "1", "-checkpoint-archive", t.TempDir(), "-checkpoint-key", keyPath)
	if diff := cmp.Diff([]finding{{audit.Rewritten, 4, 4}}, projection(rep)); diff != "" || code != 1 {
		t.Errorf("capture contradicting its checkpoint = exit %d (-want +got):\n%s", code, diff)
	}
	rep, code = verifyJSON(t, "-file", write(append(msgs, forged)...), "-from", "1", "-checkpoint-archive", t.TempDir(), "-checkpoint-key", keyPath)
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != audit.BadCheckpoint || code != 1 {
		t.Errorf("capture with a forged checkpoint = exit %d, %v; want bad_checkpoint", code, rep.Problems)
	}
	rep, code = verifyJSON(t, "-file", write(append(msgs, forged)...), "-from", "1", "-data-dir", t.TempDir())
	if code != 0 || len(rep.Notes) == 0 || !strings.Contains(strings.Join(rep.Notes, " "), "not checked") {
		t.Errorf("capture with a checkpoint, no key = exit %d, notes %v; want OK with a note", code, rep.Notes)
	}
}
