package sqlstore

import (
	"context"
	"time"
)

// MarkProcessed implements store.Processed.
func (t *tx) MarkProcessed(ctx context.Context, key, digest string, at time.Time) (bool, error) {
	if key == "" {
		return false, invalid("MarkProcessed: empty key")
	}
	n, err := t.execCount(ctx, "sqlstore: MarkProcessed",
		"INSERT INTO processed (event_key, digest, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		encodeKey(key), digest, t.d().timeArg(at))
	return n == 1, err
}

// ProcessedDigest implements store.Processed.
func (t *tx) ProcessedDigest(ctx context.Context, key string) (string, bool, error) {
	var digest string
	found, err := t.queryRow(ctx, "sqlstore: ProcessedDigest", "SELECT digest FROM processed WHERE event_key = ?",
		[]any{encodeKey(key)}, &digest)
	return digest, found, err
}

// IsProcessed implements store.Processed.
func (t *tx) IsProcessed(ctx context.Context, key string) (bool, error) {
	var n int
	_, err := t.queryRow(ctx, "sqlstore: IsProcessed", "SELECT COUNT(*) FROM processed WHERE event_key = ?",
		[]any{encodeKey(key)}, &n)
	return n > 0, err
}

// PruneProcessed implements store.Processed.
func (t *tx) PruneProcessed(ctx context.Context, before time.Time) (int64, error) {
	return t.execCount(ctx, "sqlstore: PruneProcessed",
		"DELETE FROM processed WHERE processed_at < ?", t.d().timeArg(before))
}
