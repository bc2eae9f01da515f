// Package iamserver is an in-process IAM Service Account Credentials API
// (google.iam.credentials.v1.IAMCredentials) for local development and tests.
//
// It is reached by Google's own client, cloud.google.com/go/iam/credentials/apiv1,
// pointed at its TCP address. GenerateAccessToken mints an opaque random token
// bound to a service account, its scopes and an expiry; the server keeps only a
// SHA-256 hash of each token, and Check lets a companion fake (the local
// Dataproc server) verify a bearer token the way Google's front end would.
//
// It is separate from the broker because it stands in for Google: nothing in
// broker/ imports it, and production never runs it.
package iamserver
