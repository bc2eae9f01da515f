package login_test

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/dataproc-iis/iis/internal/headless"
	"github.com/dataproc-iis/iis/internal/samlidp"
)

// samlPost is the IdP's auto-posted form to the ACS, not yet posted.
type samlPost struct {
	acs   string
	relay string
	xml   []byte // the decoded SAMLResponse
	c     cli
}

// samlResponse runs a dev-saml login of email up to the IdP's form that
// would post the Response to the ACS, and returns it.
func (r *rig) samlResponse(email string) samlPost {
	r.t.Helper()
	c := newCLI()
	b := r.browser()
	p := r.signIn(b, r.idpForm(b, c, "dev-saml"), "dev-saml", email)
	forms, err := p.Forms()
	if err != nil || len(forms) != 1 || forms[0].Fields.Get("SAMLResponse") == "" {
		r.t.Fatalf("the IdP answered %d without the ACS form: %.400s", p.Status, p.Body)
	}
	raw, err := base64.StdEncoding.DecodeString(forms[0].Fields.Get("SAMLResponse"))
	if err != nil {
		r.t.Fatal(err)
	}
	return samlPost{acs: forms[0].Action, relay: forms[0].Fields.Get("RelayState"), xml: raw, c: c}
}

// post sends a (tampered) Response to the ACS with a RelayState.
func (r *rig) post(sp samlPost) *headless.Page {
	r.t.Helper()
	p, err := r.browser().Post(sp.acs, url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(sp.xml)}, "RelayState": {sp.relay}})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// doc parses a Response.
func doc(t *testing.T, raw []byte) *etree.Document {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	return d
}

func bytesOf(t *testing.T, d *etree.Document) []byte {
	t.Helper()
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// child returns the first child element of el with that local name.
func child(el *etree.Element, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local {
			return c
		}
	}
	return nil
}

// find returns the first descendant with that local name (depth first).
func find(el *etree.Element, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local {
			return c
		}
		if f := find(c, local); f != nil {
			return f
		}
	}
	return nil
}

func stripSignature(el *etree.Element) {
	if s := child(el, "Signature"); s != nil {
		el.RemoveChild(s)
	}
}

// sign re-signs el (enveloped, exclusive c14n, RSA-SHA256) with key and
// cert, putting the Signature after the Issuer as the schema wants.
func sign(t *testing.T, el *etree.Element, key *rsa.PrivateKey, cert *x509.Certificate) *etree.Element {
	t.Helper()
	stripSignature(el)
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	// goxmldsig appends the Signature without parenting it: take it off
	// the end by hand.
	sig := signed.Child[len(signed.Child)-1].(*etree.Element)
	signed.Child = signed.Child[:len(signed.Child)-1]
	at := 0
	for i, c := range signed.Child {
		if e, ok := c.(*etree.Element); ok && e.Tag == "Issuer" {
			at = i + 1
		}
	}
	signed.InsertChildAt(at, sig)
	return signed
}

// replace puts repl where old is in its parent.
func replace(old, repl *etree.Element) {
	p := old.Parent()
	idx := old.Index()
	p.RemoveChildAt(idx)
	p.InsertChildAt(idx, repl)
}

// tamper changes the assertion with mutate, re-signs it with the IdP's key
// and drops the Response's signature (an assertion-signed Response, as
// many IdPs send).
func (r *rig) tamper(raw []byte, mutate func(resp, as *etree.Element)) []byte {
	r.t.Helper()
	d := doc(r.t, raw)
	resp := d.Root()
	stripSignature(resp)
	as := child(resp, "Assertion")
	mutate(resp, as)
	replace(as, sign(r.t, as, r.saml.Key(), r.saml.Certificate()))
	return bytesOf(r.t, d)
}

// otherIdP is a SAML IdP with keys of its own.
func otherIdP(t *testing.T) *samlidp.IdP {
	t.Helper()
	idp, err := samlidp.New(samlidp.Config{URL: "http://127.0.0.1:1/other", DevMode: true})
	if err != nil {
		t.Fatal(err)
	}
	return idp
}
