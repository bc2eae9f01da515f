package directory_test

import (
	"strings"

	"github.com/dataproc-iis/iis/broker/identity"
)

// testIssuer is the issuer of the principals the tests look up.
const testIssuer = "https://idp.example.com"

// pr is a verified principal with the principal id id: its e-mail is email,
// or id when that is an address, and its subject is id. It links by
// identity link, then e-mail (the default).
func pr(id, email string) identity.Principal {
	if email == "" && strings.Contains(id, "@") {
		email = id
	}
	return identity.Principal{ID: id, Email: strings.ToLower(email), Issuer: testIssuer, Subject: id,
		Link: identity.Link{By: identity.DefaultLinks}}
}
