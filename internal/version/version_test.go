package version

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/dataproc-iis/iis", Version: "v0.0.0-20261203093000-3861cd0abcde+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "3861cd0abcdef0123456789abcdef0123456789a"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name          string
		bi            *debug.BuildInfo
		ver, rev, mod string
		want          Info
	}{
		{"no build info", nil, "", "", "", Info{Version: "(devel)", Revision: Unknown}},
		{"toolchain stamp", vcs, "", "", "", Info{Version: vcs.Main.Version, Revision: "3861cd0abcdef0123456789abcdef0123456789a", Modified: true}},
		{"linker wins", vcs, "v1.2.0", "ffffffffffffffffffffffffffffffffffffffff", "false", Info{Version: "v1.2.0", Revision: "ffffffffffffffffffffffffffffffffffffffff", Modified: false}},
		{"linker version only", vcs, "v1.2.0", "", "", Info{Version: "v1.2.0", Revision: "3861cd0abcdef0123456789abcdef0123456789a", Modified: true}},
		{"no vcs, linker revision", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "abc", "", Info{Version: "(devel)", Revision: "abc"}},
		{"unparsable modified is ignored", vcs, "", "", "dirty", Info{Version: vcs.Main.Version, Revision: "3861cd0abcdef0123456789abcdef0123456789a", Modified: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(tc.bi, tc.ver, tc.rev, tc.mod)
			got.GoVersion, got.Platform = "", ""
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("get() (-want +got):\n%s", d)
			}
		})
	}
}

func TestStringAndLog(t *testing.T) {
	i := Info{Version: "v1.2.0", Revision: "abc", Modified: true, GoVersion: "go1.26.8", Platform: "linux/amd64"}
	if got, want := i.String(), "iis v1.2.0, commit abc (modified), go1.26.8 linux/amd64"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().EmbedObject(i).Msg("start")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["version"] != "v1.2.0" || line["commit"] != "abc" || line["modified"] != true {
		t.Errorf("log line %s lacks version, commit or modified", buf.String())
	}
}
