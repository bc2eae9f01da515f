// Package ociimage builds the broker's container image without a container
// engine or a registry: a static iis binary (built with the release flags),
// a minimal root file system (a non-root user, CA certificates, a writable
// home and /tmp) and an OCI image config (entrypoint /iis, that user, port
// 8080, OCI labels with the version and commit), written as an OCI image
// layout and as a tarball that `docker load` and `crane push` take.
//
// It exists because the Dockerfile needs an engine this repository's CI
// does not have: `make image` runs this package's mkimage command, and its
// test builds the image the same way and inspects what came out. Both
// routes share the runtime contract in Contract, which the Dockerfile test
// also checks.
package ociimage
