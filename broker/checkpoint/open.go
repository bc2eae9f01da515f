package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
)

// StorageConfig configures the Cloud Storage client of a gs:// archive.
type StorageConfig struct {
	// Endpoint overrides the JSON API endpoint
	// ("http://127.0.0.1:4443/storage/v1/" for a local stand-in); empty is
	// Google's.
	Endpoint string
	// Insecure sends no credentials: for a local stand-in only. It
	// requires Endpoint.
	Insecure bool
	// Options are appended to the client options.
	Options []option.ClientOption
}

// Validate reports a configuration that must not be used.
func (c StorageConfig) Validate() error {
	if c.Insecure && c.Endpoint == "" {
		return errors.New("checkpoint: Insecure requires an explicit storage Endpoint")
	}
	return nil
}

// Open returns the archive that spec names: a gs://bucket/prefix URL
// (Cloud Storage, through Google's client) or a local directory. close
// releases the client.
func Open(ctx context.Context, spec string, cfg StorageConfig) (a Archive, close func() error, err error) {
	if spec == "" {
		return nil, nil, errors.New("checkpoint: no archive given")
	}
	if !strings.HasPrefix(spec, "gs://") {
		return Dir{Path: spec}, func() error { return nil }, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	bucket, prefix, err := ParseGCS(spec)
	if err != nil {
		return nil, nil, err
	}
	// Reads through the JSON API, like the writes and lists: one API to
	// grant, and the one local stand-ins serve.
	opts := []option.ClientOption{storage.WithJSONReads()}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	if cfg.Insecure {
		opts = append(opts, option.WithoutAuthentication())
	}
	c, err := storage.NewClient(ctx, append(opts, slices.Clone(cfg.Options)...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("storage.NewClient: %w", err)
	}
	return GCS{Bucket: c.Bucket(bucket), Name: bucket, Prefix: prefix}, c.Close, nil
}
