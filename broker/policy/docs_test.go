package policy

import (
	"os"
	"strings"
	"testing"
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
