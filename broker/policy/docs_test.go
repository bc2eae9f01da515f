package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/events"
)

// TestDocs keeps docs/policy.md true: its full example is
// testdata/example.yaml, and its CEL examples compile.
func TestDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	blocks := codeBlocks(string(doc))
	if len(blocks["yaml"]) == 0 || blocks["yaml"][0] != string(example) {
		t.Errorf("the first yaml block of docs/policy.md is not testdata/example.yaml")
	}
	if len(blocks["cel"]) == 0 {
		t.Fatalf("docs/policy.md has no cel block")
	}
	for _, expr := range strings.Split(strings.TrimSpace(blocks["cel"][0]), "\n") {
		if _, err := compileCondition(expr); err != nil {
			t.Errorf("docs/policy.md condition %q: %v", expr, err)
		}
	}
}

// codeBlocks returns the fenced code blocks of a Markdown text by language.
func codeBlocks(md string) map[string][]string {
	out := map[string][]string{}
	lang, body, in := "", []string{}, false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```"):
			lang, body, in = strings.TrimPrefix(line, "```"), nil, true
		case in && line == "```":
			out[lang] = append(out[lang], strings.Join(body, "\n")+"\n")
			in = false
		case in:
			body = append(body, line)
		}
	}
	return out
}

// TestClusterDocs keeps the Clusters section of docs/policy.md true: its
// example is testdata/clusters.yaml (which the cluster tests load), its
// CEL examples compile in the cluster environment, and its explain output
// is what the evaluator says.
func TestClusterDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("testdata/clusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	blocks := codeBlocks(string(doc))
	found := false
	for _, b := range blocks["yaml"] {
		found = found || b == string(example)
	}
	if !found {
		t.Errorf("docs/policy.md has no yaml block that is testdata/clusters.yaml")
	}
	if _, err := Parse("clusters.yaml", example); err != nil {
		t.Errorf("the documented clusters example does not load: %v", err)
	}
	if len(blocks["cel"]) < 2 {
		t.Fatalf("docs/policy.md has no cel block of cluster conditions")
	}
	for _, expr := range strings.Split(strings.TrimSpace(blocks["cel"][1]), "\n") {
		if _, err := compileClusterCondition(expr); err != nil {
			t.Errorf("docs/policy.md cluster condition %q: %v", expr, err)
		}
	}
	for _, line := range []string{
		"cluster_workers_exceeded: config.workers.count 12 exceeds the role's max_workers 8 [config.workers.count; max_workers: 8]",
		"cluster_public_ip: the role's clusters must have internal IP addresses only (no public IP) [config.internal_ip_only; internal_ip_only: true]",
	} {
		if !strings.Contains(string(doc), line) {
			t.Errorf("docs/policy.md lacks the explain line %q", line)
		}
	}
	p := clusterPolicy(t)
	f := false
	d := p.ExplainCluster(ClusterRequest{Principal: scientist, Template: "small",
		Config: events.ClusterConfig{Workers: &events.NodeGroup{Count: &[]int{12}[0]}, InternalIPOnly: &f}})
	var got []string
	for _, r := range d.Reasons {
		got = append(got, r.Code+": "+r.Message+" ["+r.Field+"; "+r.Cap+"]")
	}
	if len(got) < 2 || !strings.Contains(string(doc), got[0]) || !strings.Contains(string(doc), got[1]) {
		t.Errorf("the documented explain output is not the evaluator's: %q", got)
	}
}
