package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyCheckAndExplain(t *testing.T) {
	dir := t.TempDir()
	good, _ := filepath.Abs("devdata/policy.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("roles:\n  etl:\n    service_account: x@p.iam.gserviceaccount.com\n    condition: request.nope +\n"), 0o600)
	ctx := context.Background()
	var out, errOut syncBuffer
	if code := run(ctx, []string{"policy", "check", good}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ok") {
		t.Errorf("policy check (good) = %d %q %q", code, out.String(), errOut.String())
	}
	if code := run(ctx, []string{"policy", "check", bad}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "bad.yaml:") {
		t.Errorf("policy check (bad) = %d, stderr %q; want failure with file:line", code, errOut.String())
	}

	req := filepath.Join(dir, "req.json")
	os.WriteFile(req, []byte(`{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://elsewhere/x.py"}}`), 0o600)
	out = syncBuffer{}
	if code := run(ctx, []string{"policy", "explain", "-policy", good, "-request", req, "-as", "alice@example.com", "-groups", "data-eng"}, &out, &errOut); code != 0 {
		t.Fatalf("policy explain = %d: %s", code, errOut.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "DENIED") || !strings.Contains(got, "data_location_not_allowed") {
		t.Errorf("policy explain = %q, want DENIED with data_location_not_allowed", got)
	}

	cluster := filepath.Join(dir, "cluster.json")
	os.WriteFile(cluster, []byte(`{"template":"small","config":{"workers":{"count":12},"internal_ip_only":false}}`), 0o600)
	out = syncBuffer{}
	if code := run(ctx, []string{"policy", "explain", "-policy", good, "-request", cluster, "-as", "alice@example.com", "-groups", "data-eng"}, &out, &errOut); code != 0 {
		t.Fatalf("policy explain (cluster) = %d: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"DENIED", "cluster_workers_exceeded", "[config.workers.count; max_workers: 8]", "cluster_public_ip"} {
		if !strings.Contains(got, want) {
			t.Errorf("policy explain (cluster) = %q, want %q in it", got, want)
		}
	}
}
