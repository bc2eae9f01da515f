package policy

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/events"
)

func clusterPolicy(t testing.TB) *Policy {
	t.Helper()
	data, err := os.ReadFile("testdata/clusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("clusters.yaml", data)
	if err != nil {
		t.Fatalf("Parse(testdata/clusters.yaml) = %v", err)
	}
	return p
}

var scientist = Principal{ID: "ada@example.com", Email: "ada@example.com", Type: TypeHuman, Groups: []string{"data-scientists"}}

func ptr[T any](v T) *T { return &v }

func TestEvaluateClusterAllowed(t *testing.T) {
	p := clusterPolicy(t)
	at := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
	d := p.EvaluateCluster(ClusterRequest{Principal: scientist, Template: "small", Region: "europe-west4",
		Config: events.ClusterConfig{Workers: &events.NodeGroup{Count: ptr(4)}, IdleDeleteTTL: "45m"}, Time: at})
	if !d.Allowed {
		t.Fatalf("EvaluateCluster(small) = denied: %+v", d.Reasons)
	}
	s := d.Spec
	if d.Role != "explorer" || d.Binding != "group:data-scientists" || d.Template != "small" || d.ServiceAccount != "explorer@data-prod.iam.gserviceaccount.com" {
		t.Errorf("decision = %s %s %s %s", d.Role, d.Binding, d.Template, d.ServiceAccount)
	}
	if s.Region != "europe-west4" || s.Workers.Count != 4 || s.Workers.MachineType != "n2-standard-4" || s.IdleDeleteTTL != 45*time.Minute ||
		s.AutoDeleteTTL != 4*time.Hour || !s.InternalIPOnly || s.ServiceAccount != d.ServiceAccount || !s.ComponentGateway {
		t.Errorf("spec = %+v", s)
	}
	// The compiled template is not changed by the request.
	if tpl, _ := p.Template("explorer", "small"); tpl.Workers.Count != 2 || tpl.IdleDeleteTTL != 30*time.Minute {
		t.Errorf("template changed: %+v", tpl)
	}
}

// TestEvaluateClusterBadInput: every refusal names its code, the field at
// fault and the cap it broke.
func TestEvaluateClusterBadInput(t *testing.T) {
	p := clusterPolicy(t)
	base := func(f func(*ClusterRequest)) ClusterRequest {
		r := ClusterRequest{Principal: scientist, Template: "small", Time: time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)}
		f(&r)
		return r
	}
	cases := []struct {
		name             string
		req              ClusterRequest
		code, field, cap string
	}{
		{"template not allowed", base(func(r *ClusterRequest) { r.Template = "huge" }), CodeClusterTemplate, "template", "templates: small, gpu"},
		{"missing TTL", base(func(r *ClusterRequest) { r.Template = "gpu"; r.Config.IdleDeleteTTL = "1h" }), CodeClusterTTLMissing, "config.auto_delete_ttl", "max_auto_delete_ttl: 12h0m0s (mandatory)"},
		{"TTL over the cap", base(func(r *ClusterRequest) { r.Config.AutoDeleteTTL = "24h" }), CodeClusterTTLExceeded, "config.auto_delete_ttl", "max_auto_delete_ttl: 12h0m0s"},
		{"TTL below Dataproc's minimum", base(func(r *ClusterRequest) { r.Config.IdleDeleteTTL = "5m" }), CodeClusterTTLInvalid, "config.idle_delete_ttl", "between 10m0s and 336h0m0s (Dataproc)"},
		{"TTL unreadable", base(func(r *ClusterRequest) { r.Config.IdleDeleteTTL = "soon" }), CodeClusterTTLInvalid, "config.idle_delete_ttl", "a positive Go duration"},
		{"public IP", base(func(r *ClusterRequest) { r.Config.InternalIPOnly = ptr(false) }), CodeClusterPublicIP, "config.internal_ip_only", "internal_ip_only: true"},
		{"foreign service account", base(func(r *ClusterRequest) { r.Config.ServiceAccount = "owner@data-prod.iam.gserviceaccount.com" }),
			CodeClusterServiceAccount, "config.service_account", "the role's service_account explorer@data-prod.iam.gserviceaccount.com"},
		{"property outside the allowlist", base(func(r *ClusterRequest) {
			r.Config.Properties = map[string]string{"spark:spark.executor.extraJavaOptions": "-javaagent:x", "core:fs.gs.auth.type": "x"}
		}), CodeClusterProperty, `config.properties["core:fs.gs.auth.type"]`, "properties: spark:spark.executor.*, spark:spark.driver.memory"},
		{"reserved property", base(func(r *ClusterRequest) {
			r.Config.Properties = map[string]string{"dataproc:dataproc.personal-auth.user": "root@example.com"}
		}), CodeClusterProperty, `config.properties["dataproc:dataproc.personal-auth.user"]`, "properties: spark:spark.executor.*, spark:spark.driver.memory"},
		{"secret property", base(func(r *ClusterRequest) {
			r.Config.Properties = map[string]string{"spark:spark.executor.secret.key": "x"}
		}), CodeClusterProperty, `config.properties["spark:spark.executor.secret.key"]`, "properties: spark:spark.executor.*, spark:spark.driver.memory"},
		{"too many workers", base(func(r *ClusterRequest) { r.Config.Workers = &events.NodeGroup{Count: ptr(12)} }), CodeClusterWorkers, "config.workers.count", "max_workers: 8"},
		{"secondary workers", base(func(r *ClusterRequest) {
			r.Config.SecondaryWorkers = &events.NodeGroup{Count: ptr(2), MachineType: "n2-standard-4"}
		}), CodeClusterSecondaryWorkers, "config.secondary_workers.count", "max_secondary_workers: 0"},
		{"machine type", base(func(r *ClusterRequest) { r.Config.Workers = &events.NodeGroup{MachineType: "m1-ultramem-160"} }),
			CodeClusterMachineType, "config.workers.machine_type", "machine_types: n2-standard-*, n1-standard-8"},
		{"master count", base(func(r *ClusterRequest) { r.Config.Master = &events.NodeGroup{Count: ptr(2)} }), CodeClusterMaster, "config.master.count", "1 or 3 (high availability)"},
		{"region", base(func(r *ClusterRequest) { r.Region = "us-central1" }), CodeClusterRegion, "region", "regions: europe-west1, europe-west4"},
		{"project", base(func(r *ClusterRequest) { r.Project = "data-dev" }), CodeClusterProject, "project", "projects: data-prod"},
		{"image", base(func(r *ClusterRequest) { r.Config.ImageVersion = "2.0-debian10" }), CodeClusterImage, "config.image_version", "image_versions: 2.2-*"},
		{"accelerator type", base(func(r *ClusterRequest) {
			r.Config.Workers = &events.NodeGroup{Accelerators: []events.Accelerator{{Type: "nvidia-h100-80gb", Count: 1}}}
		}), CodeClusterAccelerator, "config.workers.accelerators[0].type", "accelerators: nvidia-tesla-t4: 2"},
		{"accelerator count", base(func(r *ClusterRequest) {
			r.Template = "gpu"
			r.Config = events.ClusterConfig{IdleDeleteTTL: "1h", AutoDeleteTTL: "2h", Workers: &events.NodeGroup{Accelerators: []events.Accelerator{{Type: "nvidia-tesla-t4", Count: 4}}}}
		}), CodeClusterAccelerator, "config.workers.accelerators[0].count", "accelerators: nvidia-tesla-t4: 2"},
		{"kms key", base(func(r *ClusterRequest) { r.Config.KMSKey = "projects/x/locations/l/keyRings/r/cryptoKeys/mine" }),
			CodeClusterKMSKey, "config.kms_key", "kms_key: projects/data-sec/locations/europe-west1/keyRings/dataproc/cryptoKeys/disks"},
		{"network tag", base(func(r *ClusterRequest) { r.Config.NetworkTags = []string{"iis-clusters", "allow-ssh"} }),
			CodeClusterNetworkTag, "config.network_tags[1]", "network_tags: iis-*"},
		{"optional component", base(func(r *ClusterRequest) { r.Config.OptionalComponents = []string{"JUPYTER", "DOCKER"} }),
			CodeClusterComponent, "config.optional_components[1]", "optional_components: JUPYTER, ZEPPELIN"},
		{"reserved label", base(func(r *ClusterRequest) { r.Labels = map[string]string{"iis-principal": "p0"} }),
			CodeClusterLabel, `labels["iis-principal"]`, "labels starting iis- or goog- are reserved"},
		{"limit", base(func(r *ClusterRequest) { r.ActiveClusters = 2 }), CodeClusterLimit, "", "max_clusters: 2"},
		{"condition", base(func(r *ClusterRequest) { r.Config.Workers = &events.NodeGroup{Count: ptr(6)} }), CodeConditionFalse, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := p.EvaluateCluster(c.req)
			if d.Allowed {
				t.Fatalf("EvaluateCluster(%s) = allowed, want %s", c.name, c.code)
			}
			r := d.Reasons[len(d.Reasons)-1]
			if r.Code != c.code || r.Field != c.field || r.Cap != c.cap || r.Role != "explorer" {
				t.Errorf("EvaluateCluster(%s) reason = %+v, want code %s field %q cap %q", c.name, r, c.code, c.field, c.cap)
			}
			if strings.TrimSpace(r.Message) == "" {
				t.Errorf("reason %s has no message", r.Code)
			}
		})
	}
}

func TestEvaluateClusterPrincipals(t *testing.T) {
	p := clusterPolicy(t)
	for _, c := range []struct {
		name string
		pr   Principal
		role string
		code string
	}{
		{"no binding", Principal{ID: "eve@example.com", Type: TypeHuman}, "", CodeNoBinding},
		{"contractor", Principal{ID: "dan@example.com", Type: TypeHuman, Groups: []string{"data-scientists", "contractors"}}, "", CodeDenied},
		{"workload", Principal{ID: "bot@x.iam.gserviceaccount.com", Type: TypeWorkload, Groups: []string{"data-scientists"}}, "", CodePrincipalType},
		{"role without the template", Principal{ID: "sam@example.com", Type: TypeHuman, Groups: []string{"support"}}, "", CodeClusterTemplate},
		{"role not bound", scientist, "support", CodeRoleNotBound},
	} {
		d := p.EvaluateCluster(ClusterRequest{Principal: c.pr, Role: c.role, Template: "small"})
		if d.Allowed || d.Reasons[len(d.Reasons)-1].Code != c.code {
			t.Errorf("%s: EvaluateCluster = %v %+v, want %s", c.name, d.Allowed, d.Reasons, c.code)
		}
	}
}

func TestExplainClusterReportsEveryCap(t *testing.T) {
	p := clusterPolicy(t)
	d := p.ExplainCluster(ClusterRequest{Principal: scientist, Template: "small", Region: "us-east1",
		Config: events.ClusterConfig{Workers: &events.NodeGroup{Count: ptr(20)}, InternalIPOnly: ptr(false)}})
	codes := map[string]bool{}
	for _, r := range d.Reasons {
		codes[r.Code] = true
	}
	for _, want := range []string{CodeClusterRegion, CodeClusterWorkers, CodeClusterPublicIP} {
		if !codes[want] {
			t.Errorf("ExplainCluster reasons %+v lack %s", d.Reasons, want)
		}
	}
	if d.Allowed {
		t.Error("ExplainCluster allowed an over-cap request")
	}
}

func TestParseClustersLint(t *testing.T) {
	role := func(clusters string) string {
		return `
roles:
  r:
    service_account: r@p-12345.iam.gserviceaccount.com
    targets: [{project: p-12345, region: europe-west1, serverless: true}]
    job_types: [pyspark]
    data_locations: [gs://b-1]
    clusters:
` + clusters
	}
	caps := `
      caps:
        projects: [p-12345]
        regions: [europe-west1]
        machine_types: [n2-standard-4]
        max_workers: 2
        image_versions: ["2.2-*"]
        max_idle_delete_ttl: 1h
        max_auto_delete_ttl: 4h
`
	tpl := `
      templates:
        t:
          project: p-12345
          region: europe-west1
          master: {machine_type: n2-standard-4}
          workers: {count: %s, machine_type: n2-standard-4}
          image_version: 2.2-debian12
`
	for _, c := range []struct{ name, yaml, want string }{
		{"template over its caps", role(strings.Replace(tpl, "%s", "5", 1) + caps), "config.workers.count 5 exceeds the role's max_workers 2"},
		{"no caps", role(strings.Replace(tpl, "%s", "2", 1)), "caps are required"},
		{"no templates", role(caps), "templates are required"},
		{"a cap missing", role(strings.Replace(tpl, "%s", "2", 1) + strings.Replace(caps, "        max_workers: 2\n", "", 1)), "max_workers is required"},
		{"reserved property allowed", role(strings.Replace(tpl, "%s", "2", 1) + caps + "        properties: [\"dataproc:dataproc.personal-auth.*\"]\n"), "set by the broker"},
		{"TTL cap below Dataproc's", role(strings.Replace(tpl, "%s", "2", 1) + strings.Replace(caps, "max_idle_delete_ttl: 1h", "max_idle_delete_ttl: 1m", 1)), "below Dataproc's minimum"},
		{"bad IAM role", role(strings.Replace(tpl, "%s", "2", 1) + caps + "      access:\n        logs: {iam_role: dataproc.viewer, max_duration: 1h}\n"), "is not an IAM role"},
		{"unknown view", role(strings.Replace(tpl, "%s", "2", 1) + caps + "      access:\n        shell: {iam_role: roles/x, max_duration: 1h}\n"), `unknown field "shell"`},
		{"bad condition", role(strings.Replace(tpl, "%s", "2", 1) + caps + "      condition: cluster.workerz > 1\n"), "undefined field 'workerz'"},
		{"bad image version", role(strings.Replace(strings.Replace(tpl, "%s", "2", 1), "2.2-debian12", "latest", 1) + caps), "is not a Dataproc image version"},
		{"bad property key", role(strings.Replace(tpl, "%s", "2", 1) + "          properties: {\"no-prefix\": x}\n" + caps), "is not a cluster property"},
	} {
		_, err := Parse("p.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse = %v, want an error with %q", c.name, err, c.want)
		}
	}
	if _, err := Parse("p.yaml", []byte(role(strings.Replace(tpl, "%s", "2", 1)+caps))); err != nil {
		t.Errorf("a clean clusters section: Parse = %v", err)
	}
}

func TestEvaluateAccess(t *testing.T) {
	p := clusterPolicy(t)
	at := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
	support := Principal{ID: "sam@example.com", Type: TypeHuman, Groups: []string{"support"}}
	req := func(pr Principal, view string, d time.Duration, why string) AccessRequest {
		return AccessRequest{Principal: pr, Owner: "ada@example.com", Project: "data-prod", Region: "europe-west1",
			Cluster: "iis-0a", View: view, Duration: d, Justification: why, Time: at}
	}
	ok := p.EvaluateAccess(req(scientist, "logs", 30*time.Minute, ""))
	if !ok.Allowed || ok.IAMRole != "roles/dataproc.viewer" || !ok.ExpiresAt.Equal(at.Add(30*time.Minute)) || ok.Role != "explorer" {
		t.Errorf("owner's logs for 30m = %+v", ok)
	}
	if d := p.EvaluateAccess(req(scientist, "ui", 0, "")); !d.Allowed || d.Duration != 30*time.Minute || d.IAMRole != "roles/dataproc.editor" {
		t.Errorf("owner's ui, default duration = %+v", d)
	}
	for _, c := range []struct {
		name string
		req  AccessRequest
		code string
	}{
		{"too long", req(scientist, "logs", 3*time.Hour, ""), CodeAccessDuration},
		{"someone else's cluster", func() AccessRequest {
			r := req(scientist, "logs", time.Minute, "")
			r.Owner = "bob@example.com"
			return r
		}(), CodeAccessOwner},
		{"outside the caps", func() AccessRequest { r := req(scientist, "logs", time.Minute, ""); r.Region = "us-east1"; return r }(), CodeAccessLocation},
		{"view not granted", req(support, "ui", time.Minute, "INC-1"), CodeAccessView},
		{"support without justification", req(support, "logs", time.Minute, ""), CodeJustification},
		{"nobody", req(Principal{ID: "eve@example.com", Type: TypeHuman}, "logs", time.Minute, ""), CodeNoBinding},
	} {
		d := p.EvaluateAccess(c.req)
		if d.Allowed || d.Reasons[len(d.Reasons)-1].Code != c.code {
			t.Errorf("%s: EvaluateAccess = %v %+v, want %s", c.name, d.Allowed, d.Reasons, c.code)
		}
	}
	if d := p.EvaluateAccess(req(support, "logs", time.Hour, "INC-42")); !d.Allowed || d.Role != "support" {
		t.Errorf("support reading another's logs with a reason = %+v", d)
	}
}
