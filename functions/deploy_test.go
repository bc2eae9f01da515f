package functions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// readEnv is every environment variable an entry point reads: the string
// literals passed to env, os.Getenv and os.LookupEnv in the files that
// build it (scim.go for SCIM; the others for HandleMessage and Watch).
func readEnv(t *testing.T, entry string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	names, _ := filepath.Glob("*.go")
	read := map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") || (name == "scim.go") != (entry == "SCIM") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			var fn string
			switch f := call.Fun.(type) {
			case *ast.Ident:
				fn = f.Name
			case *ast.SelectorExpr:
				fn = f.Sel.Name
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING && (fn == "env" || fn == "Getenv" || fn == "LookupEnv") {
				v, _ := strconv.Unquote(lit.Value)
				read[v] = true
			}
			return true
		})
	}
	return read
}

// TestDeployREADMEFunctionsEnvironment: every IIS_ variable each `gcloud
// functions deploy` of deploy/README.md sets (env vars and secrets) is one
// its entry point reads; a name it does not read would be ignored in
// silence (the SCIM function once got IIS_SOURCE for IIS_SCIM_SOURCE).
func TestDeployREADMEFunctionsEnvironment(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Alternative: Cloud Run functions")
	if start < 0 {
		t.Fatal("deploy/README.md has no functions section")
	}
	section := doc[start:]
	if end := strings.Index(section[1:], "\n## "); end > 0 {
		section = section[:end+1]
	}
	vars := regexp.MustCompile(`\b(IIS_[A-Z0-9_]+)=`)
	names := func(s string) []string {
		var out []string
		for _, m := range vars.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		return out
	}
	var shared []string // the $ENV every command passes
	if m := regexp.MustCompile(`(?m)^ENV="([^"]*)"`).FindStringSubmatch(section); m != nil {
		shared = names(m[1])
	}
	deploys := strings.Split(section, "gcloud functions deploy ")[1:]
	if len(deploys) < 2 {
		t.Fatalf("found %d gcloud functions deploy commands; the scan broke?", len(deploys))
	}
	for _, cmd := range deploys {
		m := regexp.MustCompile(`--entry-point=(\w+)`).FindStringSubmatch(cmd)
		if m == nil {
			t.Errorf("gcloud functions deploy %.40s... has no --entry-point", cmd)
			continue
		}
		read := readEnv(t, m[1])
		if len(read) < 5 {
			t.Fatalf("found %d environment reads for %s; the scan broke?", len(read), m[1])
		}
		set := names(cmd)
		if strings.Contains(cmd, "$ENV") {
			set = append(set, shared...)
		}
		var unread []string
		for _, name := range set {
			if !read[name] {
				unread = append(unread, name)
			}
		}
		sort.Strings(unread)
		if len(unread) > 0 {
			t.Errorf("deploy/README.md deploys %s with %v, which it does not read", m[1], unread)
		}
	}
}
