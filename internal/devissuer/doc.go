// Package devissuer is a local OpenID Connect issuer for development: it
// serves a discovery document and a JWKS, and mints real signed ID tokens on
// request, so that the broker's token verification runs unchanged against it.
//
// It exists for `iis dev` (which serves it) and `iis token` (which asks it
// for a token), and for tests. It refuses to start unless DevMode is set:
// anyone who can reach its token endpoint can become anyone, so it must
// never be trusted outside a developer's machine. Its keys are generated at
// start and live only in memory: tokens do not survive a restart.
package devissuer
