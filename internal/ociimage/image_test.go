package ociimage

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/x509"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestMakeImage runs `make image` as a user would, then reads back what it
// wrote (the OCI layout and the tarball) and checks the image's contract:
// config (non-root user, entrypoint, port, labels), file system (a static
// /iis built with the release flags, a user to run as, CA certificates,
// nothing else to execute) and, as root, that the binary runs inside that
// file system alone as that user: `iis version`, then `iis dev` answering
// /readyz and stopping cleanly on SIGTERM.
func TestMakeImage(t *testing.T) {
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("`make image` needs %s: %v", tool, err)
		}
	}
	root, dir := repoRoot(t), t.TempDir()
	rev := strings.TrimSpace(run(t, root, "git", "rev-parse", "HEAD"))
	layoutDir, tarPath := filepath.Join(dir, "layout"), filepath.Join(dir, "iis.tar")
	run(t, root, "make", "-s", "image", "GO="+goTool(), "IMAGE_LAYOUT="+layoutDir, "IMAGE_TAR="+tarPath)

	idx, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		t.Fatalf("layout.ImageIndexFromPath: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("OCI layout index: %v, %d manifests, want 1", err, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, img, cf, rev)
	if got := im.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != cf.Config.Labels[LabelVersion] {
		t.Errorf("layout ref.name %q, want the version label %q", got, cf.Config.Labels[LabelVersion])
	}
	checkTarball(t, tarPath, img)

	rootfs := filepath.Join(dir, "rootfs")
	files := extract(t, img, rootfs)
	checkFiles(t, files, rootfs)
	checkBinary(t, filepath.Join(rootfs, "iis"))
	checkVersion(t, exec.Command(filepath.Join(rootfs, "iis"), "version", "-json"), cf)
	if os.Geteuid() != 0 {
		t.Skip("running /iis inside the image's file system needs root (chroot); the rest passed")
	}
	checkRuns(t, rootfs, cf)
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func checkConfig(t *testing.T, img v1.Image, cf *v1.ConfigFile, rev string) {
	t.Helper()
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if !slices.Equal(c.Entrypoint, []string{Entrypoint}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [%s] and no cmd", c.Entrypoint, c.Cmd, Entrypoint)
	}
	uid, _, _ := strings.Cut(c.User, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("user %q, want a numeric non-root uid", c.User)
	}
	if _, ok := c.ExposedPorts[Port+"/tcp"]; !ok || !slices.Contains(c.Env, "PORT="+Port) || c.WorkingDir != WorkDir {
		t.Errorf("ports %v env %v workdir %q, want %s/tcp, PORT=%s, %s", c.ExposedPorts, c.Env, c.WorkingDir, Port, Port, WorkDir)
	}
	if c.Labels[LabelRevision] != rev {
		t.Errorf("label %s = %q, want HEAD %s", LabelRevision, c.Labels[LabelRevision], rev)
	}
	if v := c.Labels[LabelVersion]; v == "" || !strings.HasPrefix(v, rev[:7]) && !regexp.MustCompile(`^v\d`).MatchString(v) {
		t.Errorf("label %s = %q, want git describe of HEAD", LabelVersion, v)
	}
	if _, err := time.Parse(time.RFC3339, c.Labels[LabelCreated]); err != nil {
		t.Errorf("label %s: %v", LabelCreated, err)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want %s", mt, types.OCIManifestSchema1)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 2 {
		t.Fatalf("layers: %v, %d, want 2 (base, binary)", err, len(layers))
	}
}

// checkTarball: the tarball holds the same config and layers as the layout
// (its manifest is Docker's, so its digest differs).
func checkTarball(t *testing.T, path string, want v1.Image) {
	t.Helper()
	got, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatalf("tarball.ImageFromPath: %v", err)
	}
	digests := func(img v1.Image) []v1.Hash {
		c, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		hs := []v1.Hash{c}
		for _, l := range ls {
			d, err := l.DiffID()
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, d)
		}
		return hs
	}
	if g, w := digests(got), digests(want); !slices.Equal(g, w) {
		t.Errorf("tarball config and layers %v, layout %v: want the same image", g, w)
	}
}

func checkFiles(t *testing.T, files map[string]*tar.Header, rootfs string) {
	t.Helper()
	bin := files[Entrypoint]
	if bin == nil || bin.Typeflag != tar.TypeReg || bin.Mode != 0o555 || bin.Uid != 0 {
		t.Fatalf("%s: %+v, want a regular file, mode 0555, owned by root (not writable by the user it runs as)", Entrypoint, bin)
	}
	for name, h := range files {
		if h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 && name != Entrypoint {
			t.Errorf("%s is executable: the image should hold nothing to run but %s", name, Entrypoint)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(rootfs, "etc", "passwd"))
	if err != nil || !strings.Contains(string(passwd), fmt.Sprintf("%s:x:%d:%d:", UserName, UID, GID)) {
		t.Errorf("/etc/passwd (%v):\n%s\nwant user %s with uid %d", err, passwd, UserName, UID)
	}
	if h := files[WorkDir]; h == nil || h.Uid != UID || h.Typeflag != tar.TypeDir {
		t.Errorf("%s: %+v, want a directory owned by %d", WorkDir, h, UID)
	}
	if h := files["/tmp"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp: %+v, want mode 1777", h)
	}
	pem, err := os.ReadFile(filepath.Join(rootfs, CACertsPath))
	if pool := x509.NewCertPool(); err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Errorf("%s: %v, want a PEM bundle of root certificates", CACertsPath, err)
	}
}

// checkBinary: static, and built the way Build.Args says.
func checkBinary(t *testing.T, path string) {
	t.Helper()
	if err := CheckStatic(path); err != nil {
		t.Error(err)
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("buildinfo.ReadFile: %v", err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for k, want := range map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "-trimpath": "true", "-tags": strings.Join(BuildTags, ",")} {
		if settings[k] != want {
			t.Errorf("binary built with %s=%q, want %q", k, settings[k], want)
		}
	}
}

// checkVersion: the binary reports the version and commit the labels name
// (-trimpath keeps -ldflags out of the build info, so ask the binary).
func checkVersion(t *testing.T, cmd *exec.Cmd, cf *v1.ConfigFile) {
	t.Helper()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	var v struct{ Version, Revision string }
	if err := json.Unmarshal(out, &v); err != nil || v.Version != cf.Config.Labels[LabelVersion] || v.Revision != cf.Config.Labels[LabelRevision] {
		t.Errorf("%s = %s (%v); want the labels' %s %s", cmd, out, err, cf.Config.Labels[LabelVersion], cf.Config.Labels[LabelRevision])
	}
}

// checkRuns starts /iis inside rootfs alone (chroot) as the image's user,
// with the image's environment, as a container runtime would.
func checkRuns(t *testing.T, rootfs string, cf *v1.ConfigFile) {
	t.Helper()
	cmd := func(ctx context.Context, args ...string) *exec.Cmd {
		c := exec.CommandContext(ctx, Entrypoint, args...)
		c.Path = Entrypoint // resolved inside the chroot, not here
		c.Dir = cf.Config.WorkingDir
		c.Env = append(slices.Clone(cf.Config.Env), "HOME="+WorkDir)
		c.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs, Credential: &syscall.Credential{Uid: UID, Gid: GID}}
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	checkVersion(t, cmd(ctx, "version", "-json"), cf)

	dev := cmd(ctx, "dev", "-pubsub-addr", "127.0.0.1:0", "-iam-addr", "127.0.0.1:0", "-dataproc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-log-format", "json")
	stderr, err := dev.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.Start(); err != nil {
		t.Fatalf("starting /iis dev in the image: %v", err)
	}
	var log strings.Builder
	health := regexp.MustCompile(`health\s+(http://\S+)/healthz`)
	var base string
	for sc := bufio.NewScanner(stderr); sc.Scan(); {
		log.WriteString(sc.Text() + "\n")
		if m := health.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if strings.Contains(sc.Text(), "dev broker running") {
			break
		}
	}
	if base == "" {
		dev.Process.Kill()
		t.Fatalf("iis dev in the image never became ready:\n%s\n%v", log.String(), dev.Wait())
	}
	go func() { // keep draining so the process never blocks on stderr
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
		}
	}()
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/readyz: %v %v, want 200", base, err, resp)
	}
	if resp != nil {
		resp.Body.Close()
		t.Logf("iis dev, alone in the image's file system as uid %d: GET %s/readyz %s", UID, base, resp.Status)
	}
	if err := dev.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := dev.Wait(); err != nil {
		t.Errorf("iis dev in the image after SIGTERM: %v, want a clean exit\n%s", err, log.String())
	}
}
