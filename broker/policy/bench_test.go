package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchPolicy generates a policy of n roles, each bound to two groups, with
// a deny rule per ten roles. Role i allows project proj-i.
func benchPolicy(tb testing.TB, n int) *Policy {
	tb.Helper()
	p, err := Parse("bench.yaml", []byte(benchSource(n)))
	if err != nil {
		tb.Fatalf("Parse(bench) = %v", err)
	}
	return p
}

func benchSource(n int) string {
	var b strings.Builder
	b.WriteString("roles:\n")
	for i := range n {
		fmt.Fprintf(&b, `  role-%d:
    service_account: sa-%d@data-prod.iam.gserviceaccount.com
    targets:
      - {project: "proj-%d", region: "europe-*", cluster: "etl-*"}
      - {project: "proj-%d-*", region: "europe-west1", serverless: true}
    job_types: [spark, pyspark]
    data_locations: [gs://bucket-%d/raw/, gs://bucket-%d/curated/, gs://artifacts/jobs/]
    max_duration: 4h
    principal_types: [human, workload]
    condition: principal.type == "human" || request.target.project.startsWith("proj-")
`, i, i, i, i, i, i)
	}
	b.WriteString("bindings:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {group: team-%d, role: role-%d}\n  - {user: owner-%d@example.com, role: role-%d}\n", i, i, i, i)
	}
	b.WriteString("deny:\n")
	for i := 0; i < n; i += 10 {
		fmt.Fprintf(&b, "  - {name: d%d, groups: [contractors-%d], roles: [role-%d]}\n", i, i, i)
	}
	return b.String()
}

// benchRequest is a request of a principal in three teams whose last role
// (the one that matches the target) is the last role of the policy.
func benchRequest(n int) Request {
	last := n - 1
	return Request{
		Principal: Principal{ID: "dana@example.com", Email: "dana@example.com", Type: TypeHuman, Issuer: "https://idp.example.com",
			Groups: []string{"all-staff", "team-0", fmt.Sprintf("team-%d", n/2), fmt.Sprintf("team-%d", last)}},
		Target: Target{Project: fmt.Sprintf("proj-%d", last), Region: "europe-west1", Cluster: "etl-nightly"},
		Job: Job{
			Type:       JobSpark,
			MainClass:  "com.example.Etl",
			JarURIs:    []string{"gs://artifacts/jobs/etl.jar"},
			Inputs:     []string{fmt.Sprintf("gs://bucket-%d/raw/2026/03/", last)},
			Outputs:    []string{fmt.Sprintf("gs://bucket-%d/curated/sales/", last)},
			Properties: map[string]string{"spark.executor.memory": "4g"},
		},
		Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}
}

// benchApprovals adds, to a policy of n roles, approval rules that do not
// match benchRequest(n): a role rule on every tenth role (never the last)
// and a top-level rule per ten roles naming one of them; with anyRole,
// also three top-level rules for any role whose selectors (groups, a
// principal, workloads) the requester does not match.
func benchApprovals(tb testing.TB, n int, anyRole bool) *Policy {
	tb.Helper()
	src := benchSource(n)
	for i := 0; i < n-1; i += 10 {
		src = strings.Replace(src, fmt.Sprintf("    max_duration: 4h\n    principal_types: [human, workload]\n    condition: principal.type == \"human\" || request.target.project.startsWith(\"proj-\")\n  role-%d:", i+1),
			fmt.Sprintf("    max_duration: 4h\n    principal_types: [human, workload]\n    condition: principal.type == \"human\" || request.target.project.startsWith(\"proj-\")\n    approval: {approvers: [owners-%d], count: 2}\n  role-%d:", i, i+1), 1)
	}
	var b strings.Builder
	b.WriteString(src + "approvals:\n")
	for i := 0; i < n-1; i += 10 {
		fmt.Fprintf(&b, "  - {name: big-%d, roles: [role-%d], condition: 'size(request.job.args) > 10', approvers: [oncall]}\n", i, i)
	}
	want := 2 * ((n + 8) / 10)
	if anyRole {
		b.WriteString("  - {name: finance, groups: [finance, finance-ops], approvers: [controllers]}\n")
		b.WriteString("  - {name: vip, principals: [ceo@example.com], approvers: [board]}\n")
		b.WriteString("  - {name: bots, principal_types: [workload], condition: 'request.time.getHours(\"Europe/Paris\") >= 20', approvers: [oncall]}\n")
		want += 3
	}
	p, err := Parse("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatalf("Parse(bench with approvals) = %v", err)
	}
	if len(p.Approvals()) != want {
		tb.Fatalf("bench policy has %d approval rules, want %d", len(p.Approvals()), want)
	}
	return p
}

// BenchmarkEvaluate decides a request allowed by the last role, with no
// approval rules, with rules for other roles only (which the role index
// skips: they must cost nothing), and with three rules for any role whose
// selectors are checked against the requester as well (a routine request
// does not wait on approvals).
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{5, 200} {
		for _, rules := range []string{"none", "other_roles", "any_role"} {
			b.Run(fmt.Sprintf("roles=%d/approvals=%s", n, rules), func(b *testing.B) {
				p := benchPolicy(b, n)
				if rules != "none" {
					p = benchApprovals(b, n, rules == "any_role")
				}
				req := benchRequest(n)
				if d := p.Evaluate(req); !d.Allowed || d.Role != fmt.Sprintf("role-%d", n-1) || d.Approval != nil {
					b.Fatalf("Evaluate() = %+v, want allowed by the last role", d)
				}
				b.ReportAllocs()
				for b.Loop() {
					p.Evaluate(req)
				}
			})
		}
	}
}

func TestBenchPolicyShape(t *testing.T) {
	p := benchPolicy(t, 20)
	d := p.Evaluate(benchRequest(20))
	var codes []string
	for _, r := range d.Reasons {
		codes = append(codes, r.Role+":"+r.Code)
	}
	want := "role-0:target_not_allowed role-10:target_not_allowed role-19:allowed"
	if got := strings.Join(codes, " "); got != want {
		t.Errorf("Evaluate(bench 20) reasons = %q, want %q", got, want)
	}
}
