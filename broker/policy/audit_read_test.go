package policy

import (
	"testing"
	"time"
)

const auditPolicy = `
version: 1
roles:
  etl:
    service_account: etl@p.iam.gserviceaccount.com
    targets: [{project: p, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://code/]
  auditor:
    description: reads the audit trail, runs nothing
    may_read_audit: true
  oncall:
    service_account: oncall@p.iam.gserviceaccount.com
    targets: [{project: p, region: "*", serverless: true}]
    job_types: [spark]
    data_locations: [gs://data/]
    may_read_audit: true
    principal_types: [human]
bindings:
  - {group: data-eng, role: etl}
  - {group: compliance, role: auditor}
  - {group: oncall, role: oncall}
  - {user: mallory@example.com, role: auditor}
deny:
  - name: mallory-left
    principals: [mallory@example.com]
    message: under investigation
`

func TestMayReadAudit(t *testing.T) {
	p, err := Parse("audit.yaml", []byte(auditPolicy))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name     string
		pr       Principal
		wantRole string
	}{
		{"audit-only role", Principal{ID: "ann@example.com", Type: TypeHuman, Groups: []string{"compliance"}}, "auditor"},
		{"job role with the capability", Principal{ID: "carol@example.com", Type: TypeHuman, Groups: []string{"oncall"}}, "oncall"},
		{"principal type refused", Principal{ID: "bot@example.com", Type: TypeWorkload, Groups: []string{"oncall"}}, ""},
		{"job role without it", Principal{ID: "alice@example.com", Type: TypeHuman, Groups: []string{"data-eng"}}, ""},
		{"no role", Principal{ID: "eve@example.com", Type: TypeHuman}, ""},
		{"denied by a rule", Principal{ID: "mallory@example.com", Type: TypeHuman}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role, ok := p.MayReadAudit(tt.pr, now)
			if role != tt.wantRole || ok != (tt.wantRole != "") {
				t.Errorf("MayReadAudit(%s) = %q, %v; want %q", tt.pr.ID, role, ok, tt.wantRole)
			}
		})
	}
	// An audit-only role approves no job: it allows no target.
	d := p.Evaluate(Request{Role: "auditor", Principal: Principal{ID: "ann@example.com", Type: TypeHuman, Groups: []string{"compliance"}},
		Target: Target{Project: "p", Region: "europe-west1"}, Job: Job{Type: "pyspark", MainPythonURI: "gs://code/x.py"}})
	if d.Allowed || d.ServiceAccount != "" {
		t.Errorf("Evaluate(auditor's job) = allowed %v, service account %q; want denied", d.Allowed, d.ServiceAccount)
	}
	// A role with may_read_audit and some job fields still needs them all.
	if _, err := Parse("bad.yaml", []byte("version: 1\nroles:\n  half:\n    may_read_audit: true\n    job_types: [spark]\n")); err == nil {
		t.Error("Parse(a half job role) = nil error, want missing fields")
	}
}
