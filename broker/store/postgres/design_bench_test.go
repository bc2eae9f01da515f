package postgres_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// BenchmarkChainDesign measures the three ways of chaining audit records
// that docs/audit.md weighs, on bare SQL so that only the chaining differs:
// every operation is one SERIALIZABLE transaction that inserts a dedupe
// key and a 1 KiB audit record, as a decision does, from 1, 3 and 6
// concurrent writers.
//
//	global     the record takes its seq in the transaction, under one
//	           advisory lock held from before BEGIN (the broker before
//	           issue 14)
//	shards     the same, with 8 chains: the record's key picks a chain and
//	           its lock
//	sequencer  the transaction inserts the record unchained; one sequencer
//	           chains committed records in batches (the broker since)
//
// The figure is records/s, counted when the last record is chained.
func BenchmarkChainDesign(b *testing.B) {
	for _, design := range []string{"global", "shards", "sequencer"} {
		for _, writers := range []int{1, 3, 6} {
			b.Run(fmt.Sprintf("%s/writers=%d", design, writers), func(b *testing.B) {
				db := designDB(b)
				b.ResetTimer()
				start := time.Now()
				runDesign(b, db, design, writers)
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			})
		}
	}
}

const designShards = 8

func designDB(b *testing.B) *sql.DB {
	b.Helper()
	cc, err := pgx.ParseConfig(storetest.PostgresDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(16)
	b.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE d_processed (key TEXT PRIMARY KEY, at TIMESTAMPTZ NOT NULL)`,
		`CREATE TABLE d_outbox (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, shard INT NOT NULL DEFAULT 0,
		   seq BIGINT, hash TEXT NOT NULL DEFAULT '', data BYTEA NOT NULL, UNIQUE (shard, seq))`,
		`CREATE INDEX d_outbox_pending ON d_outbox (id) WHERE seq IS NULL`,
		`CREATE TABLE d_head (shard INT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)`,
		fmt.Sprintf(`INSERT INTO d_head SELECT g, 0, '' FROM generate_series(0, %d) g`, designShards-1),
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

func runDesign(b *testing.B, db *sql.DB, design string, writers int) {
	ctx := context.Background()
	data := []byte(strings.Repeat("x", 1024))
	var next atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var seqDone sync.WaitGroup
	if design == "sequencer" {
		seqDone.Add(1)
		go func() {
			defer seqDone.Done()
			for {
				n, err := designSequence(ctx, db)
				if err != nil {
					b.Error(err)
					return
				}
				if n == 0 {
					select {
					case <-stop:
						if n, _ := designSequence(ctx, db); n == 0 {
							return
						}
					case <-time.After(time.Millisecond):
					}
				}
			}
		}()
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				key := fmt.Sprintf("w%d-%d", w, i)
				if err := designWrite(ctx, db, design, key, data); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	seqDone.Wait()
}

// designWrite is one request's transaction, retried on serialization failures.
func designWrite(ctx context.Context, db *sql.DB, design, key string, data []byte) error {
	shard := 0
	if design == "shards" {
		h := fnv.New32a()
		h.Write([]byte(key))
		shard = int(h.Sum32() % designShards)
	}
	for attempt := 0; ; attempt++ {
		err := designTx(ctx, db, design, shard, key, data)
		if err == nil || attempt > 50 || !strings.Contains(err.Error(), "40001") && !strings.Contains(err.Error(), "40P01") {
			return err
		}
	}
}

func designTx(ctx context.Context, db *sql.DB, design string, shard int, key string, data []byte) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if design != "sequencer" {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(4242900, $1)", shard); err != nil {
			return err
		}
		defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(4242900, $1)", shard)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO d_processed (key, at) VALUES ($1, now()) ON CONFLICT DO NOTHING", key); err != nil {
		return err
	}
	if design == "sequencer" {
		if _, err := tx.ExecContext(ctx, "INSERT INTO d_outbox (data) VALUES ($1)", data); err != nil {
			return err
		}
		return tx.Commit()
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM d_head WHERE shard = $1 FOR UPDATE", shard).Scan(&seq, &prev); err != nil {
		return err
	}
	h := designHash(prev, data)
	if _, err := tx.ExecContext(ctx, "INSERT INTO d_outbox (shard, seq, hash, data) VALUES ($1, $2, $3, $4)", shard, seq+1, h, data); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE d_head SET seq = $2, hash = $3 WHERE shard = $1", shard, seq+1, h); err != nil {
		return err
	}
	return tx.Commit()
}

// designSequence chains up to 500 committed records in one transaction.
func designSequence(ctx context.Context, db *sql.DB) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(4242901)"); err != nil {
		return 0, err
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM d_head WHERE shard = 0").Scan(&seq, &prev); err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, data FROM d_outbox WHERE seq IS NULL ORDER BY id LIMIT 500")
	if err != nil {
		return 0, err
	}
	var ids, seqs []int64
	var hashes []string
	for rows.Next() {
		var id int64
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return 0, err
		}
		seq++
		prev = designHash(prev, data)
		ids, seqs, hashes = append(ids, id), append(seqs, seq), append(hashes, prev)
	}
	rows.Close()
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE d_outbox o SET seq = u.seq, hash = u.hash
		FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, seq, hash) WHERE o.id = u.id`, ids, seqs, hashes); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE d_head SET seq = $1, hash = $2 WHERE shard = 0", seq, prev); err != nil {
		return 0, err
	}
	return len(ids), tx.Commit()
}

func designHash(prev string, data []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
