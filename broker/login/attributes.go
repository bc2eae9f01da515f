package login

import (
	"net"
	"strings"

	"github.com/crewjam/saml"
)

// Attribute profiles: what each IdP sends by default.
const (
	ProfileOkta  = "okta"
	ProfileEntra = "entra"
	ProfileADFS  = "adfs"
)

// Claim URIs of the WS-Federation claim types that Entra ID and ADFS use.
const (
	claimEmail  = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	claimName   = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	claimUPN    = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
	claimGroups = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	claimGroup  = "http://schemas.xmlsoap.org/claims/Group"
	oidMail     = "urn:oid:0.9.2342.19200300.100.1.3"
	oidEPPN     = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
	oidAffil    = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
)

// profiles are the defaults per IdP: principal, e-mail and groups.
var profiles = map[string]Attributes{
	// Okta's SAML app template: attribute statements named as configured;
	// "email" and "groups" are the documented convention, NameID the e-mail.
	ProfileOkta: {Email: "email", Groups: "groups"},
	// Entra ID: the UPN in the name claim, mail in emailaddress.
	ProfileEntra: {UserName: claimName, Email: claimEmail, Groups: claimGroups},
	// ADFS: UPN and e-mail claim rules, group claims as Group.
	ProfileADFS: {UserName: claimUPN, Email: claimEmail, Groups: claimGroup},
}

// genericEmail are the e-mail attribute names tried without a profile.
var genericEmail = []string{"email", "mail", oidMail, claimEmail, oidEPPN}

func (a Attributes) withProfile() Attributes {
	p := profiles[a.Profile]
	a.UserName = cmpOr(a.UserName, p.UserName)
	a.Email = cmpOr(a.Email, p.Email)
	a.Groups = cmpOr(a.Groups, cmpOr(p.Groups, oidAffil))
	return a
}

// samlIdentity is what an assertion says about the person.
type samlIdentity struct {
	UserName, Email, Subject string
	Groups                   []string
}

// mapAssertion reads the principal, e-mail and groups from a verified
// assertion. The NameID is the subject; an emailAddress NameID doubles as
// the e-mail when no attribute carries one.
func (a Attributes) mapAssertion(as *saml.Assertion) samlIdentity {
	var id samlIdentity
	if as.Subject != nil && as.Subject.NameID != nil {
		id.Subject = strings.TrimSpace(as.Subject.NameID.Value)
	}
	values := func(name string) []string {
		var out []string
		for _, st := range as.AttributeStatements {
			for _, at := range st.Attributes {
				if at.Name != name && at.FriendlyName != name {
					continue
				}
				for _, v := range at.Values {
					if s := strings.TrimSpace(v.Value); s != "" {
						out = append(out, s)
					}
				}
			}
		}
		return out
	}
	first := func(names ...string) string {
		for _, n := range names {
			if n == "" {
				continue
			}
			if v := values(n); len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	emails := genericEmail
	if a.Email != "" {
		emails = []string{a.Email}
	}
	id.Email = strings.ToLower(first(emails...))
	if id.Email == "" && as.Subject != nil && as.Subject.NameID != nil &&
		as.Subject.NameID.Format == string(saml.EmailAddressNameIDFormat) {
		id.Email = strings.ToLower(id.Subject)
	}
	id.UserName = id.Subject
	if a.UserName != "" {
		id.UserName = first(a.UserName)
	}
	id.Groups = values(a.Groups)
	return id
}

func parseIP(s string) net.IP { return net.ParseIP(strings.Trim(s, "[]")) }
