package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"
)

// entry is one file or directory of a layer.
type entry struct {
	name     string // without a leading slash
	mode     int64
	uid, gid int
	dir      bool
	body     []byte
	open     func() (io.ReadCloser, error) // large files, streamed
	size     int64
}

// baseEntries is the root file system under the binary: what distroless'
// static image offers a Go program, and nothing to run but the binary (no
// shell, no package manager).
func baseEntries(caCerts []byte) []entry {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", UserName, UID, GID, UserName, WorkDir)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, GID)
	return []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, body: []byte("hosts: files dns\n")},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: CACertsPath[1:], mode: 0o644, body: caCerts},
		{name: "home/", mode: 0o755, dir: true},
		{name: WorkDir[1:] + "/", mode: 0o700, uid: UID, gid: GID, dir: true},
		{name: "root/", mode: 0o700, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
}

// binaryEntry is the iis binary: owned by root and not writable by the
// user it runs as.
func binaryEntry(path string) (entry, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return entry{}, err
	}
	return entry{
		name: Entrypoint[1:], mode: 0o555, size: fi.Size(),
		open: func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// layerTar writes entries as a tar stream with every time set to mtime,
// so that the same inputs give the same layer digest.
func layerTar(w io.Writer, mtime time.Time, entries []entry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: mtime,
			Typeflag: tar.TypeReg, Size: int64(len(e.body)),
		}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if e.open != nil {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("tar %s: %w", e.name, err)
		}
		if err := writeBody(tw, e); err != nil {
			return fmt.Errorf("tar %s: %w", e.name, err)
		}
	}
	return tw.Close()
}

func writeBody(w io.Writer, e entry) error {
	if e.open == nil {
		_, err := io.Copy(w, bytes.NewReader(e.body))
		return err
	}
	r, err := e.open()
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := io.Copy(w, r)
	if err == nil && n != e.size {
		err = fmt.Errorf("size changed while writing: %d, want %d", n, e.size)
	}
	return err
}
