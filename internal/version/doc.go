// Package version says which build of iis is running: the release version
// and the commit it was built from, so that `iis version`, every process's
// start log and the container image's labels agree.
//
// Release builds (the Makefile, the Dockerfile, `make image`) set the
// values with -ldflags "-X"; any other build falls back to what the Go
// toolchain stamped into the binary (runtime/debug.ReadBuildInfo:
// vcs.revision, vcs.modified), so `go install` and `go run` builds still
// name their commit when the toolchain could see the repository.
package version
