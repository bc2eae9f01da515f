package ociimage

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const debianCerts = "/etc/ssl/certs/ca-certificates.crt"

func testConfig(t *testing.T) Config {
	t.Helper()
	if !fileExists(debianCerts) {
		t.Skipf("no CA bundle at %s", debianCerts)
	}
	return Config{Binary: staticHello(t), CACerts: debianCerts, Version: "v1.2.0", Revision: "0123456789abcdef", Created: time.Unix(1795819345, 0)}
}

// TestAssembleReproducible: the same inputs give the same digest (so an
// image can be rebuilt and compared), and the creation time is an input.
func TestAssembleReproducible(t *testing.T) {
	c := testConfig(t)
	digest := func(c Config) string {
		img, err := Assemble(c)
		if err != nil {
			t.Fatalf("Assemble: %v", err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	a, b := digest(c), digest(c)
	if a != b {
		t.Errorf("two builds of the same inputs: %s and %s, want one digest", a, b)
	}
	c.Created = c.Created.Add(time.Second)
	if d := digest(c); d == a {
		t.Errorf("a different creation time gave the same digest %s", d)
	}
}

func TestAssembleRefuses(t *testing.T) {
	good := testConfig(t)
	dynamic := "/bin/ls" // dynamically linked on Debian
	if err := CheckStatic(dynamic); err == nil {
		t.Skipf("%s is static here", dynamic)
	}
	notPEM := filepath.Join(t.TempDir(), "certs.pem")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644)
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"dynamic binary", func(c *Config) { c.Binary = dynamic }, "CGO_ENABLED=0"},
		{"no binary", func(c *Config) { c.Binary = "" }, "Binary is required"},
		{"not an ELF file", func(c *Config) { c.Binary = notPEM }, "elf.Open"},
		{"no CA certificates", func(c *Config) { c.CACerts = "" }, "CACerts is required"},
		{"CA file without certificates", func(c *Config) { c.CACerts = notPEM }, "holds no PEM certificate"},
		{"version unusable as a tag", func(c *Config) { c.Version = "(devel)" }, "not usable as an image tag"},
		{"no revision", func(c *Config) { c.Revision = "" }, "Revision (the commit) is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mutate(&c)
			_, err := Assemble(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Assemble(%s) = %v, want an error containing %q", tc.name, err, tc.want)
			}
		})
	}
}

// TestBuildArgsNameVersionVariables: every -X of a release build names a
// variable internal/version declares (the linker ignores a -X of a name
// that does not exist, so a rename would silently unset the version).
func TestBuildArgsNameVersionVariables(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(repoRoot(t), "internal", "version", "version.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					declared[n.Name] = true
				}
			}
		}
	}
	args := Build{Out: "iis", Version: "v1", Revision: "r"}.Args()
	i := slices.Index(args, "-ldflags")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("Build.Args() = %q, no -ldflags", args)
	}
	ldflags := args[i+1]
	n := 0
	for _, field := range strings.Fields(ldflags) {
		name, ok := strings.CutPrefix(field, VersionPackage+".")
		if !ok {
			continue
		}
		n++
		if v, _, _ := strings.Cut(name, "="); !declared[v] {
			t.Errorf("-X %s: internal/version declares no variable %s", field, v)
		}
	}
	if n != 3 {
		t.Errorf("ldflags %q set %d version variables, want 3 (version, revision, modified)", ldflags, n)
	}
}
