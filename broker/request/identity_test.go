package request_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/revoke"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devissuer"
)

// running publishes who's request for a job that runs for an hour and
// waits until it is RUNNING.
func running(t *testing.T, env *brokertest.Env, token string) event.Event {
	t.Helper()
	req := jobRequest(t, token, "")
	env.PublishEvent(req)
	collect(t, env, req.ID(), func(e event.Event) bool {
		sc, err := events.DecodeStateChange(e)
		return err == nil && sc.State == "RUNNING" || e.Type() == events.JobDenied
	})
	return req
}

var hourLong = dataprocserver.Timing{Pending: 10 * time.Millisecond, Running: time.Hour, Cancel: 20 * time.Millisecond}

// TestTokenWithoutEmail: an OIDC provider that leaves the e-mail out of a
// code-flow ID token (OIDC Core 5.4) is linked to its directory user by an
// explicit identity link of its issuer and subject, and approved; the
// decision says which link found the user.
func TestTokenWithoutEmail(t *testing.T) {
	env, stack := start(t, hourLong)
	env.ImportDirectory(`
users:
  - user_name: erin@example.com
    identities: [{issuer: "` + stack.Issuer.URL() + `", subject: "248289761001"}]
`)
	tok, err := stack.Issuer.Mint(devissuer.TokenRequest{Subject: "248289761001"})
	if err != nil {
		t.Fatal(err)
	}
	req := jobRequest(t, tok, "")
	env.PublishEvent(req)
	got := collect(t, env, req.ID(), func(e event.Event) bool { return e.Type() == events.JobApproved || e.Type() == events.JobDenied })
	d, err := events.DecodeJobDecision(got[len(got)-1])
	if err != nil || d.Outcome != events.OutcomeApproved {
		t.Fatalf("decision = %+v (%v), want approved", d, err)
	}
	dir, _ := d.Input.Identity["directory"].(map[string]any)
	if d.Principal.ID != "erin@example.com" || dir["linked_by"] != "identity_link" {
		t.Errorf("principal %q linked by %v, want erin@example.com by identity_link", d.Principal.ID, dir["linked_by"])
	}

	// The same subject without a link is nobody: subjects are per issuer,
	// never matched against user names.
	other, _ := stack.Issuer.Mint(devissuer.TokenRequest{Subject: "erin@example.com"})
	req = jobRequest(t, other, "")
	env.PublishEvent(req)
	got = collect(t, env, req.ID(), ended)
	if d, _ := events.DecodeJobDecision(got[len(got)-1]); d.Outcome != events.OutcomeDenied || d.Reasons[0].Code != "principal_unknown" {
		t.Errorf("unlinked subject: %s %+v, want denied principal_unknown", trail(got), d.Reasons)
	}
}

// TestRenamedLeaverLosesJobs: the IdP renames a user (a new UPN) and then
// deactivates them; the job started under the old name is cancelled,
// since jobs are found by the directory user id.
func TestRenamedLeaverLosesJobs(t *testing.T) {
	env, stack := start(t, hourLong)
	scimURL := env.SCIM()
	req := running(t, env, stack.Token("erin@example.com"))
	id := env.SCIMUserID(scimURL, "erin@example.com")
	rename := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` +
		`{"op":"replace","path":"userName","value":"erin.smith@example.com"},` +
		`{"op":"replace","path":"emails","value":[{"value":"erin.smith@example.com","primary":true}]}]}`
	if code := env.SCIMPatch(scimURL, "/Users/"+id, rename); code != 200 {
		t.Fatalf("rename: %d", code)
	}
	env.SCIMDeactivate(scimURL, id)
	var got []event.Event
	rev := revocation(t, env, req.ID(), &got)
	if acts := cancelActions(rev); acts != events.ActionSucceeded {
		t.Errorf("cascade cancels = %q, want the renamed user's job cancelled: %+v", acts, rev.Actions)
	}
	untilCancelled(t, env, req.ID(), got)
}

// TestForgedLeaverRefused: an identity event the directory does not bear
// out (here: a deactivation of a user who is active) revokes nothing; it
// is refused and audited, and the user's job keeps running.
func TestForgedLeaverRefused(t *testing.T) {
	env, stack := start(t, hourLong)
	scimURL := env.SCIM()
	req := running(t, env, stack.Token("erin@example.com"))
	forged, err := events.NewUserDeactivated("//attacker", events.UserChange{
		User: events.User{ID: env.SCIMUserID(scimURL, "erin@example.com"), UserName: "erin@example.com"}, Locked: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := events.Encode(forged)
	if err != nil {
		t.Fatal(err)
	}
	env.Publish(env.Config.Topology.Identity, m)
	deadline := time.After(wait)
	for {
		select {
		case e := <-env.Audit:
			if e.Type() == events.AccessRevoked {
				t.Fatalf("a forged leaver revoked access: %s", e.Data())
			}
			if e.Type() != events.EventRejected {
				continue
			}
			if r, _ := events.DecodeRejection(e); r.Reason != revoke.ReasonStale {
				t.Fatalf("rejection %+v, want %s", r, revoke.ReasonStale)
			}
			if tr := trail(env.Trail(req.ID())); strings.Contains(tr, "CANCELLING") {
				t.Errorf("trail %s: the job was cancelled", tr)
			}
			return
		case <-deadline:
			t.Fatal("the forged leaver was not refused")
		}
	}
}

// TestImportDeactivationCascades: a directory import that sets a user
// inactive runs the leaver cascade as a SCIM deactivation does.
func TestImportDeactivationCascades(t *testing.T) {
	env, stack := start(t, hourLong)
	req := running(t, env, stack.Token("erin@example.com"))
	env.ImportDirectory("users:\n  - {user_name: erin@example.com, emails: [erin@example.com], active: false}\n")
	var got []event.Event
	rev := revocation(t, env, req.ID(), &got)
	if acts := cancelActions(rev); acts != events.ActionSucceeded {
		t.Errorf("cascade cancels = %q, want erin's job cancelled: %+v", acts, rev.Actions)
	}
}
