package identity

import (
	"slices"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
)

// maxGroups bounds the groups claim.
const maxGroups = 1000

// principal checks the verified token's registered claims (aud, exp, nbf,
// iat, sub) and maps the others to a Principal. until is when the token
// stops being acceptable (exp plus skew).
func (is *issuer) principal(t *token, now time.Time) (p Principal, until time.Time, err error) {
	cfg := &is.cfg
	skew := cfg.ClockSkew
	aud, err := t.strings("aud")
	switch {
	case err != nil:
		return p, until, err
	case len(aud) == 0:
		return p, until, fault.Permanentf(ReasonMissingClaim, "no aud claim")
	case !slices.Contains(aud, cfg.Audience):
		return p, until, fault.Permanentf(ReasonAudienceMismatch, "audience %q is not %q", aud, cfg.Audience)
	}
	if len(aud) > 1 {
		// A token for several audiences was issued to one client, which azp
		// names (OIDC Core 2, 3.1.3.7): only a token issued to the broker
		// counts, not another client's that merely lists it.
		var azp string
		if err := t.str("azp", &azp); err != nil {
			return p, until, err
		}
		if azp != cfg.Audience {
			return p, until, fault.Permanentf(ReasonAudienceMismatch, "audience %q has several values and azp %q is not %q", aud, azp, cfg.Audience)
		}
	}
	exp, ok, err := t.time("exp")
	switch {
	case err != nil:
		return p, until, err
	case !ok:
		return p, until, fault.Permanentf(ReasonMissingClaim, "no exp claim")
	}
	until = exp.Add(skew)
	if !now.Before(until) {
		return p, until, fault.Permanentf(ReasonExpired, "token expired at %s", exp.Format(time.RFC3339))
	}
	for _, name := range []string{"nbf", "iat"} {
		ts, ok, err := t.time(name)
		if err != nil {
			return p, until, err
		}
		if ok && ts.After(now.Add(skew)) {
			return p, until, fault.Permanentf(ReasonNotYetValid, "%s %s is in the future", name, ts.Format(time.RFC3339))
		}
	}
	p = Principal{Issuer: t.iss, ExpiresAt: exp, Claims: map[string]any{"iss": t.iss, "aud": aud, "exp": exp.Unix()}}
	if err := t.str("sub", &p.Subject); err != nil {
		return p, until, err
	}
	if p.Subject == "" {
		return p, until, fault.Permanentf(ReasonMissingClaim, "no sub claim")
	}
	p.Claims["sub"] = p.Subject
	if err := is.mapIdentity(t, &p); err != nil {
		return p, until, err
	}
	return p, until, nil
}

// principalID sets p.ID: the verified e-mail when the principal claim is
// the e-mail claim and the token has one (an OIDC provider may leave the
// e-mail out of an ID token that comes with an access token, OIDC Core
// 5.4: such a token falls back to its subject), else the principal claim
// scoped to the issuer.
func (is *issuer) principalID(t *token, p *Principal) error {
	cl := &is.cfg.Claims
	if cl.Principal == cl.Email {
		if p.Email != "" {
			p.ID = p.Email
			p.Claims[cl.Principal] = p.ID
			return nil
		}
		p.ID = Scoped(p.Issuer, p.Subject)
		return nil
	}
	var v string
	if err := t.str(cl.Principal, &v); err != nil {
		return err
	}
	if v = strings.TrimSpace(v); v == "" {
		return fault.Permanentf(ReasonMissingClaim, "no %s claim (the principal id)", cl.Principal)
	}
	p.Claims[cl.Principal] = v
	p.ID = Scoped(p.Issuer, v)
	return nil
}

// link fills p.Link from the issuer's directory settings and the claims
// they name.
func (is *issuer) link(t *token, p *Principal) error {
	d := &is.cfg.Directory
	p.Link.By = d.By
	for _, c := range []struct {
		claim string
		dst   *string
		used  bool
	}{
		{d.ExternalIDClaim, &p.Link.ExternalID, slices.Contains(d.By, LinkExternalID)},
		{d.UserNameClaim, &p.Link.UserName, slices.Contains(d.By, LinkUserName)},
	} {
		if !c.used {
			continue
		}
		if err := t.str(c.claim, c.dst); err != nil {
			return err
		}
		*c.dst = strings.TrimSpace(*c.dst)
		if *c.dst != "" {
			p.Claims[c.claim] = *c.dst
		}
	}
	return nil
}

// plausible checks, before the signature is verified, what would make the
// token fail anyway (audience, expiry, signature size for its algorithm), so
// that such a token cannot spend an issuer's key-set refresh. Its errors are
// the ones verification would return.
func (is *issuer) plausible(t *token, now time.Time) error {
	aud, err := t.strings("aud")
	if err != nil {
		return err
	}
	if !slices.Contains(aud, is.cfg.Audience) {
		return fault.Permanentf(ReasonAudienceMismatch, "audience %q is not %q", aud, is.cfg.Audience)
	}
	exp, ok, err := t.time("exp")
	switch {
	case err != nil:
		return err
	case !ok:
		return fault.Permanentf(ReasonMissingClaim, "no exp claim")
	case !now.Before(exp.Add(is.cfg.ClockSkew)):
		return fault.Permanentf(ReasonExpired, "token expired at %s", exp.Format(time.RFC3339))
	}
	if n, ok := sigSize[t.alg]; ok && len(t.signature) != n {
		return fault.Permanentf(ReasonBadSignature, "a %s signature has %d bytes, not %d", t.alg, len(t.signature), n)
	}
	if strings.HasPrefix(t.alg, "RS") || strings.HasPrefix(t.alg, "PS") {
		if n := len(t.signature); n < minRSABits/8 || n > 1024 {
			return fault.Permanentf(ReasonBadSignature, "an %s signature of %d bytes cannot come from an accepted key", t.alg, n)
		}
	}
	return nil
}

// sigSize is the signature size of the fixed-size algorithms.
var sigSize = map[string]int{"ES256": 64, "ES384": 96, "ES512": 132, "EdDSA": 64}

// mapIdentity reads the principal id, e-mail, type and groups claims.
func (is *issuer) mapIdentity(t *token, p *Principal) error {
	cl := &is.cfg.Claims
	if err := t.str(cl.Email, &p.Email); err != nil {
		return err
	}
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	// An e-mail counts only when the issuer vouches for it: it selects
	// directory entries, user bindings and the workload type, and an
	// unverified (or user-editable) address would let anyone claim another's.
	verified, ok, err := t.boolean("email_verified")
	if err != nil {
		return err
	}
	if ok {
		p.Claims["email_verified"] = verified
	}
	if p.Email != "" && !(verified || !ok && is.cfg.AssumeEmailVerified) {
		if cl.Principal == cl.Email {
			return fault.Permanentf(ReasonEmailUnverified,
				"the issuer has not verified %s (for an issuer that never sends email_verified and whose e-mail users cannot edit, set assume_email_verified)", p.Email)
		}
		p.Claims["email_dropped"] = "not verified by the issuer"
		p.Email = ""
	}
	if p.Email != "" {
		p.Claims[cl.Email] = p.Email
	}
	if err := is.principalID(t, p); err != nil {
		return err
	}
	if err := is.link(t, p); err != nil {
		return err
	}
	var typ string
	if err := t.str(cl.Type, &typ); err != nil {
		return err
	}
	switch typ {
	case TypeHuman, TypeWorkload:
		p.Type = typ
		p.Claims[cl.Type] = typ
	case "":
		p.Type = TypeHuman
		for _, suffix := range cl.WorkloadEmailSuffixes {
			if p.Email != "" && strings.HasSuffix(p.Email, suffix) {
				p.Type = TypeWorkload
			}
		}
	default:
		return fault.Permanentf(ReasonInvalidClaim, "claim %s: %q is neither %q nor %q", cl.Type, typ, TypeHuman, TypeWorkload)
	}
	groups, err := t.strings(cl.Groups)
	if err != nil {
		return err
	}
	if len(groups) > maxGroups {
		return fault.Permanentf(ReasonInvalidClaim, "claim %s: %d groups, more than %d", cl.Groups, len(groups), maxGroups)
	}
	groups = slices.DeleteFunc(groups, func(g string) bool { return strings.TrimSpace(g) == "" })
	if len(groups) == 0 {
		return nil
	}
	p.Claims[cl.Groups] = groups
	if is.cfg.TrustedForGroups {
		p.Groups = groups
	} else {
		p.UntrustedGroups = groups
	}
	return nil
}
