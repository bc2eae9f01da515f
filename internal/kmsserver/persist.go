package kmsserver

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/kms/apiv1/kmspb"
)

// stateFile is the name of the state file in Config.Dir.
const stateFile = "kms-state.json"

// The state file's form. Private keys are PKCS#8 DER: this is a dev stand-in,
// and the file is written 0600.
type (
	fileState struct {
		KeyRings []fileRing `json:"key_rings"`
		Keys     []fileKey  `json:"crypto_keys"`
	}
	fileRing struct {
		Name    string    `json:"name"`
		Created time.Time `json:"created"`
	}
	fileKey struct {
		Name         string            `json:"name"`
		Algorithm    string            `json:"algorithm"`
		Created      time.Time         `json:"created"`
		DestroyAfter time.Duration     `json:"destroy_after"`
		Labels       map[string]string `json:"labels,omitempty"`
		Versions     []fileVersion     `json:"versions"`
	}
	fileVersion struct {
		State     string    `json:"state"`
		Created   time.Time `json:"created"`
		DestroyAt time.Time `json:"destroy_at,omitzero"`
		Destroyed time.Time `json:"destroyed,omitzero"`
		PKCS8     []byte    `json:"pkcs8,omitempty"`
	}
)

// load reads the state file of s.dir, if there is one.
func (s *Server) load() error {
	if s.dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kmsserver: read state: %w", err)
	}
	var st fileState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("kmsserver: state file %s: %w", filepath.Join(s.dir, stateFile), err)
	}
	for _, r := range st.KeyRings {
		s.rings[r.Name] = &keyRing{name: r.Name, created: r.Created}
	}
	for _, fk := range st.Keys {
		k := &cryptoKey{name: fk.Name, created: fk.Created, destroyAfter: fk.DestroyAfter, labels: fk.Labels,
			alg: kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm(kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm_value[fk.Algorithm])}
		if !supported(k.alg) {
			return fmt.Errorf("kmsserver: state file: key %s: algorithm %q is not served", fk.Name, fk.Algorithm)
		}
		for i, fv := range fk.Versions {
			v := &version{n: i + 1, alg: k.alg, created: fv.Created, destroyAt: fv.DestroyAt, destroyed: fv.Destroyed,
				state: kmspb.CryptoKeyVersion_CryptoKeyVersionState(kmspb.CryptoKeyVersion_CryptoKeyVersionState_value[fv.State])}
			if len(fv.PKCS8) > 0 {
				priv, err := x509.ParsePKCS8PrivateKey(fv.PKCS8)
				if err != nil {
					return fmt.Errorf("kmsserver: state file: %s version %d: %w", fk.Name, i+1, err)
				}
				signer, ok := priv.(crypto.Signer)
				if !ok {
					return fmt.Errorf("kmsserver: state file: %s version %d: not a signing key", fk.Name, i+1)
				}
				v.priv = signer
				if v.pem, err = publicPEM(signer); err != nil {
					return fmt.Errorf("kmsserver: state file: %w", err)
				}
			}
			k.versions = append(k.versions, v)
		}
		s.keys[fk.Name] = k
	}
	return nil
}

// saveLocked writes the state file atomically (temporary file, rename).
// The caller holds s.mu.
func (s *Server) saveLocked() error {
	if s.dir == "" {
		return nil
	}
	var st fileState
	for _, r := range s.rings {
		st.KeyRings = append(st.KeyRings, fileRing{Name: r.name, Created: r.created})
	}
	for _, k := range s.keys {
		fk := fileKey{Name: k.name, Algorithm: k.alg.String(), Created: k.created,
			DestroyAfter: k.destroyAfter, Labels: k.labels}
		for _, v := range k.versions {
			fv := fileVersion{State: v.state.String(), Created: v.created, DestroyAt: v.destroyAt, Destroyed: v.destroyed}
			if v.priv != nil {
				der, err := x509.MarshalPKCS8PrivateKey(v.priv)
				if err != nil {
					return fmt.Errorf("kmsserver: x509.MarshalPKCS8PrivateKey: %w", err)
				}
				fv.PKCS8 = der
			}
			fk.Versions = append(fk.Versions, fv)
		}
		st.Keys = append(st.Keys, fk)
	}
	slices.SortFunc(st.KeyRings, func(a, b fileRing) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(st.Keys, func(a, b fileKey) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("kmsserver: encode state: %w", err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("kmsserver: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, stateFile+".*")
	if err != nil {
		return fmt.Errorf("kmsserver: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("kmsserver: write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("kmsserver: write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, stateFile)); err != nil {
		return fmt.Errorf("kmsserver: %w", err)
	}
	return nil
}
