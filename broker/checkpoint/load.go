package checkpoint

import (
	"context"
	"fmt"
	"time"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/events"
)

// Loaded is what Load found in an archive.
type Loaded struct {
	// Anchors are the heads of the checkpoints whose signature verified,
	// newest first, for audit.StoreOptions.Anchors.
	Anchors []audit.Anchor
	// Problems are checkpoints that cannot be trusted (bad_checkpoint) and
	// checkpoints of another chain (rolled_back).
	Problems []audit.Problem
	// Read counts the checkpoints read.
	Read int
}

// DefaultDepth is how many of the newest checkpoints Load reads.
const DefaultDepth = 100

// Load reads the newest depth checkpoints of chainID from a (default
// DefaultDepth) and verifies each with v. It also looks at the other chains
// the archive holds: a validly signed checkpoint of another chain means the
// store in front of the verifier is not the database that was checkpointed.
// An error means the archive could not be read.
func Load(ctx context.Context, a Archive, v signing.Verifier, chainID string, depth int) (Loaded, error) {
	if depth <= 0 {
		depth = DefaultDepth
	}
	var out Loaded
	entries, err := a.Latest(ctx, chainID, depth)
	if err != nil {
		return out, fmt.Errorf("archive %s: %w", a, err)
	}
	for _, e := range entries {
		out.Read++
		if p, ok := check(ctx, v, chainID, e); !ok {
			out.Problems = append(out.Problems, p)
			continue
		}
		out.Anchors = append(out.Anchors, audit.Anchor{Seq: e.Checkpoint.Seq, Hash: e.Checkpoint.Hash, Name: name(e)})
	}
	chains, err := a.Chains(ctx)
	if err != nil {
		return out, fmt.Errorf("archive %s: %w", a, err)
	}
	for _, other := range chains {
		if other == chainID {
			continue
		}
		newest, err := a.Latest(ctx, other, 1)
		if err != nil {
			return out, fmt.Errorf("archive %s: %w", a, err)
		}
		for _, e := range newest {
			out.Read++
			if p, ok := check(ctx, v, other, e); !ok {
				out.Problems = append(out.Problems, p)
				continue
			}
			out.Problems = append(out.Problems, audit.Problem{Kind: audit.RolledBack, Seq: e.Checkpoint.Seq, Position: -1, Detail: fmt.Sprintf(
				"the archive holds signed checkpoints of chain %s (the newest: %s), not of this store's chain %s: the store is not the database that was checkpointed (replaced, or a new deployment writing to the same archive)",
				other, name(e), chainID)})
		}
	}
	return out, nil
}

// check verifies one archived checkpoint of chain.
func check(ctx context.Context, v signing.Verifier, chain string, e Entry) (audit.Problem, bool) {
	bad := func(format string, args ...any) (audit.Problem, bool) {
		return audit.Problem{Kind: audit.BadCheckpoint, Seq: max(e.Checkpoint.Seq, 0), Position: -1,
			Detail: fmt.Sprintf("checkpoint %s: ", e.Location) + fmt.Sprintf(format, args...)}, false
	}
	switch {
	case e.Err != nil:
		return bad("%v", e.Err)
	case e.Checkpoint.ChainID != chain:
		return bad("it is filed under chain %s but names chain %s", chain, e.Checkpoint.ChainID)
	}
	if err := Verify(ctx, v, e.Checkpoint); err != nil {
		return bad("%v", err)
	}
	return audit.Problem{}, true
}

func name(e Entry) string {
	return fmt.Sprintf("%s (signed %s by %s)", e.Location, e.Checkpoint.Time.UTC().Format(time.RFC3339), e.Checkpoint.KeyID)
}

// FromEvent is the Entry of a checkpoint read from the audit topic (a
// capture): the location is where it was found.
func FromEvent(location string, c events.Checkpoint) Entry {
	return Entry{Location: location, Checkpoint: c}
}

// Check verifies one checkpoint of chainID, as Load does for each archived
// one, and returns its anchor, or the problem that keeps it from being one.
func Check(ctx context.Context, v signing.Verifier, chainID string, e Entry) (audit.Anchor, *audit.Problem) {
	if p, ok := check(ctx, v, chainID, e); !ok {
		return audit.Anchor{}, &p
	}
	return audit.Anchor{Seq: e.Checkpoint.Seq, Hash: e.Checkpoint.Hash, Name: name(e)}, nil
}
