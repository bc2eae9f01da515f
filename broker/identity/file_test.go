package identity

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadIssuers(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "issuers.yaml")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	got, err := LoadIssuers(write("issuers:\n  - url: https://accounts.google.com\n    audience: iis\n    clock_skew: 45s\n    claims: {principal: sub}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ClockSkew != 45*time.Second || got[0].Claims.Principal != "sub" {
		t.Errorf("LoadIssuers = %+v", got)
	}
	for name, bad := range map[string]string{
		"unknown field": "issuers:\n  - url: https://a.example\n    audience: x\n    trust_everyone: true\n",
		"alg none":      "issuers:\n  - url: https://a.example\n    audience: x\n    algorithms: [none]\n",
		"no audience":   "issuers:\n  - url: https://a.example\n",
	} {
		if _, err := LoadIssuers(write(bad)); err == nil {
			t.Errorf("%s: LoadIssuers = nil error, want error", name)
		}
	}
}
