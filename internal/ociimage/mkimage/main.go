// Command mkimage builds the iis container image without a container
// engine: `make image` runs it. It builds the static binary with the
// release flags, assembles the image (internal/ociimage) and writes it as
// an OCI image layout and as a tarball for `docker load` / `crane push`.
//
//	go run ./internal/ociimage/mkimage -version v1.2.0 -revision $(git rev-parse HEAD)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dataproc-iis/iis/internal/ociimage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	f := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	var (
		b                  ociimage.Build
		c                  ociimage.Config
		layoutDir, tarPath string
		repo, epoch        string
	)
	f.StringVar(&b.Version, "version", "", "version for `iis version` and the image's label and tag (required)")
	f.StringVar(&b.Revision, "revision", "", "full commit hash (required)")
	f.BoolVar(&b.Modified, "modified", false, "the work tree had uncommitted changes")
	f.StringVar(&b.Arch, "arch", "amd64", "GOARCH of the image")
	f.StringVar(&b.Go, "go", "go", "the go command")
	f.StringVar(&c.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of root certificates to put in the image")
	f.StringVar(&c.Source, "source-url", "", "repository URL for the org.opencontainers.image.source label")
	f.StringVar(&epoch, "source-date-epoch", os.Getenv("SOURCE_DATE_EPOCH"), "image creation time and file mtimes, Unix seconds (the commit time makes builds reproducible)")
	f.StringVar(&layoutDir, "layout", "bin/image", "OCI image layout directory to write (replaced)")
	f.StringVar(&tarPath, "tar", "bin/iis-image.tar", "image tarball to write (docker load, crane push)")
	f.StringVar(&repo, "repo", "iis", "repository name of the tarball's tag")
	if err := f.Parse(args); err != nil {
		return err
	}
	if b.Version == "" || b.Revision == "" {
		return fmt.Errorf("-version and -revision are required")
	}
	if epoch != "" {
		sec, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("-source-date-epoch %q: %w", epoch, err)
		}
		c.Created = time.Unix(sec, 0)
	}
	tmp, err := os.MkdirTemp("", "mkimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b.Out = filepath.Join(tmp, "iis")
	c.Binary, c.Version, c.Revision, c.Arch = b.Out, b.Version, b.Revision, b.Arch
	if err := b.Run(ctx); err != nil {
		return err
	}
	img, err := ociimage.Assemble(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(tarPath), 0o755); err != nil {
		return err
	}
	if err := ociimage.WriteLayout(layoutDir, img, c.Version); err != nil {
		return err
	}
	if err := ociimage.WriteTarball(tarPath, repo, c.Version, img); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("image %s:%s %s\n  OCI layout %s\n  tarball    %s\n", repo, c.Version, d, layoutDir, tarPath)
	return nil
}
