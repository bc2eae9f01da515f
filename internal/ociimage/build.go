package ociimage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// VersionPackage holds the variables a release build sets with -X.
const VersionPackage = "github.com/dataproc-iis/iis/internal/version"

// Build says how to build the release binary.
type Build struct {
	Go       string // the go command (default "go")
	Dir      string // the module root (default the working directory)
	Out      string // where to write the binary
	Arch     string // GOARCH (default amd64)
	Version  string
	Revision string
	Modified bool
}

// Args are the go build arguments of a release binary: static (the
// environment sets CGO_ENABLED=0), reproducible (-trimpath, no build id),
// stripped, with the zone database and the version linked in.
func (b Build) Args() []string {
	x := func(name, v string) string { return fmt.Sprintf("-X %s.%s=%s", VersionPackage, name, v) }
	ldflags := strings.Join([]string{"-s", "-w", "-buildid=",
		x("version", b.Version), x("revision", b.Revision), x("modified", fmt.Sprint(b.Modified))}, " ")
	return []string{"build", "-trimpath", "-tags", strings.Join(BuildTags, ","), "-ldflags", ldflags, "-o", b.Out, "./cmd/iis"}
}

// Run builds the binary.
func (b Build) Run(ctx context.Context) error {
	if b.Go == "" {
		b.Go = "go"
	}
	if b.Arch == "" {
		b.Arch = "amd64"
	}
	cmd := exec.CommandContext(ctx, b.Go, b.Args()...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+b.Arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(b.Args(), " "), err)
	}
	return nil
}
