package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigurationDocs keeps docs/configuration.md true: every issuers
// file it shows loads, and the reference block sets every field the file
// format has.
func TestConfigurationDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range yamlBlocks(string(doc)) {
		if !strings.HasPrefix(block, "issuers:") {
			continue
		}
		n++
		path := filepath.Join(t.TempDir(), "issuers.yaml")
		if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadIssuers(path); err != nil {
			t.Errorf("docs/configuration.md issuers block %d does not load: %v\n%s", n, err, block)
		}
	}
	if n < 7 {
		t.Errorf("docs/configuration.md has %d issuers examples, want the reference and one per IdP", n)
	}
	for _, field := range []string{"name:", "url:", "audience:", "algorithms:", "clock_skew:", "trusted_for_groups:", "jwks_url:",
		"assume_email_verified:", "principal:", "email:", "groups:", "type:", "by:", "external_id_claim:", "user_name_claim:"} {
		if !strings.Contains(yamlBlocks(string(doc))[0], field) {
			t.Errorf("the reference block of docs/configuration.md lacks %s", field)
		}
	}
}

func yamlBlocks(md string) []string {
	var out []string
	var body []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && line == "```yaml":
			in, body = true, nil
		case in && line == "```":
			in = false
			out = append(out, strings.Join(body, "\n")+"\n")
		case in:
			body = append(body, line)
		}
	}
	return out
}
