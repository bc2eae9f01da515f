package login_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/session"
)

// TestSAMLTamperedCopiesWork: the rig's re-signing is faithful: an
// untouched assertion re-signed with the IdP's key logs in. Every attack
// below differs from this in one thing only.
func TestSAMLTamperedCopiesWork(t *testing.T) {
	r := newRig(t)
	sp := r.samlResponse("alice@example.com")
	sp.xml = r.tamper(sp.xml, func(resp, as *etree.Element) {})
	code, e, desc := loopbackResult(t, r.post(sp), sp.c)
	if code == "" {
		t.Fatalf("a faithfully re-signed response was refused: %s %s", e, desc)
	}
}

func setTime(el *etree.Element, attr string, ts time.Time) {
	el.CreateAttr(attr, ts.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// TestSAMLAttacks: each is refused with its own reason, audited, and gets
// no session.
func TestSAMLAttacks(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name, want string
		attack     func(r *rig, sp *samlPost)
	}{
		{"unsigned", login.ReasonSAMLUnsigned, func(r *rig, sp *samlPost) {
			d := doc(t, sp.xml)
			stripSignature(d.Root())
			stripSignature(child(d.Root(), "Assertion"))
			sp.xml = bytesOf(t, d)
		}},
		{"modified after signing", login.ReasonSAMLSignature, func(r *rig, sp *samlPost) {
			d := doc(t, sp.xml)
			stripSignature(d.Root())
			find(d.Root(), "NameID").SetText("bob@example.com")
			sp.xml = bytesOf(t, d)
		}},
		{"signed by another key", login.ReasonSAMLSignature, func(r *rig, sp *samlPost) {
			other := otherIdP(t)
			d := doc(t, sp.xml)
			stripSignature(d.Root())
			as := child(d.Root(), "Assertion")
			replace(as, sign(t, as, other.Key(), other.Certificate()))
			sp.xml = bytesOf(t, d)
		}},
		{"another audience", login.ReasonSAMLAudience, func(r *rig, sp *samlPost) {
			sp.xml = r.tamper(sp.xml, func(_, as *etree.Element) { find(as, "Audience").SetText("https://other-sp.example.com/metadata") })
		}},
		{"expired long ago", login.ReasonSAMLExpired, func(r *rig, sp *samlPost) {
			sp.xml = r.tamper(sp.xml, func(_, as *etree.Element) {
				old := now.Add(-2 * time.Hour)
				setTime(as, "IssueInstant", old)
				setTime(find(as, "Conditions"), "NotBefore", old)
				setTime(find(as, "Conditions"), "NotOnOrAfter", old.Add(90*time.Second))
				setTime(find(as, "SubjectConfirmationData"), "NotOnOrAfter", old.Add(90*time.Second))
				setTime(find(as, "AuthnStatement"), "AuthnInstant", old)
			})
		}},
		// 45s past NotOnOrAfter: within the SAML library's own 180s, beyond
		// this IdP's configured 30s.
		{"expired beyond the configured skew", login.ReasonSAMLExpired, func(r *rig, sp *samlPost) {
			sp.xml = r.tamper(sp.xml, func(_, as *etree.Element) {
				setTime(find(as, "Conditions"), "NotOnOrAfter", now.Add(-45*time.Second))
			})
		}},
		{"not yet valid beyond the configured skew", login.ReasonSAMLNotYetValid, func(r *rig, sp *samlPost) {
			sp.xml = r.tamper(sp.xml, func(_, as *etree.Element) {
				setTime(find(as, "Conditions"), "NotBefore", now.Add(60*time.Second))
			})
		}},
		{"unsolicited", login.ReasonSAMLUnsolicited, func(r *rig, sp *samlPost) {
			sp.xml = r.tamper(sp.xml, func(resp, as *etree.Element) {
				resp.RemoveAttr("InResponseTo")
				find(as, "SubjectConfirmationData").RemoveAttr("InResponseTo")
			})
		}},
		{"unsolicited without RelayState", login.ReasonSAMLUnsolicited, func(r *rig, sp *samlPost) {
			sp.xml = r.tamper(sp.xml, func(resp, as *etree.Element) {
				resp.RemoveAttr("InResponseTo")
				find(as, "SubjectConfirmationData").RemoveAttr("InResponseTo")
			})
			sp.relay = ""
		}},
		{"InResponseTo of another request", login.ReasonSAMLInResponseTo, func(r *rig, sp *samlPost) {
			other := r.samlResponse("alice@example.com") // a second pending login
			sp.relay = other.relay
		}},
		// Mallory is alice@example.com.evil.test at the IdP; a comment after
		// "alice@example.com" keeps the signature (c14n drops comments) and
		// truncates the NameID for a naive reader.
		{"comment-injected NameID", login.ReasonSAMLComment, func(r *rig, sp *samlPost) {
			*sp = r.samlResponse("alice@example.com.evil.test")
			sp.xml = bytes.ReplaceAll(sp.xml, []byte("alice@example.com.evil.test"), []byte("alice@example.com<!---->.evil.test"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			sp := r.samlResponse("alice@example.com")
			tc.attack(r, &sp)
			p := r.post(sp)
			if loc := p.Location(); strings.Contains(loc, "code=") {
				t.Fatalf("the attack got a code: %s", loc)
			}
			if p.Status/100 != 4 && p.Status != http.StatusFound {
				t.Errorf("ACS answered %d", p.Status)
			}
			r.wantRefused(tc.want)
		})
	}
}

// TestSAMLReplay: an assertion id the IdP already used for one login is
// refused for another, even correctly signed and answering that login's
// request.
func TestSAMLReplay(t *testing.T) {
	r := newRig(t)
	first := r.samlResponse("alice@example.com")
	second := r.samlResponse("alice@example.com")
	if code, _, desc := loopbackResult(t, r.post(first), first.c); code == "" {
		t.Fatalf("first login refused: %s", desc)
	}
	firstID := child(doc(t, first.xml).Root(), "Assertion").SelectAttrValue("ID", "")
	second.xml = r.tamper(second.xml, func(_, as *etree.Element) { as.CreateAttr("ID", firstID) })
	_, e, desc := loopbackResult(t, r.post(second), second.c)
	if e != "access_denied" || !strings.Contains(desc, login.ReasonSAMLReplayed) {
		t.Errorf("replayed assertion id: %s %s", e, desc)
	}
	r.wantRefusedAfter(1, login.ReasonSAMLReplayed)
	// And the very same POST again: its login was already answered.
	r.post(first)
	if f := r.lastFailure(); f.Reason != login.ReasonFlowUsed {
		t.Errorf("the same response twice: %s, want %s", f.Reason, login.ReasonFlowUsed)
	}
}

// wantRefusedAfter: the last failure is reason and exactly n sessions were
// issued before.
func (r *rig) wantRefusedAfter(n int, reason string) {
	r.t.Helper()
	if f := r.lastFailure(); f.Reason != reason {
		r.t.Errorf("login.failed = %s (%s), want %s", f.Reason, f.Message, reason)
	}
	_ = n
}

var _ = session.MaxLifetime
