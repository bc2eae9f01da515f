package store

import (
	"context"
	"time"
)

// Checkpoint is the store's note of a signed audit checkpoint: the chain
// head it vouches for and where the signed statement was archived. The
// statement itself lives outside the database (package checkpoint).
type Checkpoint struct {
	Seq      int64     // the chain head's seq the checkpoint covers
	Hash     string    // the hash of the record at Seq
	SignedAt time.Time // the statement's time
	KeyID    string    // the signing key version
	Object   string    // the archived statement: a file path or gs:// URL
}

// Checkpoints remembers the checkpoints written for the chain.
type Checkpoints interface {
	// ChainID identifies this store's audit chain: a random id made when
	// the chain was created, so that checkpoints of one chain are never
	// taken for another's.
	ChainID(ctx context.Context) (string, error)
	// PutCheckpoint records c and reports whether it is new; a second
	// checkpoint at the same Seq keeps the first.
	PutCheckpoint(ctx context.Context, c Checkpoint) (first bool, err error)
	// LastCheckpoint returns the checkpoint with the highest Seq, or found
	// == false when there is none.
	LastCheckpoint(ctx context.Context) (c Checkpoint, found bool, err error)
}
