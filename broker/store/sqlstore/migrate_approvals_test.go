package sqlstore_test

import (
	"context"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dataproc-iis/iis/broker/store/sqlstore"
)

// TestApprovalsMigrationKeepsDecisions: migration 30 rebuilds (SQLite) or
// re-constrains (PostgreSQL) the decisions table so that a decision may be
// pending; the decisions recorded before it keep every column.
func TestApprovalsMigrationKeepsDecisions(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			db, d := open(t)
			ctx := context.Background()
			all := d.Migrations
			before := fstest.MapFS{}
			names, _ := fs.Glob(all, "*.sql")
			for _, n := range names {
				v, _ := strconv.Atoi(strings.SplitN(n, "_", 2)[0])
				if v < 30 {
					b, _ := fs.ReadFile(all, n)
					before[n] = &fstest.MapFile{Data: b}
				}
			}
			d.Migrations = before
			if err := sqlstore.Migrate(ctx, db, &d); err != nil {
				t.Fatal(err)
			}
			insert := `INSERT INTO decisions (request_key, request_id, principal, outcome, role, service_account, policy_version,
				reasons, decided_at, max_duration_ms, credential_lifetime_ms, request_digest, event_id, user_id)
				VALUES ('k1', 'r1', 'alice', 'approved', 'etl', 'sa', 'v1', '["allowed"]', ` + timeLiteral(name) + `, 7200000, 600000, 'sha256:d', 'ev1', 'u1')`
			if _, err := db.Exec(insert); err != nil {
				t.Fatal(err)
			}
			pending := strings.Replace(strings.Replace(insert, "'approved'", "'pending'", 1), "'k1'", "'k2'", 1)
			if _, err := db.Exec(pending); err == nil {
				t.Fatal("a pending decision was accepted before migration 30")
			}
			d.Migrations = all
			if err := sqlstore.Migrate(ctx, db, &d); err != nil {
				t.Fatal(err)
			}
			var row [8]string
			err := db.QueryRow(`SELECT request_id, principal, outcome, role, reasons, request_digest, event_id, user_id FROM decisions WHERE request_key = 'k1'`).
				Scan(&row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6], &row[7])
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(row[:], " "); got != `r1 alice approved etl ["allowed"] sha256:d ev1 u1` {
				t.Errorf("decision after migration 30 = %s", got)
			}
			if _, err := db.Exec(pending); err != nil {
				t.Errorf("a pending decision after migration 30: %v", err)
			}
			if _, err := db.Exec(strings.Replace(strings.Replace(insert, "'approved'", "'maybe'", 1), "'k1'", "'k3'", 1)); err == nil {
				t.Error("an unknown outcome was accepted after migration 30")
			}
		})
	}
}

func timeLiteral(backend string) string {
	if backend == "postgres" {
		return "now()"
	}
	return "0"
}
