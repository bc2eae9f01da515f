package sqlstore

import (
	"context"
	"time"
)

// ClaimEffect implements store.Effects.
func (t *tx) ClaimEffect(ctx context.Context, key, holder string, now time.Time, lease time.Duration) (bool, error) {
	const op = "sqlstore: ClaimEffect"
	if key == "" || holder == "" || lease <= 0 {
		return false, invalid("ClaimEffect: empty key or holder, or no lease")
	}
	n, err := t.execCount(ctx, op, `INSERT INTO effect_claims (effect_key, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (effect_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE effect_claims.holder = excluded.holder OR effect_claims.expires_at <= ?`,
		encodeKey(key), holder, t.d().timeArg(now.Add(lease)), t.d().timeArg(now))
	return n == 1, err
}

// ReleaseEffect implements store.Effects.
func (t *tx) ReleaseEffect(ctx context.Context, key, holder string) error {
	_, err := t.exec(ctx, "sqlstore: ReleaseEffect", "DELETE FROM effect_claims WHERE effect_key = ? AND holder = ?", encodeKey(key), holder)
	return err
}
