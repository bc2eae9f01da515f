//go:build linux

package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/internal/devstack"
)

// cluster is `iis dev -broker=false` (pstest, the dev issuer, IAM
// Credentials, Dataproc, SCIM and an outbox relay) and the `iis serve`
// workers that join it, each its own process.
type cluster struct {
	bin                            string
	dir                            string // data dir of iis dev, and the logs
	dsn                            string
	pubsub, iam, dataproc, httpURL string
	scimToken                      string
	dev                            *proc
	workers                        []*proc
}

// buildIIS builds the binary once per run (IIS_CHAOS_BIN names a prebuilt
// one instead).
func buildIIS(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("IIS_CHAOS_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "iis")
	start := time.Now()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go") // the toolchain that built this test
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/dataproc-iis/iis/cmd/iis")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/iis: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startCluster writes the directory and policy, starts iis dev and waits
// until it is ready. It is stopped when the test ends.
func startCluster(t *testing.T, bin, dir, dsn string, p params) *cluster {
	t.Helper()
	c := &cluster{
		bin: bin, dir: dir, dsn: dsn,
		pubsub: freeAddr(t), iam: freeAddr(t), dataproc: freeAddr(t), httpURL: "http://" + freeAddr(t),
		scimToken: "chaos-scim-token-" + strconv.FormatInt(time.Now().UnixNano(), 36),
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "directory.yaml"), []byte(directoryYAML(p)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "policy.yaml"), []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	c.dev = &proc{name: "iis-dev", bin: bin, log: filepath.Join(dir, "dev.log"), args: []string{"dev",
		"-broker=false", "-data-dir", data, "-store", dsn,
		"-pubsub-addr", c.pubsub, "-iam-addr", c.iam, "-dataproc-addr", c.dataproc, "-saml-addr", "127.0.0.1:0",
		"-http-addr", strings.TrimPrefix(c.httpURL, "http://"), "-scim-tokens", c.scimToken,
		"-job-pending", p.JobPending.String(), "-job-running", p.JobRunning.String(),
		"-checkpoint-interval", checkpointInterval.String(), // DATA_DIR/checkpoints, signed with DATA_DIR/checkpoint-key.pem
		"-cluster-create", "300ms", "-cluster-delete", "300ms", "-cluster-quota", "0",
		"-log-format", "json", "-log-level", "info",
	}}
	if err := c.dev.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.dev.stop(10 * time.Second) })
	if err := waitReady(c.httpURL+"/readyz", time.Minute); err != nil {
		t.Fatalf("iis dev: %v (log: %s)", err, c.dev.log)
	}
	return c
}

// checkpointInterval is how often every process checkpoints the chain.
const checkpointInterval = 5 * time.Second

// startWorkers starts the `iis serve` workers; they are killed when the
// test ends.
func (c *cluster) startWorkers(t *testing.T, p params) {
	t.Helper()
	data := filepath.Join(c.dir, "data")
	dir, dsn := c.dir, c.dsn
	for i := range p.Workers {
		w := &proc{name: fmt.Sprintf("worker-%d", i+1), bin: c.bin, log: filepath.Join(dir, fmt.Sprintf("worker-%d.log", i+1)), args: []string{"serve",
			"-pubsub-emulator", c.pubsub, "-store", dsn,
			"-policy", filepath.Join(data, "policy.yaml"), "-issuers", filepath.Join(data, "issuers.yaml"),
			"-iam-endpoint", c.iam, "-dataproc-endpoint", c.dataproc, "-dev-insecure-endpoints",
			"-broker-service-account", devstack.BrokerServiceAccount,
			"-data-dir", filepath.Join(dir, fmt.Sprintf("worker-%d", i+1)),
			"-poll-interval", "100ms", "-poll-backoff-min", "100ms", "-poll-backoff-max", "1s",
			"-access-reconcile", "500ms", "-drift-every", "5s",
			// The quota limiter is not what this test is about: with the
			// real 400/min, 1,000 requests would take minutes.
			"-dataproc-quota", "100000",
			// pstest ignores streaming pull's flow control, and the client
			// leases what it holds for the 99th percentile of its ack
			// times, queueing included: a worker holding 100 messages
			// leases them for tens of seconds, and when it is killed they
			// come back only then. A small window keeps the lease near
			// the client's 10 s floor.
			"-max-outstanding", "10", "-streams", "2",
			// The checkpoints iis dev keeps: its key file signs for every worker.
			"-checkpoint-archive", filepath.Join(data, "checkpoints"), "-checkpoint-key", filepath.Join(data, "checkpoint-key.pem"),
			"-checkpoint-interval", checkpointInterval.String(),
			"-log-format", "json", "-log-level", "info",
		}}
		if err := w.start(); err != nil {
			t.Fatal(err)
		}
		c.workers = append(c.workers, w)
	}
	t.Cleanup(func() {
		for _, w := range c.workers {
			w.kill()
		}
	})
}

// waitReady polls url until it answers 200.
func waitReady(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %v", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// running counts the workers up.
func (c *cluster) running() int {
	n := 0
	for _, w := range c.workers {
		if w.running() {
			n++
		}
	}
	return n
}

// policyYAML binds data-eng to a role that may run pyspark on Serverless
// and on the etl cluster, create clusters of its own and read their logs,
// and denies contractors. It is the test's own, so
// that changes to the dev defaults do not change what the test expects.
const policyYAML = `version: 1
roles:
  etl:
    description: Chaos test jobs.
    service_account: etl-runner@iis-dev.iam.gserviceaccount.com
    targets:
      - project: iis-dev
        region: europe-west1
        serverless: true
      - project: iis-dev
        region: europe-west1
        cluster: "etl-*"
    job_types: [pyspark]
    data_locations: [gs://iis-dev-code/]
    max_duration: 1h
    max_credential_lifetime: 10m
    principal_types: [human, workload]
    clusters:
      max_clusters: 20
      templates:
        small:
          project: iis-dev
          region: europe-west1
          master: {machine_type: n2-standard-4}
          workers: {count: 2, machine_type: n2-standard-4}
          image_version: 2.2-debian12
          idle_delete_ttl: 1h
          auto_delete_ttl: 4h
      caps:
        projects: [iis-dev]
        regions: [europe-west1]
        machine_types: [n2-standard-4]
        max_workers: 2
        image_versions: ["2.2-*"]
        max_idle_delete_ttl: 1h
        max_auto_delete_ttl: 4h
      access:
        logs: {iam_role: roles/dataproc.viewer, max_duration: 1h}
bindings:
  - group: data-eng
    role: etl
deny:
  - name: contractors-never-run
    groups: [contractors]
    message: contractors may not run jobs
`

// directoryYAML lists the engineers (data-eng) and contractors (data-eng
// and contractors) of the run; the strangers are in no directory.
func directoryYAML(p params) string {
	var b strings.Builder
	b.WriteString("users:\n")
	for _, u := range p.engineers() {
		fmt.Fprintf(&b, "  - user_name: %s\n    emails: [%s]\n    groups: [data-eng]\n", u, u)
	}
	for _, u := range p.contractors() {
		fmt.Fprintf(&b, "  - user_name: %s\n    emails: [%s]\n    groups: [data-eng, contractors]\n", u, u)
	}
	return b.String()
}
