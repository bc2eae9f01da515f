package signing

import (
	"context"
	"errors"
	"strings"
)

// Key signs and verifies with one key: both implementations are.
type Key interface {
	Signer
	Verifier
}

// OpenConfig says how Open reaches a key.
type OpenConfig struct {
	// KMS configures the Cloud KMS client for a KMS key.
	KMS ClientConfig
	// CreateFile generates a key file that does not exist (dev only).
	CreateFile bool
}

// Open returns the key that name names: a Cloud KMS CryptoKey or
// CryptoKeyVersion ("projects/..."), through Google's client, or else the
// path of a PEM key file. close releases the client.
func Open(ctx context.Context, name string, cfg OpenConfig) (k Key, close func() error, err error) {
	if name == "" {
		return nil, nil, errors.New("signing: no key given")
	}
	if !strings.HasPrefix(name, "projects/") {
		f, err := NewFile(FileConfig{Path: name, Create: cfg.CreateFile})
		if err != nil {
			return nil, nil, err
		}
		return f, func() error { return nil }, nil
	}
	c, err := NewKMSClient(ctx, cfg.KMS)
	if err != nil {
		return nil, nil, err
	}
	s, err := NewKMS(ctx, c, KMSConfig{Key: name})
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return s, c.Close, nil
}
