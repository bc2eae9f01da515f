package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/internal/ociimage"
	"github.com/dataproc-iis/iis/internal/tfcheck"
)

var terraformDir = filepath.Join("..", "..", "deploy", "terraform")

func loadTerraform(t *testing.T) *tfcheck.Module {
	t.Helper()
	m, diags := tfcheck.Load(terraformDir)
	for _, d := range diags {
		t.Errorf("deploy/terraform: %s", d)
	}
	if diags.HasErrors() {
		t.FailNow()
	}
	return m
}

// TestDeployTerraform parses every .tf file of deploy/terraform with HCL
// (no provider, no registry) and checks its references and variables, and
// that terraform.tfvars.example sets only declared variables and every
// required one.
func TestDeployTerraform(t *testing.T) {
	m := loadTerraform(t)
	for _, p := range m.Check() {
		t.Errorf("deploy/terraform/%s", p)
	}
	for _, p := range m.CheckTfvars(filepath.Join(terraformDir, "terraform.tfvars.example")) {
		t.Errorf("deploy/terraform/%s", p)
	}
}

var envInHelp = regexp.MustCompile(`\(env ([A-Z][A-Z0-9_]*)\)`)

// envRead is every environment variable `iis cmd` reads, from its flag
// registrations as `iis cmd -h` prints them.
func envRead(t *testing.T, cmd string) map[string]bool {
	t.Helper()
	var help syncBuffer
	if code := run(context.Background(), []string{cmd, "-h"}, io.Discard, &help); code != 0 {
		t.Fatalf("iis %s -h exited %d: %s", cmd, code, help.String())
	}
	read := map[string]bool{}
	for _, m := range envInHelp.FindAllStringSubmatch(help.String(), -1) {
		read[m[1]] = true
	}
	if len(read) < 10 {
		t.Fatalf("iis %s -h names %d environment variables; the help format changed?\n%s", cmd, len(read), help.String())
	}
	return read
}

// iisContainers are the Cloud Run containers that run the iis image, by
// the iis command they run.
func iisContainers(t *testing.T, m *tfcheck.Module) map[string]tfcheck.Container {
	t.Helper()
	cs, ps := m.CloudRunContainers()
	for _, p := range ps {
		t.Errorf("deploy/terraform/%s", p)
	}
	out := map[string]tfcheck.Container{}
	for _, c := range cs {
		if c.Image != "var.image" {
			continue // the Cloud SQL proxy sidecar
		}
		if !c.ArgsKnown || len(c.Args) != 1 {
			t.Errorf("%s container %s: args %q, want one literal iis command", c.Resource, c.Name, c.Args)
			continue
		}
		if _, dup := out[c.Args[0]]; dup {
			t.Errorf("two services run iis %s", c.Args[0])
		}
		out[c.Args[0]] = c
	}
	if _, ok := out["serve"]; !ok {
		t.Error("no Cloud Run service runs iis serve")
	}
	if _, ok := out["scim"]; !ok {
		t.Error("no Cloud Run service runs iis scim")
	}
	return out
}

// TestDeployEnvironmentIsRead: every environment variable a Cloud Run
// service sets is one its iis command reads (a typo or a removed flag
// would otherwise be ignored in silence), every value the module writes
// out parses as that flag's type, and every file it names is under a
// volume the container mounts.
func TestDeployEnvironmentIsRead(t *testing.T) {
	m := loadTerraform(t)
	for cmd, c := range iisContainers(t, m) {
		t.Run(cmd, func(t *testing.T) {
			read := envRead(t, cmd)
			names := make([]string, 0, len(c.Env))
			for name := range c.Env {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				if name == "PORT" {
					t.Errorf("%s sets PORT, which Cloud Run reserves", c.Resource)
				}
				if !read[name] {
					t.Errorf("%s sets %s, which `iis %s` does not read", c.Resource, name, cmd)
					continue
				}
				v, ok := m.StaticValue(c.Env[name])
				if !ok {
					continue // known at apply time only
				}
				if isFile(v) && !slices.ContainsFunc(c.Mounts, func(dir string) bool { return strings.HasPrefix(v, dir+"/") }) {
					t.Errorf("%s: %s=%s is under none of its volume mounts %v", c.Resource, name, v, c.Mounts)
				}
				t.Setenv(name, v)
			}
			// The flag registrations parse the environment: a value that
			// is not of its flag's type fails here.
			var out syncBuffer
			if code := run(context.Background(), []string{cmd, "-h"}, io.Discard, &out); code != 0 {
				t.Errorf("iis %s with %s's environment: %s", cmd, c.Resource, out.String())
			}
			if c.Port != ociimage.Port {
				t.Errorf("%s container port %q, want the image's %s ($PORT)", c.Resource, c.Port, ociimage.Port)
			}
		})
	}
}

// TestDeployWorkerStarts: the worker's environment is a complete `iis
// serve` configuration (a policy needs issuers, files must load). The
// files the service mounts from Secret Manager are stood in for by the
// examples an operator starts from.
func TestDeployWorkerStarts(t *testing.T) {
	m := loadTerraform(t)
	c, ok := iisContainers(t, m)["serve"]
	if !ok {
		t.FailNow()
	}
	dir := t.TempDir()
	fixtures := map[string]string{
		"IIS_ISSUERS":        filepath.Join(terraformDir, "issuers.yaml.example"),
		"IIS_LABEL_KEY_FILE": writeTemp(t, dir, "label-key", "0123456789abcdef0123456789abcdef\n"),
		"IIS_POLICY":         "", // only its path is taken here; the broker reads it when it starts
	}
	for name, expr := range c.Env {
		v, ok := m.StaticValue(expr)
		if !ok {
			continue
		}
		if isFile(v) {
			local, known := fixtures[name]
			if !known {
				t.Errorf("%s names the file %s=%s: give the test a stand-in for it", c.Resource, name, v)
				continue
			}
			if local != "" {
				v = local
			}
		}
		t.Setenv(name, v)
	}
	f, s, ps := serveFlags(io.Discard)
	if err := f.Parse(nil); err != nil {
		t.Fatalf("iis serve flags from %s's environment: %v", c.Resource, err)
	}
	if s.Policy == "" {
		t.Errorf("%s sets no IIS_POLICY: the worker would decide nothing", c.Resource)
	}
	p, err := ps.pipeline(s.Policy)
	if err != nil {
		t.Fatalf("iis serve with %s's environment does not start: %v", c.Resource, err)
	}
	if len(p.Identity.Issuers) == 0 || len(p.LabelKey) == 0 {
		t.Errorf("pipeline from %s's environment: %d issuers, label key %v; want issuers and a label key", c.Resource, len(p.Identity.Issuers), len(p.LabelKey) > 0)
	}
}

func writeTemp(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// isFile: an absolute path, not a URI reference such as //dataproc-iis/scim.
func isFile(v string) bool { return strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") }
