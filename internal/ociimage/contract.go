package ociimage

// The runtime contract of the image, the same whichever way it is built
// (Dockerfile or mkimage): deploy/terraform and the docs rely on it.
const (
	// Entrypoint is the binary; the command (serve, scim, ...) is the
	// container's args.
	Entrypoint = "/iis"
	// UID and GID are distroless's "nonroot" user, numeric so that
	// Kubernetes' runAsNonRoot can check them without reading /etc/passwd.
	UID, GID = 65532, 65532
	// User is the image config's user.
	User = "65532:65532"
	// UserName names UID in /etc/passwd.
	UserName = "nonroot"
	// WorkDir is the user's home, writable, so the default -data-dir
	// (.iis) works inside the container.
	WorkDir = "/home/nonroot"
	// Port is what `iis serve` and `iis scim` listen on through $PORT.
	Port = "8080"
	// CACertsPath is where Go's crypto/x509 looks first on Linux.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
)

// BuildTags are the Go build tags of a release binary: timetzdata embeds
// the zone database, which policy conditions with a time zone need and an
// image without /usr/share/zoneinfo does not have.
var BuildTags = []string{"timetzdata"}

// Labels are the OCI annotation keys the image config carries.
const (
	LabelVersion  = "org.opencontainers.image.version"
	LabelRevision = "org.opencontainers.image.revision"
	LabelCreated  = "org.opencontainers.image.created"
	LabelSource   = "org.opencontainers.image.source"
	LabelTitle    = "org.opencontainers.image.title"
	LabelDesc     = "org.opencontainers.image.description"
)
