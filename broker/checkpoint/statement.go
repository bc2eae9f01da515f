package checkpoint

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/dataproc-iis/iis/broker/signing"
	"github.com/dataproc-iis/iis/events"
)

// domain separates checkpoint signatures from anything else the key signs.
const domain = "dev.dataproc-iis.audit.checkpoint.v1"

// SigningInput is the exact bytes a checkpoint's signature covers: the
// domain string, then chain id, seq, hash, count, time (RFC 3339, UTC,
// nanoseconds), previous seq and hash ("" when none), key id and algorithm,
// each written as its length in decimal, ":", and its bytes (the encoding of
// audit.Hash). The key id and algorithm are covered so that a signature
// cannot be passed off as another key's.
func SigningInput(c events.Checkpoint) []byte {
	prevSeq, prevHash := "", ""
	if c.Previous != nil {
		prevSeq, prevHash = strconv.FormatInt(c.Previous.Seq, 10), c.Previous.Hash
	}
	var b []byte
	for _, f := range []string{
		domain, c.ChainID, strconv.FormatInt(c.Seq, 10), c.Hash, strconv.FormatInt(c.Count, 10),
		c.Time.UTC().Format(time.RFC3339Nano), prevSeq, prevHash, c.KeyID, c.Algorithm,
	} {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
	}
	return b
}

// Sign fills in c's key, algorithm and signature with the signer's current
// key. The statement's time is kept to the millisecond.
func Sign(ctx context.Context, s signing.Signer, c events.Checkpoint) (events.Checkpoint, error) {
	cur, err := s.Current(ctx)
	if err != nil {
		return c, fmt.Errorf("signing.Current: %w", err)
	}
	c.Time = c.Time.UTC().Truncate(time.Millisecond)
	c.KeyID, c.Algorithm = cur.KeyID, string(cur.Algorithm)
	sig, err := s.Sign(ctx, SigningInput(c))
	if err != nil {
		return c, fmt.Errorf("signing.Sign: %w", err)
	}
	if sig.KeyID != c.KeyID {
		// The key rotated between Current and Sign: sign again, naming it.
		c.KeyID, c.Algorithm = sig.KeyID, string(sig.Algorithm)
		if sig, err = s.Sign(ctx, SigningInput(c)); err != nil {
			return c, fmt.Errorf("signing.Sign: %w", err)
		}
		if sig.KeyID != c.KeyID {
			return c, fmt.Errorf("checkpoint: the signing key changed twice while signing (%s)", sig.KeyID)
		}
	}
	c.Signature = base64.StdEncoding.EncodeToString(sig.Value)
	return c, nil
}

// Verify checks c's signature with the key its KeyID names, as v gives it
// (v refuses key ids that are not the checkpoint key's), and that c is a
// well-formed statement of a chain head.
func Verify(ctx context.Context, v signing.Verifier, c events.Checkpoint) error {
	switch {
	case c.Seq <= 0 || c.Count != c.Seq:
		return fmt.Errorf("checkpoint: seq %d with count %d: a gap-free chain has count == seq", c.Seq, c.Count)
	case c.Previous != nil && c.Previous.Seq > c.Seq:
		return fmt.Errorf("checkpoint: the previous checkpoint (seq %d) is after this one (seq %d)", c.Previous.Seq, c.Seq)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		return fmt.Errorf("checkpoint: signature: %w", err)
	}
	return signing.Verify(ctx, v, SigningInput(c),
		signing.Signature{KeyID: c.KeyID, Algorithm: signing.Algorithm(c.Algorithm), Value: sig})
}
