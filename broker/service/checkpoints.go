package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/signing"
)

// Checkpoints configures the signed checkpoints of the audit chain
// (package checkpoint). They are off unless Archive and Key are both set.
type Checkpoints struct {
	// Archive is a directory or a gs://bucket/prefix URL.
	Archive string
	// Key is a Cloud KMS CryptoKey or CryptoKeyVersion resource name, or
	// the path of a PEM key file (development).
	Key string
	// CreateKey generates the key file if it is missing (`iis dev`).
	CreateKey bool
	// Interval between checkpoints; default 1m. A last one is made when
	// the broker stops.
	Interval time.Duration
	KMS      signing.ClientConfig
	Storage  checkpoint.StorageConfig
}

// Enabled reports whether checkpoints are configured.
func (c Checkpoints) Enabled() bool { return c.Archive != "" && c.Key != "" }

// Validate reports a half-configured checkpoint setup: a key without an
// archive (or the reverse) is a mistake, not a choice.
func (c Checkpoints) Validate() error {
	if (c.Archive == "") != (c.Key == "") {
		return errors.New("service: checkpoints need both an archive and a key")
	}
	return nil
}

// buildCheckpointer opens the key and the archive.
func (b *Broker) buildCheckpointer(ctx context.Context, c Checkpoints) error {
	if !c.Enabled() {
		return nil
	}
	key, closeKey, err := signing.Open(ctx, c.Key, signing.OpenConfig{KMS: c.KMS, CreateFile: c.CreateKey})
	if err != nil {
		return fmt.Errorf("service: checkpoint key: %w", err)
	}
	b.parts.closers = append(b.parts.closers, closeKey)
	archive, closeArchive, err := checkpoint.Open(ctx, c.Archive, c.Storage)
	if err != nil {
		return fmt.Errorf("service: checkpoint archive: %w", err)
	}
	b.parts.closers = append(b.parts.closers, closeArchive)
	b.Checkpointer, err = checkpoint.New(checkpoint.Config{
		Store: b.Store, Signer: key, Archive: archive, Topic: b.cfg.Topology.Audit,
		Source: b.cfg.Worker.Source, Interval: c.Interval, Wake: b.Relay.Wake,
	})
	return err
}
