package login

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// metadataMaxAge is how long fetched IdP metadata is used before it is
// fetched again (a failed fetch keeps the old metadata).
const metadataMaxAge = time.Hour

// samlSP is the service provider toward one SAML IdP.
type samlSP struct {
	s    *Server
	name string
	cfg  SAML
	acs  url.URL

	mu       sync.Mutex
	sp       *saml.ServiceProvider // nil until the IdP's metadata loaded
	loadedAt time.Time
}

func newSAML(s *Server, name string, cfg SAML) (*samlSP, error) {
	acs, err := url.Parse(s.url("/saml/" + name + "/acs"))
	if err != nil {
		return nil, fmt.Errorf("login: ACS URL: %w", err)
	}
	return &samlSP{s: s, name: name, cfg: cfg, acs: *acs}, nil
}

// provider returns the ServiceProvider, loading or refreshing the IdP's
// metadata when needed.
func (x *samlSP) provider(ctx context.Context) (*saml.ServiceProvider, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.sp != nil && (x.cfg.MetadataURL == "" || x.s.now().Sub(x.loadedAt) < metadataMaxAge) {
		return x.sp, nil
	}
	md, err := x.metadata(ctx)
	if err != nil {
		if x.sp != nil {
			logCtx(ctx).Warn().Err(err).Str("idp", x.name).Msg("login: refreshing SAML metadata failed; keeping the old")
			x.loadedAt = x.s.now()
			return x.sp, nil
		}
		return nil, err
	}
	meta, _ := url.Parse(x.cfg.EntityID)
	sp := &saml.ServiceProvider{
		EntityID: x.cfg.EntityID, MetadataURL: *meta, AcsURL: x.acs, IDPMetadata: md,
		// IdP-initiated responses are refused: a session goes only to the
		// terminal that asked for it (iis login).
		AllowIDPInitiated: false, RejectSHA1Signatures: true, RejectUnknownConditions: true,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
	}
	x.sp, x.loadedAt = sp, x.s.now()
	return sp, nil
}

func (x *samlSP) metadata(ctx context.Context) (*saml.EntityDescriptor, error) {
	if x.cfg.MetadataFile != "" {
		b, err := os.ReadFile(x.cfg.MetadataFile)
		if err != nil {
			return nil, err
		}
		return samlsp.ParseMetadata(b)
	}
	u, err := url.Parse(x.cfg.MetadataURL)
	if err != nil {
		return nil, err
	}
	md, err := samlsp.FetchMetadata(ctx, x.s.cfg.HTTPClient, *u)
	if err != nil {
		return nil, fmt.Errorf("samlsp.FetchMetadata(%s): %w", x.cfg.MetadataURL, err)
	}
	return md, nil
}

// authURL builds an AuthnRequest (HTTP-Redirect binding, RelayState = the
// flow id) and records its ID in the flow, to be matched by InResponseTo.
func (x *samlSP) authURL(ctx context.Context, f *store.LoginFlow) (string, error) {
	sp, err := x.provider(ctx)
	if err != nil {
		return "", err
	}
	sso := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if sso == "" {
		return "", errors.New("the IdP's metadata offers no HTTP-Redirect single sign-on service")
	}
	req, err := sp.MakeAuthenticationRequest(sso, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", fmt.Errorf("saml.MakeAuthenticationRequest: %w", err)
	}
	u, err := req.Redirect(f.ID, sp)
	if err != nil {
		return "", fmt.Errorf("saml.AuthnRequest.Redirect: %w", err)
	}
	f.SAMLRequestID = req.ID
	return u.String(), nil
}

// serveSAMLMetadata serves the SP metadata to register at the IdP.
func (s *Server) serveSAMLMetadata(w http.ResponseWriter, r *http.Request) {
	p, rf := s.provider(r.PathValue("idp"))
	if rf != nil || p.saml == nil {
		http.NotFound(w, r)
		return
	}
	sp, err := p.saml.provider(r.Context())
	var md *saml.EntityDescriptor
	if err != nil {
		// The SP's own metadata does not depend on the IdP's.
		meta, _ := url.Parse(p.saml.cfg.EntityID)
		md = (&saml.ServiceProvider{EntityID: p.saml.cfg.EntityID, MetadataURL: *meta, AcsURL: p.saml.acs}).Metadata()
	} else {
		md = sp.Metadata()
	}
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		http.Error(w, "cannot render metadata", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write(b)
}

// serveACS is the assertion consumer service (HTTP-POST binding).
func (s *Server) serveACS(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("idp")
	base := store.LoginFlow{IdP: name, Protocol: events.ProtocolSAML, RemoteIP: remoteIP(r)}
	p, rf := s.provider(name)
	if rf == nil && p.saml == nil {
		rf = refuse(StageIdP, ReasonUnknownIdP, http.StatusNotFound, "%s is not a SAML identity provider", name)
	}
	if rf != nil {
		base.Protocol = ""
		s.audit(ctx, nil, failure(base, rf))
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var raw []byte
	if err := r.ParseForm(); err != nil {
		rf = refuse(StageIdP, ReasonSAMLMalformed, http.StatusBadRequest, "the form cannot be read: %v", err)
	} else if raw, err = base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLResponse")); err != nil || len(raw) == 0 {
		rf = refuse(StageIdP, ReasonSAMLMalformed, http.StatusBadRequest, "SAMLResponse is missing or not base64")
	} else {
		rf = precheck(raw)
	}
	if rf != nil {
		s.audit(ctx, nil, failure(base, rf))
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	relay := r.PostForm.Get("RelayState")
	f, rf, err := s.loadPending(ctx, relay, name, events.ProtocolSAML, ReasonFlowUnknown)
	if err != nil {
		s.page(w, http.StatusServiceUnavailable, "Try again", "the login service cannot read the login; retry in a moment")
		return
	}
	if rf != nil {
		if rf.reason == ReasonFlowUnknown && inResponseTo(raw) == "" {
			// No request of ours is answered: an IdP-initiated response.
			rf = refuse(StageIdP, ReasonSAMLUnsolicited, http.StatusForbidden, "unsolicited response: IdP-initiated login is not accepted; start with iis login")
		}
		s.audit(ctx, nil, failure(base, rf))
		s.page(w, rf.status, "Login refused", rf.Error())
		return
	}
	who, rf := p.saml.consume(ctx, f, raw)
	if rf != nil {
		f.Subject, f.EvidenceFingerprint = who.Subject, who.Evidence
		s.failFlow(ctx, f, rf)
		s.finish(w, r, f, "", rf)
		return
	}
	code, rf, err := s.authenticated(ctx, f, who)
	if err != nil {
		s.page(w, http.StatusServiceUnavailable, "Try again", "the login service cannot store the login; retry in a moment")
		return
	}
	s.finish(w, r, f, code, rf)
}

// inResponseTo reads the Response's InResponseTo, unverified: only to name
// the reason of a refusal.
func inResponseTo(raw []byte) string {
	var resp struct {
		InResponseTo string `xml:"InResponseTo,attr"`
	}
	_ = xml.NewDecoder(bytes.NewReader(raw)).Decode(&resp)
	return resp.InResponseTo
}
