package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/internal/version"
)

func TestVersionCommand(t *testing.T) {
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"version", "-json"}, &out, &errOut); code != 0 {
		t.Fatalf("iis version -json exited %d: %s", code, errOut.String())
	}
	var got version.Info
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil || got != version.Get() {
		t.Errorf("iis version -json = %s (%v), want %+v", out.String(), err, version.Get())
	}
	out = syncBuffer{}
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 || strings.TrimSpace(out.String()) != version.Get().String() {
		t.Errorf("iis version = %d %q, want 0 %q", code, out.String(), version.Get().String())
	}
}

// TestStartLogsNameTheBuild: `iis serve` and `iis scim` say which build
// they are before anything can fail, so a crash-looping revision still
// tells the SRE what is deployed.
func TestStartLogsNameTheBuild(t *testing.T) {
	v := version.Get()
	for _, cmd := range []string{"serve", "scim"} {
		t.Run(cmd, func(t *testing.T) {
			var errOut syncBuffer
			// A store that cannot open makes the command stop after its start log.
			file := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(file, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(file, "iis.db") // under a file: cannot be created
			args := []string{cmd, "-pubsub-emulator", "127.0.0.1:1", "-store", bad, "-log-format", "json", "-scim-tokens", "t"}
			if cmd == "serve" {
				args = args[:len(args)-2]
			}
			if code := run(context.Background(), args, &syncBuffer{}, &errOut); code == 0 {
				t.Fatalf("iis %s with an unopenable store exited 0", cmd)
			}
			line, _, _ := strings.Cut(errOut.String(), "\n")
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("first line %q: %v", line, err)
			}
			if rec["message"] != "iis "+cmd+" starting" || rec["version"] != v.Version || rec["commit"] != v.Revision {
				t.Errorf("first log line %s, want iis %s starting with version %q and commit %q", line, cmd, v.Version, v.Revision)
			}
		})
	}
}
