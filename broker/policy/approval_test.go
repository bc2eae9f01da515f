package policy

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func approvalsPolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := Load("testdata/approvals.yaml")
	if err != nil {
		t.Fatalf("Load(testdata/approvals.yaml) = %v", err)
	}
	return p
}

// serverless is a request for role of a pyspark batch in data-prod.
func serverless(p Principal, role string, props map[string]string) Request {
	out := "gs://data-prod/raw/out/"
	if role == "curated-writer" {
		out = "gs://data-prod/curated/sales/"
	}
	return Request{
		Principal: p, Role: role,
		Target: Target{Project: "data-prod", Region: "europe-west1"},
		Job: Job{Type: JobPySpark, MainPythonURI: "gs://data-artifacts/jobs/etl.py", Outputs: []string{out},
			Properties: props},
		Time: paris10,
	}
}

func TestApprovalRules(t *testing.T) {
	p := approvalsPolicy(t)
	owners := ApprovalRequirement{Rule: "role:curated-writer", Approvers: []string{"data-owners"}, Count: 2,
		Reason: "writes the curated tables finance reads"}
	large := ApprovalRequirement{Rule: "large-jobs", Approvers: []string{"oncall"}, Count: 1, Reason: "more than 50 executors"}
	bots := ApprovalRequirement{Rule: "bots-after-hours", Approvers: []string{"oncall"}, Count: 1, Reason: "a workload outside working hours"}
	leads := ApprovalRequirement{Rule: "role:backfill", Approvers: []string{"data-leads"}, Count: 1}
	many := map[string]string{"spark.executor.instances": "100"}
	night := paris10.Add(12 * time.Hour) // 22:00 in Paris
	tests := []struct {
		name string
		req  Request
		want *Approval // nil: allowed at once
	}{
		{"a routine job runs at once", serverless(dana, "etl", nil), nil},
		{"50 executors is not large", serverless(dana, "etl", map[string]string{"spark.executor.instances": "50"}), nil},
		{"a large job waits for on call", serverless(dana, "etl", many),
			&Approval{Requirements: []ApprovalRequirement{large}, ExpiresAfter: time.Hour}},
		{"the role's own rule", serverless(dana, "curated-writer", nil),
			&Approval{Requirements: []ApprovalRequirement{owners}, ExpiresAfter: 4 * time.Hour}},
		{"both rules, the shorter expiry", serverless(dana, "curated-writer", many),
			&Approval{Requirements: []ApprovalRequirement{owners, large}, ExpiresAfter: time.Hour}},
		{"a bot in working hours", serverless(airflow, "etl", nil), nil},
		{"a bot at night", at(serverless(airflow, "etl", nil), night),
			&Approval{Requirements: []ApprovalRequirement{bots}, ExpiresAfter: 30 * time.Minute}},
		{"a person at night", at(serverless(dana, "etl", nil), night), nil},
		{"a short backfill", withDuration(serverless(dana, "backfill", nil), time.Hour), nil},
		{"a long backfill, covered for a window", withDuration(serverless(dana, "backfill", nil), 2*time.Hour),
			&Approval{Requirements: []ApprovalRequirement{leads}, ExpiresAfter: DefaultApprovalExpiry, Window: 8 * time.Hour}},
		{"a condition that fails to evaluate requires approval", serverless(dana, "etl", map[string]string{"spark.executor.instances": "lots"}),
			&Approval{Requirements: []ApprovalRequirement{large}, ExpiresAfter: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, eval := range map[string]func(Request) Decision{"Evaluate": p.Evaluate, "Explain": p.Explain} {
				d := eval(tt.req)
				if diff := cmp.Diff(tt.want, d.Approval); diff != "" {
					t.Errorf("%s(%s).Approval (-want +got):\n%s", name, tt.name, diff)
				}
				last := d.Reasons[len(d.Reasons)-1]
				switch {
				case tt.want == nil && (!d.Allowed || last.Code != CodeAllowed):
					t.Errorf("%s = %+v, want allowed", name, d.Reasons)
				case tt.want != nil && (d.Allowed || last.Code != CodeApprovalRequired || d.Role != tt.req.Role || d.ServiceAccount == "" || d.Binding == ""):
					// Not allowed yet, but it says by which role once approved.
					t.Errorf("%s = allowed %v, role %q, sa %q, reasons %+v; want approval_required for role %s", name, d.Allowed, d.Role, d.ServiceAccount, d.Reasons, tt.req.Role)
				}
			}
		})
	}
}

func at(r Request, t time.Time) Request { r.Time = t; return r }

func withDuration(r Request, d time.Duration) Request { r.MaxDuration = d; return r }

// TestApprovalNeverOverridesADenial: approval rules apply only to what a
// role allows; a deny rule or a failed check still denies.
func TestApprovalNeverOverridesADenial(t *testing.T) {
	p, err := Parse("p.yaml", []byte(strings.Replace(readText(t, "testdata/approvals.yaml"), "approvals:\n", `deny:
  - name: freeze
    roles: [curated-writer]
approvals:
`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	d := p.Evaluate(serverless(dana, "curated-writer", nil))
	if d.Allowed || d.Approval != nil || d.Reasons[0].Code != CodeDenied {
		t.Errorf("Evaluate(frozen role) = %+v, approval %+v; want denied_by_rule and no approval", d.Reasons, d.Approval)
	}
	bad := serverless(dana, "curated-writer", nil)
	bad.Job.Outputs = []string{"gs://elsewhere/x"}
	if d := p.Evaluate(bad); d.Approval != nil || d.Allowed {
		t.Errorf("Evaluate(outside the data locations) = %+v, approval %+v; want denied", d.Reasons, d.Approval)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApprovalParseErrors(t *testing.T) {
	role := `roles:
  r:
    service_account: r@p-1234.iam.gserviceaccount.com
    targets: [{project: p, region: r, serverless: true}]
    job_types: [spark]
    data_locations: [gs://b]
`
	tests := []struct{ name, yaml, want string }{
		{"role rule without approvers", role + "    approval: {count: 2}\n", `role "r": approval: approvers (the groups that may approve) is required`},
		{"empty approvers", role + "    approval: {approvers: []}\n", "approvers: must not be empty"},
		{"count zero", role + "    approval: {approvers: [g], count: 0}\n", "count: 0 is outside 1-16"},
		{"count too high", role + "    approval: {approvers: [g], count: 17}\n", "count: 17 is outside 1-16"},
		{"count as a word", role + "    approval: {approvers: [g], count: two}\n", `count: expected a whole number, got "two"`},
		{"expiry too long", role + "    approval: {approvers: [g], expires_after: 200h}\n", "expires_after: 200h0m0s exceeds the maximum of 168h0m0s"},
		{"bad window", role + "    approval: {approvers: [g], window: soon}\n", `window: bad duration "soon"`},
		{"unknown field", role + "    approval: {approvers: [g], self_approval: true}\n", `unknown field "self_approval"`},
		{"bad condition", role + "    approval: {approvers: [g], condition: request.nope}\n", "undefined field 'nope'"},
		{"top-level without a name", role + "approvals:\n  - {approvers: [g]}\n", "name is required"},
		{"duplicate names", role + "approvals:\n  - {name: a, approvers: [g]}\n  - {name: a, approvers: [h]}\n", `"a" is already the name of the rule at line`},
		{"bad name", role + "approvals:\n  - {name: Big Jobs, approvers: [g]}\n", `"Big Jobs": names are`},
		{"unknown role", role + "approvals:\n  - {name: a, roles: [x], approvers: [g]}\n", `unknown role "x"`},
		{"empty selector", role + "approvals:\n  - {name: a, groups: [], approvers: [g]}\n", "must not be empty (omit the field to match any)"},
		{"not a list", role + "approvals: {name: a}\n", "approvals: expected a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.name, err, tt.want)
			}
		})
	}
}

// TestDocsApprovals keeps docs/policy.md's approval example the file the
// tests above evaluate.
func TestDocsApprovals(t *testing.T) {
	doc := readText(t, "../../docs/policy.md")
	_, section, ok := strings.Cut(doc, "\n## Approvals\n")
	if !ok {
		t.Fatal("docs/policy.md has no Approvals section")
	}
	blocks := codeBlocks(section)
	if len(blocks["yaml"]) == 0 || blocks["yaml"][0] != readText(t, "testdata/approvals.yaml") {
		t.Error("the first yaml block of docs/policy.md's Approvals section is not testdata/approvals.yaml")
	}
	if got := approvalsPolicy(t).Approvals(); !cmp.Equal(got, []string{"role:curated-writer", "role:backfill", "large-jobs", "bots-after-hours"}) {
		t.Errorf("Approvals() = %v", got)
	}
}
