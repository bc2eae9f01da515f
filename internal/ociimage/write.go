package ociimage

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteLayout writes img as the only image of a fresh OCI image layout in
// dir (skopeo, crane, podman and containerd read it), named by tag.
func WriteLayout(dir string, img v1.Image, tag string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("layout.Write: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	err = p.AppendImage(img,
		layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}),
		layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture}))
	if err != nil {
		return fmt.Errorf("layout.AppendImage: %w", err)
	}
	return nil
}

// WriteTarball writes img to path as a tarball `docker load` and `crane
// push` take, tagged repo:tag.
func WriteTarball(path, repo, tag string, img v1.Image) error {
	ref, err := name.NewTag(repo + ":" + tag)
	if err != nil {
		return fmt.Errorf("name.NewTag: %w", err)
	}
	if err := tarball.WriteToFile(path, ref, img); err != nil {
		return fmt.Errorf("tarball.WriteToFile: %w", err)
	}
	return nil
}
