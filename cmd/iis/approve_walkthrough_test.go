package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/events"
)

// tailUntil runs `iis tail -json` in the background; the returned
// function waits until done holds of the records so far and returns them.
func tailUntil(t *testing.T, addr string) func(what string, done func([]tailRecord) bool) []tailRecord {
	t.Helper()
	before := strings.Count(subscriptions(t, addr), "iis-tail-")
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"tail", "-pubsub-emulator", addr, "-json"}, out, &syncBuffer{}) }()
	t.Cleanup(func() { cancel(); <-exited })
	waitFor(t, func() bool { return strings.Count(subscriptions(t, addr), "iis-tail-") > before })
	return func(what string, done func([]tailRecord) bool) []tailRecord {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			var recs []tailRecord
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var r tailRecord
				if json.Unmarshal([]byte(line), &r) == nil {
					recs = append(recs, r)
				}
			}
			if done(recs) {
				return recs
			}
			time.Sleep(20 * time.Millisecond) // tail's output has no notification
		}
		t.Fatalf("the audit topic never showed %s:\n%s", what, out.String())
		return nil
	}
}

// recordsOf keeps the records of one request.
func recordsOf(recs []tailRecord, id string) []tailRecord {
	var out []tailRecord
	for _, r := range recs {
		if r.Attributes["ce-requestid"] == id {
			out = append(out, r)
		}
	}
	return out
}

// has reports whether a record of type typ (short form) whose data holds
// every part is among recs.
func has(recs []tailRecord, typ string, parts ...string) bool {
	for _, r := range recs {
		if r.Attributes["ce-type"] != events.Prefix+"."+typ+".v1" {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(string(r.Data), p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestDevApprovalWalkthrough is the README's approval walk-through: alice
// asks for the curated role, which needs two data owners; the request
// pauses; frank sees it with iis pending; alice's own approval is
// refused; frank and grace approve with iis approve; the job runs. Then a
// large job that needs on call is not answered in time and is denied.
func TestDevApprovalWalkthrough(t *testing.T) {
	dir := t.TempDir()
	pol, err := os.ReadFile("devdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "policy.yaml")
	short := strings.Replace(string(pol), "expires_after: 2m", "expires_after: 1s", 1)
	if err := os.WriteFile(policy, []byte(short), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, stderr := startDev(t, "-policy", policy, "-approval-sweep", "50ms", "-job-pending", "50ms", "-job-running", "300ms",
		"-poll-interval", "10ms", "-poll-backoff-min", "10ms", "-poll-backoff-max", "50ms")
	issuer := issuerLine.FindStringSubmatch(stderr.String())[1]
	base := strings.TrimSuffix(issuer, "/oidc")
	ctx := context.Background()
	iis := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errOut syncBuffer
		code := run(ctx, args, &out, &errOut)
		return out.String(), errOut.String(), code
	}
	token := func(who string) string {
		t.Helper()
		out, errOut, code := iis("token", "-issuer", issuer, "-as", who)
		if code != 0 {
			t.Fatalf("iis token -as %s: %s", who, errOut)
		}
		return strings.TrimSpace(out)
	}
	alice, frank, grace := token("alice@example.com"), token("frank@example.com"), token("grace@example.com")
	tail := tailUntil(t, addr)

	data := `{"role":"curated","target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/curate.py","outputs":["gs://iis-dev-data/curated/"]}}`
	out, errOut, code := iis("publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", alice, "-data", data)
	if code != 0 {
		t.Fatalf("publish: %s", errOut)
	}
	id := eventID.FindStringSubmatch(out)[1]
	tail("the request waiting", func(recs []tailRecord) bool { return has(recordsOf(recs, id), "job.approval_requested", `"count":2`) })

	out, errOut, code = iis("pending", "-broker", base, "-token", frank)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "alice@example.com") || !strings.Contains(out, "0 of 2") {
		t.Fatalf("iis pending as frank = %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = iis("approve", id, "-pubsub-emulator", addr, "-broker", base, "-token", alice)
	if code == 0 || !strings.Contains(errOut, "refused: self_approval") {
		t.Errorf("alice approving her own request = %d %q, want refused: self_approval", code, errOut)
	}
	out, errOut, code = iis("approve", id, "-pubsub-emulator", addr, "-broker", base, "-token", frank, "-comment", "checked the diff")
	if code != 0 || !strings.Contains(out, "counted") || !strings.Contains(out, "1 of 2 (frank@example.com)") {
		t.Fatalf("frank approves = %d\n%s%s", code, out, errOut)
	}
	// Grace approves with the session `iis login` keeps (here a dev token
	// stored in her session file).
	t.Setenv("IIS_CONFIG_DIR", t.TempDir())
	if _, errOut, code := iis("pending", "-broker", base); code == 0 || !strings.Contains(errOut, "not logged in") {
		t.Errorf("iis pending without a token or a session = %d %q, want: not logged in", code, errOut)
	}
	if _, err := saveSession(storedSession{User: "grace@example.com", ExpiresAt: time.Now().Add(time.Hour), Token: grace}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = iis("approve", id, "-pubsub-emulator", addr, "-broker", base)
	if code != 0 || !strings.Contains(out, "approved: request "+id) {
		t.Fatalf("grace approves = %d\n%s%s", code, out, errOut)
	}
	recs := tail("the job's end", func(recs []tailRecord) bool { return has(recordsOf(recs, id), "job.state_changed", `"SUCCEEDED"`) })
	got := summary(recordsOf(recs, id))
	for _, want := range []string{"job.approval_requested", "approval.recorded", "job.approved", "credential.issued", "job.submitted", "job.state_changed.v1:SUCCEEDED"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail %q lacks %s", got, want)
		}
	}

	// A job with 100 executors needs on call; nobody answers in time.
	large := `{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py","properties":{"spark.executor.instances":"100"}}}`
	out, errOut, code = iis("publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", alice, "-data", large)
	if code != 0 {
		t.Fatalf("publish: %s", errOut)
	}
	late := eventID.FindStringSubmatch(out)[1]
	recs = tail("the expiry", func(recs []tailRecord) bool {
		return has(recordsOf(recs, late), "job.denied", "approval_expired") && has(recordsOf(recs, late), "approval.expired")
	})
	if !has(recordsOf(recs, late), "job.approval_requested", "large-jobs") {
		t.Errorf("the large job's trail: %s", summary(recordsOf(recs, late)))
	}
	_, errOut, code = iis("approve", late, "-pubsub-emulator", addr, "-broker", base, "-token", token("carol@example.com"))
	if code == 0 || !strings.Contains(errOut, "does not wait for you") {
		t.Errorf("approving the expired request = %d %q", code, errOut)
	}
	if strings.Contains(stderr.String(), alice) || strings.Contains(stderr.String(), frank) {
		t.Error("a token appears in the broker's logs")
	}
}
