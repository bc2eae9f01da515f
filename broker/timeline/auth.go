package timeline

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
)

// cookieName holds a browser's token: HttpOnly (no script can read it),
// SameSite=Lax, Secure except on loopback.
const cookieName = "iis_timeline"

// viewer is who reads the page.
type viewer struct {
	Principal   string
	Role        string // the role with may_read_audit
	Fingerprint string // of the token, never the token
}

// refusal is why a request is not served: Status 401 (no or a bad token:
// sign in) or 403 (a known token without the right).
type refusal struct {
	Status int
	Reason string
	Msg    string
}

// token is the bearer token of r, or its cookie's.
func token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return c.Value
	}
	return ""
}

// authenticate checks r's token: a valid session or ID token of a trusted
// issuer, of a principal the directory knows as active and unlocked, with
// a role that may read the audit trail. It fails closed: an issuer or a
// directory that cannot answer refuses.
func (s *Server) authenticate(r *http.Request) (viewer, *refusal) {
	raw := token(r)
	if raw == "" {
		return viewer{}, &refusal{http.StatusUnauthorized, "no_token", "sign in to read the audit trail"}
	}
	ctx := r.Context()
	p, err := s.cfg.Verifier.Verify(ctx, raw)
	if err != nil {
		if !fault.IsPermanent(err) {
			return viewer{}, &refusal{http.StatusServiceUnavailable, fault.ReasonOf(err), "the token's issuer cannot be reached; retry"}
		}
		return viewer{}, &refusal{http.StatusUnauthorized, fault.ReasonOf(err), "the token was refused (" + fault.ReasonOf(err) + "); sign in again"}
	}
	v := viewer{Principal: p.ID, Fingerprint: p.TokenFingerprint}
	e, err := s.cfg.Directory.Lookup(ctx, p)
	switch {
	case errors.Is(err, decision.ErrNotFound):
		return v, &refusal{http.StatusForbidden, decision.ReasonPrincipalUnknown, p.ID + " is not in the directory"}
	case err != nil && !fault.IsPermanent(err):
		return v, &refusal{http.StatusServiceUnavailable, decision.ReasonDirectoryUnavailable, "the directory cannot be read; retry"}
	case err != nil:
		return v, &refusal{http.StatusForbidden, fault.ReasonOf(err), err.Error()}
	case e.Locked:
		return v, &refusal{http.StatusForbidden, decision.ReasonPrincipalLocked, p.ID + " is locked in the directory"}
	case !e.Active:
		return v, &refusal{http.StatusForbidden, decision.ReasonPrincipalInactive, p.ID + " is deactivated in the directory"}
	}
	pol := s.cfg.Policy.Current()
	if pol == nil {
		return v, &refusal{http.StatusServiceUnavailable, decision.ReasonPolicyUnavailable, "no policy is loaded"}
	}
	pr := policyPrincipal(p, e)
	v.Principal = pr.ID
	role, ok := pol.MayReadAudit(pr, s.cfg.Now())
	if !ok {
		return v, &refusal{http.StatusForbidden, "audit_read_not_allowed", fmt.Sprintf("%s holds no role with may_read_audit", pr.ID)}
	}
	v.Role = role
	return v, nil
}

// policyPrincipal is whom the policy sees, as for a decision: the
// directory's name and groups with the groups of an issuer trusted for them.
func policyPrincipal(p identity.Principal, e decision.Entry) policy.Principal {
	id, email := p.ID, p.Email
	if e.UserName != "" {
		id = e.UserName
	}
	if email == "" {
		email = e.Email
	}
	groups := slices.Clone(e.Groups)
	for _, g := range p.Groups {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return policy.Principal{ID: id, Email: email, Type: p.Type, Issuer: p.Issuer, Groups: groups}
}
