package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// paris10 is 10:00 in Paris (analyst hours).
var paris10 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func examplePolicy(t testing.TB) *Policy {
	t.Helper()
	p, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatalf("Load(testdata/example.yaml) = %v", err)
	}
	return p
}

func human(id string, groups ...string) Principal {
	return Principal{ID: id, Email: id, Type: TypeHuman, Issuer: "https://idp.example.com", Groups: groups}
}

var (
	alice   = human("alice@example.com")
	dana    = human("dana@example.com", "data-eng")
	carl    = human("carl@example.com", "data-eng", "contractors")
	bob     = human("bob@example.com", "analysts")
	nobody  = human("nobody@example.com", "marketing")
	airflow = Principal{ID: "airflow@data-prod.iam.gserviceaccount.com", Email: "airflow@data-prod.iam.gserviceaccount.com", Type: TypeWorkload}
)

// etlJob is a request the etl role allows.
func etlJob(p Principal) Request {
	return Request{
		Principal: p,
		Target:    Target{Project: "data-prod", Region: "europe-west1", Cluster: "etl-nightly"},
		Job: Job{
			Type:       JobSpark,
			MainClass:  "com.example.Etl",
			JarURIs:    []string{"gs://data-artifacts/jobs/etl.jar"},
			Inputs:     []string{"gs://data-prod/raw/2026/03/"},
			Outputs:    []string{"gs://data-prod/curated/sales/"},
			Properties: map[string]string{"spark.executor.memory": "4g"},
		},
		Time: paris10,
	}
}

// outcome is the part of a Decision the table compares.
type outcome struct {
	Allowed        bool
	Role, Binding  string
	ServiceAccount string
	MaxDuration    time.Duration
	Credential     time.Duration
	Codes          []string // "role:code" per reason
}

func outcomeOf(d Decision) outcome {
	o := outcome{Allowed: d.Allowed, Role: d.Role, Binding: d.Binding, ServiceAccount: d.ServiceAccount, MaxDuration: d.MaxDuration, Credential: d.CredentialLifetime}
	for _, r := range d.Reasons {
		o.Codes = append(o.Codes, r.Role+":"+r.Code)
	}
	return o
}

func with(r Request, f func(*Request)) Request { f(&r); return r }

func TestEvaluate(t *testing.T) {
	p := examplePolicy(t)
	etlOK := outcome{Allowed: true, Role: "etl", Binding: "group:data-eng", ServiceAccount: "etl-runner@data-prod.iam.gserviceaccount.com",
		MaxDuration: 4 * time.Hour, Credential: 30 * time.Minute, Codes: []string{"etl:allowed"}}
	denyETL := func(codes ...string) outcome { return outcome{Codes: codes} }
	analyst := Request{
		Principal:     bob,
		Target:        Target{Project: "data-prod", Region: "europe-west1"},
		Job:           Job{Type: JobSparkSQL, QueryURI: "gs://data-prod/curated/report.sql", Outputs: []string{"gs://data-scratch/bob/out"}},
		Justification: "INC-42 quarterly report",
		Time:          paris10,
	}
	bot := Request{
		Principal: airflow,
		Target:    Target{Project: "data-prod", Region: "europe-west1"},
		Job:       Job{Type: JobPySpark, MainPythonURI: "gs://data-artifacts/bots/score.py", Inputs: []string{"gs://data-prod/curated/x"}},
		Time:      paris10,
	}
	tests := []struct {
		name string
		req  Request
		want outcome
	}{
		{"group binding allows", etlJob(dana), etlOK},
		{"user binding, any-target role", with(etlJob(alice), func(r *Request) { r.Justification = "INC-7"; r.Job.JarURIs = []string{"gs://data-prod/tools/x.jar"} }),
			outcome{Allowed: true, Role: "oncall", Binding: "user:alice@example.com", ServiceAccount: "oncall@data-prod.iam.gserviceaccount.com", MaxDuration: 2 * time.Hour, Credential: 15 * time.Minute, Codes: []string{"oncall:allowed"}}},
		{"user binding matches case-insensitively", with(etlJob(human("Alice@Example.COM")), func(r *Request) { r.Justification = "x"; r.Job.JarURIs = nil }),
			outcome{Allowed: true, Role: "oncall", Binding: "user:alice@example.com", ServiceAccount: "oncall@data-prod.iam.gserviceaccount.com", MaxDuration: 2 * time.Hour, Credential: 15 * time.Minute, Codes: []string{"oncall:allowed"}}},
		{"no binding is default deny", etlJob(nobody), denyETL(":no_binding")},
		{"requested role not bound", with(etlJob(dana), func(r *Request) { r.Role = "oncall" }), denyETL("oncall:role_not_bound")},
		{"requested unknown role", with(etlJob(dana), func(r *Request) { r.Role = "root" }), denyETL("root:role_not_bound")},
		{"requested bound role", with(etlJob(dana), func(r *Request) { r.Role = "etl" }), etlOK},
		{"deny rule wins over binding", etlJob(carl), denyETL("etl:denied_by_rule")},
		{"deny rule with condition covers every role", with(etlJob(alice), func(r *Request) { r.Target.Project = "data-frozen"; r.Justification = "x" }), denyETL(":denied_by_rule")},
		{"cluster pattern", with(etlJob(dana), func(r *Request) { r.Target.Cluster = "etl-adhoc-7" }), etlOK},
		{"cluster outside pattern", with(etlJob(dana), func(r *Request) { r.Target.Cluster = "adhoc" }), denyETL("etl:target_not_allowed")},
		{"target case folded", with(etlJob(dana), func(r *Request) { r.Target = Target{"DATA-PROD", "Europe-West1", "ETL-X"} }), etlOK},
		{"serverless via wildcard target", with(etlJob(dana), func(r *Request) { r.Target = Target{Project: "data-dev", Region: "europe-north1"} }), etlOK},
		{"serverless not allowed in region", with(etlJob(dana), func(r *Request) { r.Target = Target{Project: "data-dev", Region: "us-central1"} }), denyETL("etl:target_not_allowed")},
		{"project pattern is anchored", with(etlJob(dana), func(r *Request) { r.Target = Target{Project: "xdata-dev", Region: "europe-west1"} }), denyETL("etl:target_not_allowed")},
		{"job type", with(etlJob(dana), func(r *Request) { r.Job.Type = JobSparkSQL }), denyETL("etl:job_type_not_allowed")},
		{"traversal out of prefix", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"gs://data-prod/raw/../secret/pii"} }), denyETL("etl:data_location_not_allowed")},
		{"traversal into prefix", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"gs://data-prod/secret/../raw/x"} }), denyETL("etl:data_location_not_allowed")},
		{"harmless dot segment", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"gs://data-prod/raw/./2026/"} }), etlOK},
		{"double slash", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"gs://data-prod//raw/x"} }), denyETL("etl:data_location_not_allowed")},
		{"bucket boundary", with(etlJob(dana), func(r *Request) { r.Job.Outputs = []string{"gs://data-production/raw/x"} }), denyETL("etl:data_location_not_allowed")},
		{"segment boundary", with(etlJob(dana), func(r *Request) { r.Job.Outputs = []string{"gs://data-prod/rawdata/x"} }), denyETL("etl:data_location_not_allowed")},
		{"scheme and bucket case folded", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"GS://Data-Prod/raw/x"} }), etlOK},
		{"object case is significant", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"gs://data-prod/RAW/x"} }), denyETL("etl:data_location_not_allowed")},
		{"encoded traversal", with(etlJob(dana), func(r *Request) { r.Job.Inputs = []string{"gs://data-prod/raw/%2E%2E/secret"} }), denyETL("etl:data_location_invalid")},
		{"not gs", with(etlJob(dana), func(r *Request) { r.Job.JarURIs = []string{"https://evil.example/x.jar"} }), denyETL("etl:data_location_not_allowed")},
		{"empty uri in list", with(etlJob(dana), func(r *Request) { r.Job.FileURIs = []string{""} }), denyETL("etl:data_location_not_allowed")},
		{"jar smuggled in properties", with(etlJob(dana), func(r *Request) {
			r.Job.Properties = map[string]string{"spark.jars": "gs://data-artifacts/jobs/a.jar, gs://evil/x.jar"}
		}), denyETL("etl:data_location_not_allowed")},
		{"property key case and spaces", with(etlJob(dana), func(r *Request) { r.Job.Properties = map[string]string{" Spark.Jars": "gs://evil/x.jar"} }), denyETL("etl:data_location_not_allowed")},
		{"archive alias", with(etlJob(dana), func(r *Request) {
			r.Job.Properties = map[string]string{"spark.archives": "gs://data-artifacts/jobs/env.tgz#env"}
		}), etlOK},
		{"maven packages", with(etlJob(dana), func(r *Request) { r.Job.Properties = map[string]string{"spark.jars.packages": "org.evil:x:1.0"} }), denyETL("etl:property_not_allowed")},
		{"duration within cap", with(etlJob(dana), func(r *Request) { r.MaxDuration = 10 * time.Minute }),
			outcome{Allowed: true, Role: "etl", Binding: "group:data-eng", ServiceAccount: etlOK.ServiceAccount, MaxDuration: 10 * time.Minute, Credential: 10 * time.Minute, Codes: []string{"etl:allowed"}}},
		{"duration over cap", with(etlJob(dana), func(r *Request) { r.MaxDuration = 5 * time.Hour }), denyETL("etl:max_duration_exceeded")},
		{"negative duration", with(etlJob(dana), func(r *Request) { r.MaxDuration = -time.Hour }), denyETL("etl:max_duration_exceeded")},
		{"analyst in hours", analyst, outcome{Allowed: true, Role: "analyst", Binding: "group:analysts", ServiceAccount: "analyst@data-prod.iam.gserviceaccount.com", MaxDuration: time.Hour, Credential: 15 * time.Minute, Codes: []string{"analyst:allowed"}}},
		{"cel time condition", with(analyst, func(r *Request) { r.Time = time.Date(2026, 3, 2, 20, 30, 0, 0, time.UTC) }), denyETL("analyst:condition_false")},
		{"justification required", with(analyst, func(r *Request) { r.Justification = "  " }), denyETL("analyst:justification_required")},
		{"first failed check is reported", with(analyst, func(r *Request) { r.Justification = ""; r.Job.Type = JobSpark; r.Target.Cluster = "c" }),
			denyETL("analyst:target_not_allowed")},
		{"principal type", with(analyst, func(r *Request) { r.Principal.Type = TypeWorkload }), denyETL("analyst:principal_type_not_allowed")},
		{"first passing role in file order", bot, outcome{Allowed: true, Role: "bot", Binding: "user:airflow@data-prod.iam.gserviceaccount.com", ServiceAccount: "bot-runner@data-prod.iam.gserviceaccount.com",
			MaxDuration: 30 * time.Minute, Credential: 10 * time.Minute, Codes: []string{"etl:data_location_not_allowed", "bot:allowed"}}},
		{"cel principal condition", with(bot, func(r *Request) { r.Principal.Email = "airflow@example.com" }), denyETL("etl:data_location_not_allowed", "bot:condition_false")},
		{"human cannot use workload role", with(bot, func(r *Request) { r.Principal.Type = TypeHuman }), denyETL("etl:data_location_not_allowed", "bot:principal_type_not_allowed")},
		{"missing principal id", with(etlJob(dana), func(r *Request) { r.Principal.ID = "" }), denyETL(":principal_invalid")},
		{"unknown principal type", with(etlJob(dana), func(r *Request) { r.Principal.Type = "robot" }), denyETL(":principal_invalid")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Evaluate(tt.req)
			if diff := cmp.Diff(tt.want, outcomeOf(d)); diff != "" {
				t.Errorf("Evaluate() mismatch (-want +got):\n%s\nreasons: %+v", diff, d.Reasons)
			}
			if d.Version != p.Version() || !strings.HasPrefix(d.Version, "sha256:") {
				t.Errorf("Evaluate().Version = %q, want %q", d.Version, p.Version())
			}
		})
	}
}

func TestEvaluateCostLimit(t *testing.T) {
	p, err := Parse("cost.yaml", []byte(`
roles:
  r:
    service_account: r@p.iam.gserviceaccount.com
    targets: [{project: p, region: r, serverless: true}]
    job_types: [spark]
    data_locations: [gs://bkt]
    condition: principal.groups.all(g, principal.groups.all(h, principal.groups.all(i, g != "x")))
bindings:
  - {group: g, role: r}
deny:
  - condition: principal.groups.exists(g, principal.groups.exists(h, principal.groups.exists(i, g == "never")))
    roles: [r]
`))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	groups := []string{"g"}
	for i := range 200 {
		groups = append(groups, fmt.Sprintf("g%d", i))
	}
	d := p.Evaluate(Request{Principal: human("a@example.com", groups...), Target: Target{Project: "p", Region: "r"}, Job: Job{Type: JobSpark}})
	want := []string{"r:denied_by_rule"} // the deny condition ran out of budget: fail closed
	if diff := cmp.Diff(want, outcomeOf(d).Codes); diff != "" {
		t.Errorf("Evaluate() codes mismatch (-want +got):\n%s", diff)
	}
	p, err = Parse("cost.yaml", []byte(`
roles:
  r:
    service_account: r@p.iam.gserviceaccount.com
    targets: [{project: p, region: r, serverless: true}]
    job_types: [spark]
    data_locations: [gs://bkt]
    condition: principal.groups.all(g, principal.groups.all(h, principal.groups.all(i, g != "x")))
bindings:
  - {group: g, role: r}
`))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	d = p.Evaluate(Request{Principal: human("a@example.com", groups...), Target: Target{Project: "p", Region: "r"}, Job: Job{Type: JobSpark}})
	if diff := cmp.Diff([]string{"r:condition_error"}, outcomeOf(d).Codes); diff != "" {
		t.Errorf("Evaluate() codes mismatch (-want +got):\n%s", diff)
	}
}

func TestEvaluateCancel(t *testing.T) {
	p := examplePolicy(t)
	target := Target{Project: "data-prod", Region: "europe-west1", Cluster: "etl-1"}
	tests := []struct {
		name string
		req  CancelRequest
		want outcome
	}{
		{"owner", CancelRequest{Principal: dana, Owner: "DANA@example.com", Target: target}, outcome{Allowed: true, Codes: []string{":cancel_owner"}}},
		{"owner renamed since: the user id decides", CancelRequest{Principal: human("dana.new@example.com", "data-eng"), UserID: "u-4",
			Owner: "dana@example.com", OwnerUserID: "u-4", Target: target}, outcome{Allowed: true, Codes: []string{":cancel_owner"}}},
		{"another user with the owner's old name", CancelRequest{Principal: dana, UserID: "u-9",
			Owner: "dana@example.com", OwnerUserID: "u-4", Target: target}, outcome{Codes: []string{":cancel_not_allowed"}}},
		{"role may cancel others", CancelRequest{Principal: alice, Owner: "dana@example.com", Target: target, Justification: "INC-42: runaway job"},
			outcome{Allowed: true, Role: "oncall", Binding: "user:alice@example.com", Codes: []string{"oncall:cancel_by_role"}}},
		{"role needs a justification", CancelRequest{Principal: alice, Owner: "dana@example.com", Target: target, Justification: "  "},
			outcome{Codes: []string{"oncall:justification_required", ":cancel_not_allowed"}}},
		{"other principal", CancelRequest{Principal: bob, Owner: "dana@example.com", Target: target}, outcome{Codes: []string{":cancel_not_allowed"}}},
		{"deny rule", CancelRequest{Principal: alice, Owner: "dana@example.com", Target: Target{Project: "data-frozen", Region: "x"}}, outcome{Codes: []string{":denied_by_rule"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, outcomeOf(p.EvaluateCancel(tt.req))); diff != "" {
				t.Errorf("EvaluateCancel(%+v) mismatch (-want +got):\n%s", tt.req, diff)
			}
		})
	}
}

// TestEvaluateCancelCondition: a role's CEL condition holds for cancels
// of others' jobs too (here: only during working hours).
func TestEvaluateCancelCondition(t *testing.T) {
	p, err := Parse("cancel.yaml", []byte(`
version: 1
roles:
  oncall:
    service_account: oncall@p.iam.gserviceaccount.com
    targets: [{project: "*", region: "*", serverless: true}]
    job_types: [spark]
    data_locations: [gs://data-bucket/]
    may_cancel_others: true
    condition: request.time.getHours("UTC") >= 8 && request.time.getHours("UTC") < 18
bindings:
  - {group: oncall, role: oncall}
`))
	if err != nil {
		t.Fatal(err)
	}
	req := CancelRequest{Principal: human("carol@example.com", "oncall"), Owner: "dana@example.com", Target: Target{Project: "p", Region: "r"}}
	for _, tt := range []struct {
		hour int
		want outcome
	}{
		{10, outcome{Allowed: true, Role: "oncall", Binding: "group:oncall", Codes: []string{"oncall:cancel_by_role"}}},
		{23, outcome{Codes: []string{"oncall:condition_false", ":cancel_not_allowed"}}},
	} {
		req.Time = time.Date(2026, 3, 2, tt.hour, 0, 0, 0, time.UTC)
		if diff := cmp.Diff(tt.want, outcomeOf(p.EvaluateCancel(req))); diff != "" {
			t.Errorf("EvaluateCancel(at %02d:00) mismatch (-want +got):\n%s", tt.hour, diff)
		}
	}
}

func TestExplain(t *testing.T) {
	p := examplePolicy(t)
	req := Request{
		Principal:   airflow,
		Target:      Target{Project: "data-prod", Region: "us-east1", Cluster: "c"},
		Job:         Job{Type: JobSparkSQL, Inputs: []string{"gs://xyz/a", "gs://data-prod/raw/%2e%2e/b"}, Properties: map[string]string{"spark.jars.packages": "a:b:1"}},
		MaxDuration: 5 * time.Hour,
	}
	want := []string{
		"etl:target_not_allowed", "etl:job_type_not_allowed", "etl:data_location_invalid", "etl:data_location_not_allowed", "etl:property_not_allowed", "etl:max_duration_exceeded",
		"bot:target_not_allowed", "bot:job_type_not_allowed", "bot:data_location_invalid", "bot:data_location_not_allowed", "bot:property_not_allowed", "bot:max_duration_exceeded",
	}
	explained := p.Explain(req)
	if diff := cmp.Diff(want, outcomeOf(explained).Codes); diff != "" {
		t.Errorf("Explain() codes mismatch (-want +got):\n%s", diff)
	}
	evaluated := p.Evaluate(req)
	if diff := cmp.Diff([]string{"etl:target_not_allowed", "bot:target_not_allowed"}, outcomeOf(evaluated).Codes); diff != "" {
		t.Errorf("Evaluate() codes mismatch (-want +got):\n%s", diff)
	}
	if explained.Allowed != evaluated.Allowed {
		t.Errorf("Explain().Allowed = %v, Evaluate().Allowed = %v, want equal", explained.Allowed, evaluated.Allowed)
	}
}
