// Package samlidp is a local SAML 2.0 identity provider for development
// and tests, on crewjam/saml's samlidp: IdP metadata, an SSO endpoint with
// a login form (HTTP-Redirect in, HTTP-POST out), signed responses and
// assertions, and the dev users with a shared dev password.
//
// It exists so that `iis dev` can offer `iis login -issuer dev-saml`
// beside the dev OIDC issuer, and so that the login service's SAML checks
// run against real signed XML. Its key and certificate are generated at
// start, in memory. It refuses to start unless DevMode is set: its users'
// password is printed in the dev banner.
package samlidp
