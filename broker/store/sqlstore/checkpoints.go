package sqlstore

import (
	"context"

	"github.com/dataproc-iis/iis/broker/store"
)

// ChainID implements store.Checkpoints.
func (t *tx) ChainID(ctx context.Context) (string, error) {
	var id string
	found, err := t.queryRow(ctx, "sqlstore: ChainID", "SELECT chain_id FROM audit_chain_head WHERE id = 1", nil, &id)
	if err == nil && (!found || id == "") {
		return "", invalid("ChainID: the chain head has no id")
	}
	return id, err
}

// PutCheckpoint implements store.Checkpoints.
func (t *tx) PutCheckpoint(ctx context.Context, c store.Checkpoint) (bool, error) {
	if c.Seq <= 0 || c.Hash == "" || c.KeyID == "" || c.Object == "" || c.SignedAt.IsZero() {
		return false, invalid("PutCheckpoint: seq %d, hash %q, key %q, object %q, time %v: all are required",
			c.Seq, c.Hash, c.KeyID, c.Object, c.SignedAt)
	}
	n, err := t.execCount(ctx, "sqlstore: PutCheckpoint",
		`INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, object) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.Seq, c.Hash, t.d().timeArg(c.SignedAt), c.KeyID, c.Object)
	return n == 1, err
}

// LastCheckpoint implements store.Checkpoints.
func (t *tx) LastCheckpoint(ctx context.Context) (store.Checkpoint, bool, error) {
	var c store.Checkpoint
	found, err := t.queryRow(ctx, "sqlstore: LastCheckpoint",
		"SELECT seq, hash, signed_at, key_id, object FROM audit_checkpoints ORDER BY seq DESC LIMIT 1", nil,
		&c.Seq, &c.Hash, timeCol{&c.SignedAt}, &c.KeyID, &c.Object)
	return c, found, err
}
