// Package devstack starts the local stand-ins for Google Cloud that `iis
// dev` and the end-to-end tests run the broker against: a dev OIDC issuer
// (real signatures, served over HTTP), the IAM Credentials server and the
// Dataproc server (both gRPC, reached by Google's own clients). It returns
// the broker pipeline configuration that points at them.
//
// Everything here is for development: the issuer refuses to run outside
// dev mode and the gRPC servers are plaintext on loopback.
package devstack
