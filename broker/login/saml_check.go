package login

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
)

const dsigNS = "http://www.w3.org/2000/09/xmldsig#"

// precheck refuses, before the SAML library parses it, a response that
// holds XML comments or processing instructions (canonicalization drops
// comments, so `user@evil.com<!---->.example.com` keeps its signature while
// a naive reader sees a truncated NameID; no IdP sends comments), or that
// carries no XML signature at all.
func precheck(raw []byte) *refusal {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	signed := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return refuse(StageIdP, ReasonSAMLMalformed, http.StatusBadRequest, "not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Comment:
			return refuse(StageIdP, ReasonSAMLComment, http.StatusBadRequest, "the response holds an XML comment")
		case xml.ProcInst:
			if t.Target != "xml" {
				return refuse(StageIdP, ReasonSAMLComment, http.StatusBadRequest, "the response holds a processing instruction")
			}
		case xml.Directive:
			return refuse(StageIdP, ReasonSAMLMalformed, http.StatusBadRequest, "the response holds a DTD")
		case xml.StartElement:
			if t.Name.Space == dsigNS && t.Name.Local == "Signature" {
				signed = true
			}
		}
	}
	if !signed {
		return refuse(StageIdP, ReasonSAMLUnsigned, http.StatusForbidden, "neither the Response nor its Assertion is signed")
	}
	return nil
}

// consume verifies the Response for flow f (signature, issuer, audience,
// times, InResponseTo = the flow's AuthnRequest), checks the configured
// skew and the assertion-id replay cache, and maps the attributes.
func (x *samlSP) consume(ctx context.Context, f store.LoginFlow, raw []byte) (identityClaim, *refusal) {
	var who identityClaim
	sp, err := x.provider(ctx)
	if err != nil {
		return who, refuse(StageIdP, ReasonIdPUnavailable, http.StatusBadGateway, "%v", err)
	}
	now := x.s.now()
	as, err := sp.ParseXMLResponse(raw, []string{f.SAMLRequestID}, x.acs)
	if err != nil {
		return who, x.samlRefusal(err, raw)
	}
	who.Evidence = identity.Fingerprint("saml:" + as.ID)
	id := x.cfg.Attributes.mapAssertion(as)
	who.Issuer, who.Email, who.Subject, who.Groups = as.Issuer.Value, id.Email, id.Subject, id.Groups
	who.Link.By = linksOf(identity.Link{By: x.cfg.Directory.By})
	if slices.Contains(who.Link.By, identity.LinkExternalID) {
		who.Link.ExternalID = id.Subject
	}
	if slices.Contains(who.Link.By, identity.LinkUserName) {
		who.Link.UserName = id.UserName
	}
	if rf := x.checkTimes(as, now); rf != nil {
		return who, rf
	}
	until := acceptableUntil(as, x.cfg.ClockSkew)
	var first bool
	err = x.s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		first, err = tx.ConsumeOnce(ctx, "saml_assertion:"+x.name+":"+hash(as.ID), now, until)
		return err
	})
	switch {
	case err != nil:
		return who, refuse(StageIdP, "store_unavailable", http.StatusServiceUnavailable, "cannot check the assertion for replay: %v", err)
	case !first:
		return who, refuse(StageIdP, ReasonSAMLReplayed, http.StatusForbidden, "the assertion id was already used")
	}
	return who, nil
}

// checkTimes applies the configured skew (the library allows up to
// MaxSAMLSkew; an IdP may be held to less).
func (x *samlSP) checkTimes(as *saml.Assertion, now time.Time) *refusal {
	skew := x.cfg.ClockSkew
	if c := as.Conditions; c != nil {
		if !c.NotBefore.IsZero() && c.NotBefore.Add(-skew).After(now) {
			return refuse(StageIdP, ReasonSAMLNotYetValid, http.StatusForbidden, "NotBefore %s is in the future (skew %s)", c.NotBefore.Format(time.RFC3339), skew)
		}
		if !c.NotOnOrAfter.IsZero() && !now.Before(c.NotOnOrAfter.Add(skew)) {
			return refuse(StageIdP, ReasonSAMLExpired, http.StatusForbidden, "NotOnOrAfter %s has passed (skew %s)", c.NotOnOrAfter.Format(time.RFC3339), skew)
		}
	}
	if as.Subject != nil {
		for _, sc := range as.Subject.SubjectConfirmations {
			if d := sc.SubjectConfirmationData; d != nil && !d.NotOnOrAfter.IsZero() && !now.Before(d.NotOnOrAfter.Add(skew)) {
				return refuse(StageIdP, ReasonSAMLExpired, http.StatusForbidden, "SubjectConfirmation NotOnOrAfter %s has passed (skew %s)", d.NotOnOrAfter.Format(time.RFC3339), skew)
			}
		}
	}
	return nil
}

// acceptableUntil is how long the assertion's id must stay in the replay
// cache: until nothing would accept the assertion any more.
func acceptableUntil(as *saml.Assertion, skew time.Duration) time.Time {
	until := as.IssueInstant.Add(saml.MaxIssueDelay + saml.MaxClockSkew)
	if c := as.Conditions; c != nil && c.NotOnOrAfter.Add(skew).After(until) {
		until = c.NotOnOrAfter.Add(skew)
	}
	return until.Add(saml.MaxClockSkew)
}

// samlRefusal names the check of the SAML library that refused.
func (x *samlSP) samlRefusal(err error, raw []byte) *refusal {
	msg := err.Error()
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		msg = ire.PrivateErr.Error()
	}
	var bad saml.ErrBadStatus
	reason := ReasonSAMLInvalid
	switch {
	case errors.As(err, &bad):
		reason = ReasonSAMLStatus
	case errors.Is(err, saml.ErrInvalidSignature), errors.Is(err, saml.ErrUntrustedCertificate):
		reason = ReasonSAMLSignature
	case strings.Contains(msg, "signature element not present"):
		// The library's unexported errSignatureElementNotPresent: the
		// assertion it would read is unsigned (and so is the Response).
		reason = ReasonSAMLUnsigned
	case errors.Is(err, saml.ErrAudienceMismatch):
		reason = ReasonSAMLAudience
	case errors.Is(err, saml.ErrExpired):
		reason = ReasonSAMLExpired
	case errors.Is(err, saml.ErrNotYetValid):
		reason = ReasonSAMLNotYetValid
	case errors.Is(err, saml.ErrRequestIDMismatch):
		reason = ReasonSAMLInResponseTo
		if inResponseTo(raw) == "" {
			reason = ReasonSAMLUnsolicited
		}
	case errors.Is(err, saml.ErrIssuerMismatch):
		reason = ReasonSAMLIssuer
	case errors.Is(err, saml.ErrDestinationMismatch):
		reason = ReasonSAMLDestination
	case errors.Is(err, saml.ErrMalformedMessage), errors.Is(err, saml.ErrMissingElement):
		reason = ReasonSAMLMalformed
	}
	return refuse(StageIdP, reason, http.StatusForbidden, "%s", truncate(msg, 500))
}
