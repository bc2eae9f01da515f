package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/signing"
)

// checkpointSettings are the flags of the audit checkpoints: where they
// are archived, the key that signs (broker) or verifies them (audit verify).
type checkpointSettings struct {
	Archive, Key                 string
	Interval                     time.Duration
	KMSEndpoint, StorageEndpoint string
	Insecure                     bool
}

func (s *checkpointSettings) register(f flags, broker bool) {
	archiveHelp := "archive of the signed audit checkpoints: a directory or gs://bucket/prefix"
	keyHelp := "checkpoint key: a Cloud KMS CryptoKey or CryptoKeyVersion resource name, or a PEM key file"
	if broker {
		archiveHelp += " (with -checkpoint-key; `iis dev`: DATA_DIR/checkpoints)"
		keyHelp += " (`iis dev`: DATA_DIR/checkpoint-key.pem, created)"
		f.Duration(&s.Interval, "checkpoint-interval", "IIS_CHECKPOINT_INTERVAL", time.Minute, "how often the audit chain's head is signed and archived (and once at shutdown)")
	} else {
		archiveHelp += " to check the chain against (default DATA_DIR/checkpoints if it exists)"
		keyHelp += " that verifies them (default DATA_DIR/checkpoint-key.pem with the default archive)"
	}
	f.String(&s.Archive, "checkpoint-archive", "IIS_CHECKPOINT_ARCHIVE", "", archiveHelp)
	f.String(&s.Key, "checkpoint-key", "IIS_CHECKPOINT_KEY", "", keyHelp)
	f.String(&s.KMSEndpoint, "kms-endpoint", "IIS_KMS_ENDPOINT", "", "Cloud KMS endpoint override (host:port)")
	f.String(&s.StorageEndpoint, "storage-endpoint", "IIS_STORAGE_ENDPOINT", "", "Cloud Storage JSON API endpoint override (http://host:port/storage/v1/)")
	f.Bool(&s.Insecure, "checkpoint-insecure-endpoints", "IIS_CHECKPOINT_INSECURE_ENDPOINTS", false, "dial -kms-endpoint and -storage-endpoint without TLS or credentials: only for local stand-ins")
}

// devDefaults points an `iis dev` broker at a key file and a directory in
// the data directory.
func (s *checkpointSettings) devDefaults(dataDir string) {
	if s.Archive == "" && s.Key == "" {
		s.Archive, s.Key = filepath.Join(dataDir, "checkpoints"), filepath.Join(dataDir, "checkpoint-key.pem")
	}
}

func (s *checkpointSettings) service(createKey bool) service.Checkpoints {
	return service.Checkpoints{
		Archive: s.Archive, Key: s.Key, CreateKey: createKey, Interval: s.Interval,
		KMS:     signing.ClientConfig{Endpoint: s.KMSEndpoint, Insecure: s.Insecure},
		Storage: checkpoint.StorageConfig{Endpoint: s.StorageEndpoint, Insecure: s.Insecure},
	}
}

// verifier opens the archive and the key for `iis audit verify`. It returns
// nil when no checkpoint is configured and none is in the data directory.
func (s *checkpointSettings) verifier(ctx context.Context, dataDir string) (*checkpointVerifier, error) {
	if s.Archive == "" && s.Key == "" {
		dir := filepath.Join(dataDir, "checkpoints")
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, nil
		}
		s.Archive, s.Key = dir, filepath.Join(dataDir, "checkpoint-key.pem")
	}
	if s.Archive == "" || s.Key == "" {
		return nil, fmt.Errorf("checking checkpoints needs both -checkpoint-archive and -checkpoint-key")
	}
	cv := &checkpointVerifier{}
	key, closeKey, err := signing.Open(ctx, s.Key, signing.OpenConfig{KMS: signing.ClientConfig{Endpoint: s.KMSEndpoint, Insecure: s.Insecure}})
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	cv.key, cv.closers = key, append(cv.closers, closeKey)
	a, closeArchive, err := checkpoint.Open(ctx, s.Archive, checkpoint.StorageConfig{Endpoint: s.StorageEndpoint, Insecure: s.Insecure})
	if err != nil {
		cv.Close()
		return nil, fmt.Errorf("checkpoint archive: %w", err)
	}
	cv.archive, cv.closers = a, append(cv.closers, closeArchive)
	return cv, nil
}

// checkpointVerifier is an archive and the key that verifies it.
type checkpointVerifier struct {
	archive checkpoint.Archive
	key     signing.Key
	closers []func() error
}

func (c *checkpointVerifier) Close() {
	for _, f := range c.closers {
		_ = f()
	}
}
