package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/store/sqlite"
	"github.com/dataproc-iis/iis/broker/store/sqlstore"
	"github.com/dataproc-iis/iis/broker/store/storetest"
)

// backends returns a raw pool and dialect per backend available.
func backends() map[string]func(t *testing.T) (*sql.DB, sqlstore.Dialect) {
	return map[string]func(t *testing.T) (*sql.DB, sqlstore.Dialect){
		"sqlite": func(t *testing.T) (*sql.DB, sqlstore.Dialect) {
			db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db")+"?_txlock=immediate")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, sqlite.Dialect()
		},
		"postgres": func(t *testing.T) (*sql.DB, sqlstore.Dialect) {
			cc, err := pgx.ParseConfig(storetest.PostgresDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			db := stdlib.OpenDB(*cc)
			t.Cleanup(func() { db.Close() })
			return db, postgres.Dialect()
		},
	}
}

func versions(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query("SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestMigrateFailureLeavesNoHalfState(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			db, d := open(t)
			ctx := context.Background()
			bad := fstest.MapFS{
				"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
				"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO a (x) VALUES (1); INSERT INTO nowhere VALUES (1);")},
			}
			d.Migrations = bad
			if err := sqlstore.Migrate(ctx, db, &d); err == nil {
				t.Fatal("Migrate(failing 0002) = nil, want an error")
			}
			if got := versions(t, db); len(got) != 1 || got[0] != 1 {
				t.Errorf("schema_migrations after a failed 0002 = %v, want [1]", got)
			}
			if _, err := db.Exec("SELECT COUNT(*) FROM b"); err == nil {
				t.Error("table b exists after its migration failed")
			}
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM a").Scan(&n); err != nil || n != 0 {
				t.Errorf("rows in a after the failed migration = %d, %v, want 0", n, err)
			}

			good := fstest.MapFS{
				"0001_a.sql": bad["0001_a.sql"],
				"0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO a (x) VALUES (1);")},
			}
			d.Migrations = good
			for range 2 { // fixed, then again: idempotent
				if err := sqlstore.Migrate(ctx, db, &d); err != nil {
					t.Fatalf("Migrate: %v", err)
				}
			}
			if got := versions(t, db); len(got) != 2 {
				t.Errorf("schema_migrations = %v, want [1 2]", got)
			}
			if err := db.QueryRow("SELECT COUNT(*) FROM a").Scan(&n); err != nil || n != 1 {
				t.Errorf("rows in a = %d, %v, want 1: a migration ran twice", n, err)
			}
		})
	}
}

func TestMigrationNames(t *testing.T) {
	db, d := backends()["sqlite"](t)
	tests := map[string]fstest.MapFS{
		"no version":        {"init.sql": {}},
		"zero version":      {"0000_init.sql": {}},
		"duplicate version": {"0001_a.sql": {}, "1_b.sql": {}},
	}
	for name, fsys := range tests {
		d.Migrations = fsys
		if err := sqlstore.Migrate(context.Background(), db, &d); err == nil {
			t.Errorf("Migrate(%s) = nil, want an error", name)
		}
	}
}
