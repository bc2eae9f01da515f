package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dataproc-iis/iis/events"
)

// Dir is an Archive in a local directory: for development, or a mount that
// someone else keeps (the files are written 0444 and never replaced).
type Dir struct{ Path string }

var _ Archive = Dir{}

func (d Dir) String() string { return d.Path }

// Put implements Archive: the file is written under a temporary name and
// linked into place, so that a reader never sees half a checkpoint and an
// existing one is never replaced.
func (d Dir) Put(_ context.Context, c events.Checkpoint) (string, error) {
	name, err := objectName(c)
	if err != nil {
		return "", err
	}
	b, err := encode(c)
	if err != nil {
		return "", err
	}
	path := filepath.Join(d.Path, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", fmt.Errorf("checkpoint: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("checkpoint: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("checkpoint: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", ErrExists
		}
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	return path, nil
}

// Latest implements Archive.
func (d Dir) Latest(_ context.Context, chainID string, n int) ([]Entry, error) {
	if !chainIDPattern.MatchString(chainID) {
		return nil, fmt.Errorf("checkpoint: chain id %q is not valid", chainID)
	}
	dir := filepath.Join(d.Path, chainID)
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var names []string
	for _, de := range des {
		if !de.IsDir() && strings.HasSuffix(de.Name(), ".json") && !strings.HasPrefix(de.Name(), ".") {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	var out []Entry
	for _, name := range names {
		if n > 0 && len(out) == n {
			break
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			out = append(out, Entry{Location: path, Err: err})
			continue
		}
		out = append(out, decode(path, chainID+"/"+name, b))
	}
	return out, nil
}

// Chains implements Archive.
func (d Dir) Chains(context.Context) ([]string, error) {
	des, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ids []string
	for _, de := range des {
		if de.IsDir() && chainIDPattern.MatchString(de.Name()) {
			ids = append(ids, de.Name())
		}
	}
	return ids, nil
}
