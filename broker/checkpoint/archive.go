package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/dataproc-iis/iis/events"
)

// Archive keeps signed checkpoints outside the database. Names sort newest
// first, so that the latest checkpoints are read without listing them all.
type Archive interface {
	// Put stores c, never replacing an object: ErrExists when c's chain
	// already has a checkpoint at c.Seq. It returns where c now is.
	Put(ctx context.Context, c events.Checkpoint) (location string, err error)
	// Latest returns up to n checkpoints of the chain, newest first, each
	// with its location. A stored object that does not parse is returned
	// as an Entry with Err set, never skipped.
	Latest(ctx context.Context, chainID string, n int) ([]Entry, error)
	// Chains lists the chain ids that have checkpoints in the archive.
	Chains(ctx context.Context) ([]string, error)
	// String names the archive for people (a directory, a gs:// URL).
	String() string
}

// Entry is one archived checkpoint.
type Entry struct {
	Location   string
	Checkpoint events.Checkpoint
	Err        error // the object could not be read as a checkpoint
}

// ErrExists is returned by Put when the chain has a checkpoint at that seq:
// another worker wrote it first.
var ErrExists = errors.New("checkpoint: a checkpoint at this seq is already archived")

// chainIDPattern keeps chain ids usable as one path segment.
var chainIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// objectName is "<chain id>/<19 digits: MaxInt64-seq>-seq<seq>.json": the
// newest checkpoint sorts first, and the seq stays readable.
func objectName(c events.Checkpoint) (string, error) {
	if !chainIDPattern.MatchString(c.ChainID) || c.Seq <= 0 {
		return "", fmt.Errorf("checkpoint: chain id %q, seq %d: cannot be archived", c.ChainID, c.Seq)
	}
	return fmt.Sprintf("%s/%019d-seq%d.json", c.ChainID, math.MaxInt64-c.Seq, c.Seq), nil
}

// encode is the archived form: the event data, indented for people.
func encode(c events.Checkpoint) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("checkpoint: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// decode reads an archived checkpoint strictly, and checks that the name it
// was stored under matches what it says.
func decode(location, name string, b []byte) Entry {
	e := Entry{Location: location}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e.Checkpoint); err != nil {
		e.Err = fmt.Errorf("not a checkpoint: %w", err)
		return e
	}
	if want, err := objectName(e.Checkpoint); err != nil || !strings.HasSuffix(name, want) {
		e.Err = fmt.Errorf("stored as %s, but it is the checkpoint of chain %s at seq %d", name, e.Checkpoint.ChainID, e.Checkpoint.Seq)
	}
	return e
}
