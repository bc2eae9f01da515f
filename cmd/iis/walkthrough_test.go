package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/events"
)

var issuerLine = regexp.MustCompile(`OIDC dev issuer\s+(\S+)`)

// tailN runs `iis tail -json -n n` in the background and returns a function
// that waits for its records.
func tailN(t *testing.T, addr string, n int) func() []tailRecord {
	t.Helper()
	before := strings.Count(subscriptions(t, addr), "iis-tail-")
	out := &syncBuffer{}
	done := make(chan int, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	go func() {
		done <- run(ctx, []string{"tail", "-pubsub-emulator", addr, "-json", "-n", itoa(n)}, out, &syncBuffer{})
	}()
	waitFor(t, func() bool { return strings.Count(subscriptions(t, addr), "iis-tail-") > before })
	return func() []tailRecord {
		defer cancel()
		if code := <-done; code != 0 {
			t.Fatalf("tail exited %d", code)
		}
		var recs []tailRecord
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var r tailRecord
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("tail line %q: %v", line, err)
			}
			recs = append(recs, r)
		}
		return recs
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func summary(recs []tailRecord) string {
	var parts []string
	for _, r := range recs {
		s := strings.TrimPrefix(r.Attributes["ce-type"], events.Prefix+".")
		var sc events.StateChange
		if json.Unmarshal(r.Data, &sc) == nil && sc.State != "" {
			s += ":" + sc.State
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestDevWalkthrough is the README's walk-through: a token from the dev
// issuer, a job request, and the audit trail from approval to the end of
// the job; then a second job cancelled by its owner.
func TestDevWalkthrough(t *testing.T) {
	addr, stderr := startDev(t, "-job-pending", "50ms", "-job-running", "300ms", "-poll-interval", "10ms", "-poll-backoff-min", "10ms", "-poll-backoff-max", "50ms")
	issuer := issuerLine.FindStringSubmatch(stderr.String())[1]
	ctx := context.Background()

	var tok syncBuffer
	if code := run(ctx, []string{"token", "-issuer", issuer, "-as", "alice@example.com"}, &tok, &syncBuffer{}); code != 0 {
		t.Fatal("iis token failed")
	}
	token := strings.TrimSpace(tok.String())
	data := `{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`

	wait := tailN(t, addr, 5)
	var out, errOut syncBuffer
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", token, "-data", data}, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	recs := wait()
	got := summary(recs)
	for _, want := range []string{"job.approved.v1", "credential.issued.v1", "job.submitted.v1", "job.state_changed.v1:RUNNING", "job.state_changed.v1:SUCCEEDED"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail %q lacks %s", got, want)
		}
	}
	if strings.Contains(strings.Join([]string{out.String(), stderr.String()}, ""), token) {
		t.Error("the ID token appears in the command output or the broker's logs")
	}
}

var eventID = regexp.MustCompile(`event ([0-9a-f-]{36})`)

// TestDevCancelWalkthrough: a running job cancelled by its owner shows
// CANCELLING, then CANCELLED.
func TestDevCancelWalkthrough(t *testing.T) {
	addr, stderr := startDev(t, "-job-pending", "10ms", "-job-running", "1h", "-poll-interval", "10ms", "-poll-backoff-min", "10ms", "-poll-backoff-max", "50ms")
	issuer := issuerLine.FindStringSubmatch(stderr.String())[1]
	ctx := context.Background()
	var tok syncBuffer
	if code := run(ctx, []string{"token", "-issuer", issuer, "-as", "alice@example.com"}, &tok, &syncBuffer{}); code != 0 {
		t.Fatal("iis token failed")
	}
	token := strings.TrimSpace(tok.String())

	wait := tailN(t, addr, 4)
	var out, errOut syncBuffer
	data := `{"target":{"project":"iis-dev","region":"europe-west1","cluster":"etl-cluster"},"job":{"type":"spark","main_class":"org.example.Etl","jar_uris":["gs://iis-dev-code/etl.jar"]}}`
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", token, "-data", data}, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	if got := summary(wait()); !strings.Contains(got, "RUNNING") {
		t.Fatalf("before the cancel: %s, want the job RUNNING", got)
	}
	id := eventID.FindStringSubmatch(out.String())[1]

	wait = tailN(t, addr, 2)
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.cancel_requested", "-token", token,
		"-data", `{"request_id":"` + id + `","reason":"wrong input"}`}, &out, &errOut); code != 0 {
		t.Fatalf("publish cancel: %s", errOut.String())
	}
	if got := summary(wait()); !strings.Contains(got, "CANCELLING") || !strings.Contains(got, "CANCELLED") {
		t.Errorf("after the cancel: %s, want CANCELLING and CANCELLED", got)
	}
}

// TestDevLeaverWalkthrough: bob has a running job; Okta deactivates him
// over SCIM; the job is cancelled, access.revoked is audited with the
// latency, and bob's next request is denied.
func TestDevLeaverWalkthrough(t *testing.T) {
	const scimToken = "test-scim-token-0123456789"
	addr, stderr := startDev(t, "-job-pending", "10ms", "-job-running", "1h", "-poll-interval", "10ms",
		"-poll-backoff-min", "10ms", "-poll-backoff-max", "50ms", "-scim-tokens", scimToken)
	base := strings.TrimSuffix(issuerLine.FindStringSubmatch(stderr.String())[1], "/oidc")
	ctx := context.Background()
	var tok syncBuffer
	if code := run(ctx, []string{"token", "-issuer", base + "/oidc", "-as", "bob@example.com"}, &tok, &syncBuffer{}); code != 0 {
		t.Fatal("iis token failed")
	}
	token := strings.TrimSpace(tok.String())
	data := `{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`
	wait := tailN(t, addr, 4)
	var out, errOut syncBuffer
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", token, "-data", data}, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	if got := summary(wait()); !strings.Contains(got, "RUNNING") {
		t.Fatalf("before the leaver: %s, want RUNNING", got)
	}

	id := scimUserID(t, base, scimToken, "bob@example.com")
	// What the README's leaver walk-through shows: the deactivation, the
	// cascade, the cancel it made, and the watcher seeing the job end.
	wait = tailN(t, addr, 4)
	scimPatch(t, base+"/scim/v2/Users/"+id, scimToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
	recs := wait()
	sort.Slice(recs, func(i, j int) bool {
		a, _ := strconv.Atoi(recs[i].Attributes["ce-auditseq"])
		b, _ := strconv.Atoi(recs[j].Attributes["ce-auditseq"])
		return a < b
	})
	const wantTrail = "identity.user.deactivated.v1 access.revoked.v1 job.state_changed.v1:CANCELLING job.state_changed.v1:CANCELLED"
	if got := summary(recs); got != wantTrail {
		t.Errorf("after the leaver: %s, want %s", got, wantTrail)
	}
	var revoked *events.Revocation
	for _, r := range recs {
		if r.Attributes["ce-type"] == events.AccessRevoked {
			revoked = new(events.Revocation)
			json.Unmarshal(r.Data, revoked)
		}
	}
	if revoked == nil || len(revoked.Actions) == 0 || revoked.Actions[0].Kind != events.ActionCancelJob || revoked.Actions[0].Outcome != events.ActionSucceeded {
		t.Fatalf("after the leaver: %s, revocation %+v; want access.revoked with a cancelled job", summary(recs), revoked)
	}

	wait = tailN(t, addr, 1)
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", token, "-data", data}, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	denied := wait()[0]
	var d events.JobDecision
	json.Unmarshal(denied.Data, &d)
	if denied.Attributes["ce-type"] != events.JobDenied || len(d.Reasons) == 0 || d.Reasons[0].Code != "principal_locked" {
		t.Errorf("bob's request after leaving: %s %+v, want job.denied principal_locked", denied.Attributes["ce-type"], d.Reasons)
	}
}

func scimUserID(t *testing.T, base, token, userName string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/scim/v2/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Resources []struct{ ID string } `json:"Resources"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Resources) != 1 {
		t.Fatalf("SCIM lookup of %s: %d resources, %v (status %s)", userName, len(list.Resources), err, resp.Status)
	}
	return list.Resources[0].ID
}

func scimPatch(t *testing.T, u, token, body string) {
	t.Helper()
	req, _ := http.NewRequest("PATCH", u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("SCIM PATCH %s: %s", u, resp.Status)
	}
}
