package tfcheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wants reads the "# want: message" comments of a fixture directory as
// "file:line: message".
func wants(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	var out []string
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			if _, msg, ok := strings.Cut(sc.Text(), "# want: "); ok {
				out = append(out, fmt.Sprintf("%s:%d: %s", filepath.Base(name), line, msg))
			}
		}
		f.Close()
	}
	sort.Strings(out)
	return out
}

// TestCheckFindsEveryMistake: each mistake in testdata/bad is reported on
// its line, and nothing else is.
func TestCheckFindsEveryMistake(t *testing.T) {
	m, diags := Load("testdata/bad")
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Summary))
	}
	for _, p := range m.Check() {
		got = append(got, p.String())
	}
	sort.Strings(got)
	if d := cmp.Diff(wants(t, "testdata/bad"), got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestLoadReportsSyntaxErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte("resource \"a\" \"b\" {\n  x = \n}\n"), 0o644)
	if _, diags := Load(dir); !diags.HasErrors() {
		t.Error("Load of a file with a syntax error returned no error")
	}
	if _, diags := Load(t.TempDir()); !diags.HasErrors() {
		t.Error("Load of a directory without .tf files returned no error")
	}
}

func TestCloudRunContainers(t *testing.T) {
	m, diags := Load("testdata/good")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if ps := m.Check(); len(ps) > 0 {
		t.Fatalf("Check(testdata/good) = %v, want none", ps)
	}
	cs, ps := m.CloudRunContainers()
	if len(ps) > 0 {
		t.Fatalf("CloudRunContainers problems: %v", ps)
	}
	type summary struct {
		Resource, Name, Image string
		Args                  []string
		Env, Mounts           []string
	}
	var got []summary
	for _, c := range cs {
		s := summary{Resource: c.Resource, Name: c.Name, Image: c.Image, Args: c.Args, Mounts: c.Mounts}
		for k := range c.Env {
			s.Env = append(s.Env, k)
		}
		sort.Strings(s.Env)
		got = append(got, s)
	}
	want := []summary{
		{Resource: "google_cloud_run_v2_service.svc", Name: "app", Image: "var.image", Args: []string{"serve"},
			Env: []string{"A", "B", "C", "STATIC"}, Mounts: []string{"/etc/app"}},
		{Resource: "google_cloud_run_v2_service.svc", Name: "sidecar", Image: `"proxy:1"`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("containers (-want +got):\n%s", d)
	}
	if v, ok := LiteralString(cs[0].Env["C"]); !ok || v != "/etc/app/c.yaml" {
		t.Errorf("env C = %q, %v; want the literal /etc/app/c.yaml", v, ok)
	}
}

func TestDynamicEnvMustBeWrittenOut(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`
variable "env" {
  type = map(string)
}
resource "google_cloud_run_v2_service" "s" {
  template {
    containers {
      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }
    }
  }
}
`), 0o644)
	m, diags := Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, ps := m.CloudRunContainers(); len(ps) != 1 || !strings.Contains(ps[0].Message, "cannot be checked") {
		t.Errorf("CloudRunContainers over a variable env = %v, want one problem saying it cannot be checked", ps)
	}
}

func TestCheckTfvars(t *testing.T) {
	m, diags := Load("testdata/good")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ body, want string }{
		{"image = \"x\"\n", ""},
		{"image = \"x\"\nimagee = \"y\"\n", "vars:2: sets imagee, which the module does not declare"},
		{"on = false\n", "vars:1: does not set image, which has no default"},
	} {
		p := filepath.Join(dir, "vars")
		os.WriteFile(p, []byte(tc.body), 0o644)
		var got []string
		for _, pr := range m.CheckTfvars(p) {
			got = append(got, pr.String())
		}
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("CheckTfvars(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestStaticValue(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`
variable "n" {
  default = 100
}
variable "s" {
  default = "info"
}
variable "req" {
  type = string
}
locals {
  v = {
    a = "lit"
    b = tostring(var.n)
    c = var.s
    d = var.req
    e = "x-${var.s}"
  }
}
output "v" {
  value = local.v
}
`), 0o644)
	m, diags := Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	keys, ok := m.Keys(m.Locals["v"].Expr)
	if !ok {
		t.Fatal("Keys(local.v) not static")
	}
	for k, want := range map[string]string{"a": "lit", "b": "100", "c": "info", "d": "", "e": ""} {
		got, ok := m.StaticValue(keys[k])
		if got != want || ok != (want != "") {
			t.Errorf("StaticValue(%s) = %q, %v; want %q", k, got, ok, want)
		}
	}
}
