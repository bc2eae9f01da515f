package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/rs/zerolog"
)

// Set at link time, e.g.
//
//	-ldflags "-X github.com/dataproc-iis/iis/internal/version.version=v1.2.0
//	          -X github.com/dataproc-iis/iis/internal/version.revision=<sha>
//	          -X github.com/dataproc-iis/iis/internal/version.modified=false"
//
// Each one left empty falls back to the build info. The Makefile,
// Dockerfile and internal/ociimage name these variables: a test builds
// with them and reads them back, so renaming one fails there.
var (
	version  string
	revision string
	modified string
)

// Unknown stands for a value neither the linker nor the toolchain set.
const Unknown = "unknown"

// Info identifies a build.
type Info struct {
	Version   string `json:"version"`  // release version, or the module's pseudo-version, or "(devel)"
	Revision  string `json:"revision"` // the full commit hash, or Unknown
	Modified  bool   `json:"modified"` // built from a work tree with uncommitted changes
	GoVersion string `json:"go"`       // toolchain that built it
	Platform  string `json:"platform"` // GOOS/GOARCH
}

// Get returns the running binary's build.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return get(bi, version, revision, modified)
}

// get merges the link-time values over the build info (nil when the
// binary has none).
func get(bi *debug.BuildInfo, ver, rev, mod string) Info {
	i := Info{Version: "(devel)", Revision: Unknown, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if v := bi.Main.Version; v != "" {
			i.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				i.Revision = s.Value
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
	}
	if ver != "" {
		i.Version = ver
	}
	if rev != "" {
		i.Revision = rev
	}
	if b, err := strconv.ParseBool(mod); err == nil {
		i.Modified = b
	}
	return i
}

// String is the one-line form `iis version` prints.
func (i Info) String() string {
	rev := i.Revision
	if i.Modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("iis %s, commit %s, %s %s", i.Version, rev, i.GoVersion, i.Platform)
}

// MarshalZerologObject adds the build to a log line:
// log.Info().EmbedObject(version.Get()).
func (i Info) MarshalZerologObject(e *zerolog.Event) {
	e.Str("version", i.Version).Str("commit", i.Revision).Bool("modified", i.Modified)
}
