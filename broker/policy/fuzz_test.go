package policy

import (
	"os"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/example.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("roles:\n  r:" + okRole + "\nbindings:\n  - {group: g, role: r}\n"))
	f.Add([]byte("roles: {r: &a {x: *a}}"))
	f.Add([]byte("deny:\n  - condition: 'principal.groups.exists(g, g == \"x\")'\n"))
	f.Add([]byte("- [[[[[[[[[\n"))
	req := Request{
		Principal: Principal{ID: "a@example.com", Email: "a@example.com", Type: TypeHuman, Groups: []string{"g", "data-eng"}},
		Target:    Target{Project: "p", Region: "r"},
		Job:       Job{Type: JobSpark, JarURIs: []string{"gs://bkt/a/x.jar", "gs://bkt/../x"}, Properties: map[string]string{"spark.jars": "gs://x/y"}},
		Time:      time.Unix(1e9, 0),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse() = %v, %v: a policy with an error", p, err)
			}
			return
		}
		if p.Version() != Version(data) {
			t.Fatalf("Version() = %q, want %q", p.Version(), Version(data))
		}
		d := p.Evaluate(req) // must not panic
		if d.Allowed && d.ServiceAccount == "" {
			t.Fatalf("Evaluate() allowed without a service account: %+v", d)
		}
		p.EvaluateCancel(CancelRequest{Principal: req.Principal, Owner: "b", Target: req.Target})
	})
}
