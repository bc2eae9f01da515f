package watch

import (
	"golang.org/x/oauth2"
)

// CloudPlatformScope is the OAuth scope of the broker's own token.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// TokenSourceCaller is the broker's own credential (Application Default
// Credentials in production) as a dataproc.Caller. A token that cannot be
// had yields an empty string, which Dataproc refuses: the poll fails and is
// retried, never run without credentials.
type TokenSourceCaller struct{ TS oauth2.TokenSource }

// AccessToken returns a current access token.
func (c TokenSourceCaller) AccessToken() string {
	t, err := c.TS.Token()
	if err != nil {
		return ""
	}
	return t.AccessToken
}

// StaticCaller is a fixed token (the local IAM server's broker token in dev).
type StaticCaller string

// AccessToken returns the token.
func (c StaticCaller) AccessToken() string { return string(c) }
