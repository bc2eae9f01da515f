package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/events"
)

// clusterSummary renders records in audit order, with cluster and job states.
func clusterSummary(recs []tailRecord) string {
	sort.Slice(recs, func(i, j int) bool {
		a, _ := strconv.Atoi(recs[i].Attributes["ce-auditseq"])
		b, _ := strconv.Atoi(recs[j].Attributes["ce-auditseq"])
		return a < b
	})
	var parts []string
	for _, r := range recs {
		s := strings.TrimSuffix(strings.TrimPrefix(r.Attributes["ce-type"], events.Prefix+"."), ".v1")
		var st struct {
			State  string `json:"state"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(r.Data, &st) == nil && st.State != "" {
			s += ":" + st.State
		}
		if r.Attributes["ce-type"] == events.ClusterDeleted {
			s += ":" + st.Reason
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

var publishedID = regexp.MustCompile(`event ([0-9a-f-]{36})`)

// TestDevClusterWalkthrough is the README's cluster walk-through through
// the CLI on `iis dev`: alice asks for a cluster, runs a job on it, opens
// its logs for a while and sees the binding go at expiry; bob, who owns a
// cluster, leaves, and his cluster is deleted.
func TestDevClusterWalkthrough(t *testing.T) {
	const scimToken = "test-scim-token-0123456789"
	addr, stderr := startDev(t, "-job-pending", "20ms", "-job-running", "300ms", "-cluster-create", "100ms", "-cluster-delete", "100ms",
		"-poll-interval", "10ms", "-poll-backoff-min", "10ms", "-poll-backoff-max", "50ms", "-access-reconcile", "50ms", "-drift-every", "1h",
		"-scim-tokens", scimToken)
	base := strings.TrimSuffix(issuerLine.FindStringSubmatch(stderr.String())[1], "/oidc")
	ctx := context.Background()
	token := func(who string) string {
		var tok syncBuffer
		if code := run(ctx, []string{"token", "-issuer", base + "/oidc", "-as", who}, &tok, &syncBuffer{}); code != 0 {
			t.Fatal("iis token failed")
		}
		return strings.TrimSpace(tok.String())
	}
	publish := func(typ, tok, data string) string {
		var out, errOut syncBuffer
		if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", typ, "-token", tok, "-data", data}, &out, &errOut); code != 0 {
			t.Fatalf("publish %s: %s", typ, errOut.String())
		}
		return publishedID.FindStringSubmatch(out.String())[1]
	}
	step := func(n int, what string, act func(), want string) []tailRecord {
		t.Helper()
		wait := tailN(t, addr, n)
		act()
		recs := wait()
		if got := clusterSummary(recs); got != want {
			t.Errorf("%s: %s\n want %s", what, got, want)
		}
		return recs
	}
	alice, bob := token("alice@example.com"), token("bob@example.com")

	recs := step(4, "a cluster", func() { publish("cluster.requested", alice, `{"template":"small","config":{"workers":{"count":3}}}`) },
		"cluster.approved credential.issued cluster.created cluster.state_changed:RUNNING")
	var d events.ClusterDecision
	json.Unmarshal(recs[0].Data, &d)

	var job string
	step(5, "a job on it", func() {
		job = publish("job.requested", alice, fmt.Sprintf(`{"target":{"project":"iis-dev","region":"europe-west1","cluster":%q},`+
			`"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`, d.Cluster))
	}, "job.approved credential.issued job.submitted job.state_changed:RUNNING job.state_changed:SUCCEEDED")

	step(3, "its logs for 3s", func() {
		publish("access.requested", alice, fmt.Sprintf(`{"job_request_id":%q,"view":"logs","duration":"3s"}`, job))
	}, "access.approved access.granted access.expired")

	step(4, "bob's cluster", func() { publish("cluster.requested", bob, `{"template":"small"}`) },
		"cluster.approved credential.issued cluster.created cluster.state_changed:RUNNING")
	id := scimUserID(t, base, scimToken, "bob@example.com")
	recs = step(4, "bob leaves", func() {
		scimPatch(t, base+"/scim/v2/Users/"+id, scimToken, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
	}, "identity.user.deactivated access.revoked cluster.state_changed:DELETING cluster.deleted:leaver")
	var rev events.Revocation
	json.Unmarshal(recs[1].Data, &rev)
	if len(rev.Actions) == 0 || rev.Actions[len(rev.Actions)-1].Kind != events.ActionDeleteCluster {
		t.Errorf("bob's access.revoked: %+v, want his cluster deleted", rev.Actions)
	}
}
