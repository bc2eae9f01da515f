package login_test

import (
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/dataproc-iis/iis/broker/login"
)

// evilAssertion is a copy of the signed assertion naming bob, with a new
// ID and no signature: what an attacker wants the SP to read.
func evilAssertion(orig *etree.Element) *etree.Element {
	evil := orig.Copy()
	stripSignature(evil)
	evil.CreateAttr("ID", "id-evil-"+orig.SelectAttrValue("ID", "")[3:11])
	find(evil, "NameID").SetText("bob@example.com")
	for _, v := range evil.FindElements(".//AttributeValue") {
		if strings.Contains(v.Text(), "alice@example.com") {
			v.SetText("bob@example.com")
		}
	}
	return evil
}

func insertAfter(parent, ref, el *etree.Element) { parent.InsertChildAt(ref.Index()+1, el) }

// TestXSW: the eight XML signature wrapping classes (Somorovsky et al.,
// "On Breaking SAML"), built from a response the IdP signed for alice, each
// trying to make the SP read an unsigned assertion for bob. Every one is
// refused for its signature (saml_signature_invalid: the signature does not
// cover what would be read; saml_unsigned: the assertion that would be read
// carries none) or its shape (saml_malformed: two assertions in a Response
// that is not signed), and no session is issued.
func TestXSW(t *testing.T) {
	cases := map[string]func(resp *etree.Element){
		// XSW1: an evil Response whose Signature holds the signed original.
		"XSW1": func(resp *etree.Element) {
			orig := resp.Copy()
			sig := child(resp, "Signature").Copy()
			as := child(resp, "Assertion")
			resp.RemoveChild(as)
			resp.AddChild(evilAssertion(as))
			resp.CreateAttr("ID", "id-evil-response")
			stripSignature(resp)
			stripSignature(orig)
			sig.AddChild(orig)
			insertAfter(resp, child(resp, "Issuer"), sig)
		},
		// XSW2: the same, the original detached beside the Signature.
		"XSW2": func(resp *etree.Element) {
			orig := resp.Copy()
			sig := child(resp, "Signature").Copy()
			as := child(resp, "Assertion")
			resp.RemoveChild(as)
			resp.AddChild(evilAssertion(as))
			resp.CreateAttr("ID", "id-evil-response")
			stripSignature(resp)
			stripSignature(orig)
			insertAfter(resp, child(resp, "Issuer"), sig)
			resp.InsertChildAt(sig.Index(), orig)
		},
		// XSW3: an evil assertion before the signed one.
		"XSW3": func(resp *etree.Element) {
			stripSignature(resp)
			as := child(resp, "Assertion")
			resp.InsertChildAt(as.Index(), evilAssertion(as))
		},
		// XSW4: the signed assertion inside the evil one.
		"XSW4": func(resp *etree.Element) {
			stripSignature(resp)
			as := child(resp, "Assertion")
			evil := evilAssertion(as)
			resp.RemoveChild(as)
			evil.AddChild(as)
			resp.AddChild(evil)
		},
		// XSW5: the evil assertion carries the signature; an unsigned copy of
		// the original is appended to the Response.
		"XSW5": func(resp *etree.Element) {
			stripSignature(resp)
			as := child(resp, "Assertion")
			evil := evilAssertion(as)
			insertAfter(evil, child(evil, "Issuer"), child(as, "Signature").Copy())
			orig := as.Copy()
			stripSignature(orig)
			resp.RemoveChild(as)
			resp.AddChild(evil)
			resp.AddChild(orig)
		},
		// XSW6: the evil assertion carries the signature, the original
		// inside it.
		"XSW6": func(resp *etree.Element) {
			stripSignature(resp)
			as := child(resp, "Assertion")
			evil := evilAssertion(as)
			sig := child(as, "Signature").Copy()
			orig := as.Copy()
			stripSignature(orig)
			sig.AddChild(orig)
			insertAfter(evil, child(evil, "Issuer"), sig)
			resp.RemoveChild(as)
			resp.AddChild(evil)
		},
		// XSW7: the signed original hidden in an Extensions element, the evil
		// assertion beside it.
		"XSW7": func(resp *etree.Element) {
			stripSignature(resp)
			as := child(resp, "Assertion")
			ext := etree.NewElement("samlp:Extensions")
			resp.RemoveChild(as)
			ext.AddChild(as)
			insertAfter(resp, child(resp, "Issuer"), ext)
			resp.AddChild(evilAssertion(as))
		},
		// XSW8: the evil assertion carries the signature, whose Object holds
		// the original without its signature.
		"XSW8": func(resp *etree.Element) {
			stripSignature(resp)
			as := child(resp, "Assertion")
			evil := evilAssertion(as)
			sig := child(as, "Signature").Copy()
			obj := etree.NewElement("ds:Object")
			orig := as.Copy()
			stripSignature(orig)
			obj.AddChild(orig)
			sig.AddChild(obj)
			insertAfter(evil, child(evil, "Issuer"), sig)
			resp.RemoveChild(as)
			resp.AddChild(evil)
		},
	}
	for name, wrap := range cases {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			sp := r.samlResponse("alice@example.com")
			d := doc(t, sp.xml)
			wrap(d.Root())
			sp.xml = bytesOf(t, d)
			p := r.post(sp)
			if strings.Contains(p.Location(), "code=") {
				t.Fatalf("%s got a code", name)
			}
			f := r.lastFailure()
			switch f.Reason {
			case login.ReasonSAMLSignature, login.ReasonSAMLMalformed, login.ReasonSAMLUnsigned:
			default:
				t.Errorf("%s refused as %s (%s), want a signature or shape reason", name, f.Reason, f.Message)
			}
			if f.Principal != nil || strings.Contains(f.Login.Subject, "bob") {
				t.Errorf("%s: the refusal names a principal read from unsigned XML: %+v", name, f)
			}
			t.Logf("%s: %s: %s", name, f.Reason, f.Message)
		})
	}
}
