package ociimage

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Config says what goes into an image.
type Config struct {
	// Binary is a static Linux build of cmd/iis (see GoBuild).
	Binary string
	// CACerts is a PEM bundle of root certificates, e.g. Debian's
	// /etc/ssl/certs/ca-certificates.crt: real Google APIs and OIDC
	// issuers are reached over TLS.
	CACerts string
	// Version and Revision go into the OCI labels; they must be what the
	// binary reports (GoBuild links them in).
	Version, Revision string
	// Created is the image's creation time and every file's mtime. Set it
	// to the commit time (SOURCE_DATE_EPOCH) and the same commit gives the
	// same image digest.
	Created time.Time
	// Source is the repository URL for org.opencontainers.image.source
	// (optional).
	Source string
	// Arch is the GOARCH of Binary (default amd64).
	Arch string
}

// tagRE is a valid image tag, which the version becomes.
var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Validate reports every problem with c at once.
func (c *Config) Validate() error {
	if c.Arch == "" {
		c.Arch = "amd64"
	}
	var errs []error
	if c.Binary == "" {
		errs = append(errs, errors.New("ociimage: Config.Binary is required"))
	} else if err := CheckStatic(c.Binary); err != nil {
		errs = append(errs, fmt.Errorf("ociimage: %w", err))
	}
	if c.CACerts == "" {
		errs = append(errs, errors.New("ociimage: Config.CACerts is required (the image must reach Google APIs over TLS)"))
	}
	if !tagRE.MatchString(c.Version) {
		errs = append(errs, fmt.Errorf("ociimage: Config.Version %q is not usable as an image tag", c.Version))
	}
	if c.Revision == "" {
		errs = append(errs, errors.New("ociimage: Config.Revision (the commit) is required"))
	}
	return errors.Join(errs...)
}

// Assemble builds the image: a base layer (passwd, group, CA certificates,
// home, tmp) and a layer holding only /iis, over an empty base.
func Assemble(c Config) (v1.Image, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	certs, err := readCACerts(c.CACerts)
	if err != nil {
		return nil, err
	}
	bin, err := binaryEntry(c.Binary)
	if err != nil {
		return nil, err
	}
	created := c.Created.UTC()
	var layers []v1.Layer
	for _, entries := range [][]entry{baseEntries(certs), {bin}} {
		var buf bytes.Buffer
		if err := layerTar(&buf, created, entries); err != nil {
			return nil, err
		}
		b := buf.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
			tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("tarball.LayerFromOpener: %w", err)
		}
		layers = append(layers, l)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, fmt.Errorf("mutate.AppendLayers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", c.Arch
	cf.Created = v1.Time{Time: created}
	cf.Config = RuntimeConfig(c)
	cf.History = []v1.History{
		{Created: cf.Created, CreatedBy: "ociimage: passwd, group, CA certificates, home, tmp", Comment: "base"},
		{Created: cf.Created, CreatedBy: "ociimage: /iis", Comment: c.Version},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("mutate.ConfigFile: %w", err)
	}
	return img, nil
}

// RuntimeConfig is the image config's runtime part for c.
func RuntimeConfig(c Config) v1.Config {
	labels := map[string]string{
		LabelTitle:    "iis",
		LabelDesc:     "Dataproc IIS: identity-aware access broker for Google Cloud Dataproc",
		LabelVersion:  c.Version,
		LabelRevision: c.Revision,
		LabelCreated:  c.Created.UTC().Format(time.RFC3339),
	}
	if c.Source != "" {
		labels[LabelSource] = c.Source
	}
	return v1.Config{
		Entrypoint:   []string{Entrypoint},
		User:         User,
		WorkingDir:   WorkDir,
		Env:          []string{"PORT=" + Port},
		ExposedPorts: map[string]struct{}{Port + "/tcp": {}},
		Labels:       labels,
	}
}

func readCACerts(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ociimage: CA certificates: %w (on Debian: apt-get install ca-certificates)", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ociimage: %s holds no PEM certificate", path)
	}
	return b, nil
}
