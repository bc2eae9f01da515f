package ociimage

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerfile parses the repository's Dockerfile with BuildKit's own parser
// and linter (the rules `docker build --check` applies while parsing);
// every lint warning fails the test.
func dockerfile(t *testing.T) (stages []instructions.Stage, meta []instructions.ArgCommand) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("parser.Parse(Dockerfile): %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile:%d: %s", w.Location.Start.Line, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		t.Errorf("Dockerfile:%d: %s: %s", line, rule, msg)
	}})
	stages, meta, err = instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("instructions.Parse(Dockerfile): %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a runtime stage", len(stages))
	}
	return stages, meta
}

// TestDockerfileRuntimeStage checks that the image the Dockerfile builds
// keeps the same runtime contract as the one `make image` builds.
func TestDockerfileRuntimeStage(t *testing.T) {
	stages, _ := dockerfile(t)
	final := stages[len(stages)-1]
	if !strings.HasPrefix(final.BaseName, "gcr.io/distroless/static") && final.BaseName != "scratch" {
		t.Errorf("runtime stage FROM %s, want distroless static or scratch", final.BaseName)
	}
	var (
		user, workdir string
		entrypoint    *instructions.EntrypointCommand
		env           = map[string]string{}
		labels        = map[string]string{}
		args          = map[string]bool{}
		exposed       []string
		copies        []*instructions.CopyCommand
	)
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.WorkdirCommand:
			workdir = c.Path
		case *instructions.EntrypointCommand:
			entrypoint = c
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = kv.Value
			}
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				args[a.Key] = true
			}
		case *instructions.ExposeCommand:
			exposed = append(exposed, c.Ports...)
		case *instructions.CopyCommand:
			copies = append(copies, c)
		case *instructions.RunCommand:
			t.Errorf("runtime stage runs %q: the base has no shell, and the image must hold only the binary", c.String())
		}
	}
	if user != User {
		t.Errorf("USER %q, want %q (non-root, numeric)", user, User)
	}
	if workdir != WorkDir {
		t.Errorf("WORKDIR %q, want %q", workdir, WorkDir)
	}
	if entrypoint == nil || entrypoint.PrependShell || !slices.Equal(entrypoint.CmdLine, []string{Entrypoint}) {
		t.Errorf("ENTRYPOINT %v, want the exec form [%q]", entrypoint, Entrypoint)
	}
	if env["PORT"] != Port || !slices.Contains(exposed, Port) {
		t.Errorf("ENV PORT=%q, EXPOSE %v; want %s for both", env["PORT"], exposed, Port)
	}
	for _, k := range []string{LabelTitle, LabelVersion, LabelRevision} {
		v, ok := labels[k]
		if !ok {
			t.Errorf("no LABEL %s", k)
			continue
		}
		// A label built from an ARG that the stage does not declare is empty.
		for _, m := range regexp.MustCompile(`\$\{?(\w+)`).FindAllStringSubmatch(v, -1) {
			if !args[m[1]] {
				t.Errorf("LABEL %s=%s uses ARG %s, which the runtime stage does not declare", k, v, m[1])
			}
		}
	}
	if len(copies) != 1 || copies[0].From != stages[0].Name || !slices.Equal(copies[0].SourcePaths, []string{"/out/iis"}) ||
		copies[0].DestPath != Entrypoint || copies[0].Chmod != "0555" || copies[0].Chown != "0:0" {
		t.Errorf("runtime stage copies %v; want only COPY --from=%s --chown=0:0 --chmod=0555 /out/iis %s", copies, stages[0].Name, Entrypoint)
	}
}

// TestDockerfileBuildStage checks that the Dockerfile builds the binary
// exactly as `make image` does (Build.Args), on the Go of go.mod.
func TestDockerfileBuildStage(t *testing.T) {
	stages, meta := dockerfile(t)
	build := stages[0]
	goMod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	var goVersion string
	for _, a := range meta {
		for _, kv := range a.Args {
			if kv.Key == "GO_VERSION" && kv.Value != nil {
				goVersion = *kv.Value
			}
		}
	}
	if goLine == nil || goVersion != string(goLine[1]) || !strings.HasPrefix(build.BaseName, "golang:${GO_VERSION}") {
		t.Errorf("build stage FROM %s with GO_VERSION=%q; want golang:${GO_VERSION} with the go.mod version %s", build.BaseName, goVersion, goLine)
	}

	vars := shell.EnvsFromSlice([]string{"VERSION=v9.9.9", "REVISION=0123abc", "MODIFIED=true", "TARGETARCH=amd64"})
	want := append([]string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "go"},
		Build{Out: "/out/iis", Version: "v9.9.9", Revision: "0123abc", Modified: true}.Args()...)
	var found bool
	for _, c := range build.Commands {
		run, ok := c.(*instructions.RunCommand)
		if !ok || len(run.CmdLine) != 1 || !strings.Contains(run.CmdLine[0], "go build") {
			continue
		}
		found = true
		words, err := shell.NewLex('\\').ProcessWords(run.CmdLine[0], vars)
		if err != nil {
			t.Fatalf("lexing %q: %v", run.CmdLine[0], err)
		}
		if d := cmp.Diff(want, words); d != "" {
			t.Errorf("the Dockerfile's go build differs from Build.Args (-want +got):\n%s", d)
		}
	}
	if !found {
		t.Error("the build stage has no RUN ... go build")
	}
}

// TestDockerignore keeps local state, build output and the repository's
// history out of the build context.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, p := range []string{".git", ".iis", "bin"} {
		if !slices.Contains(lines, p) {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
}
