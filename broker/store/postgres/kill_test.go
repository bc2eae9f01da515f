package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// killBackends terminates every other connection that uses the test's
// schema (its search_path), as a failover or restart would.
func killBackends(ctx context.Context, t *testing.T, dsn string) error {
	t.Helper()
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	_, err = db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND datname = current_database() AND state = 'idle in transaction'`)
	return err
}
