// Package credentials mints the short-lived access tokens the broker runs
// Dataproc work with.
//
// A Minter calls the IAM Service Account Credentials API (GenerateAccessToken
// on projects/-/serviceAccounts/{email}) with the broker's own identity, for
// the service account of the approved role, with minimal scopes and a lifetime
// that is the smaller of the role's cap and a global cap (15 minutes by
// default, never over the API's one hour). Service-account access tokens
// cannot be revoked, so they are kept short and only in memory: a Credential
// never prints, marshals or logs its token, only a fingerprint.
//
// It is separate from broker/dataproc because minting is a decision with its
// own audit event ("credential issued") and its own failure modes: an IAM
// denial is permanent, an IAM outage transient.
package credentials
