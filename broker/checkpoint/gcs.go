package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/dataproc-iis/iis/events"
)

// GCS is an Archive in a Cloud Storage bucket. In production the bucket has
// a retention policy (deploy/), so that nobody, the broker included, can
// delete or replace a checkpoint before it expires; Put also writes with a
// does-not-exist precondition, so that a second writer of the same seq gets
// ErrExists instead of overwriting.
type GCS struct {
	Bucket *storage.BucketHandle
	Name   string // the bucket's name, for String
	Prefix string // object name prefix, "" or ending in "/"
}

var _ Archive = GCS{}

// ParseGCS splits "gs://bucket/prefix/" into bucket and prefix (the prefix
// gets a trailing "/" if it has none).
func ParseGCS(url string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(url, "gs://")
	if !ok {
		return "", "", fmt.Errorf("checkpoint: %q is not a gs:// URL", url)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("checkpoint: %q names no bucket", url)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, nil
}

func (g GCS) String() string { return "gs://" + g.Name + "/" + g.Prefix }

// Put implements Archive.
func (g GCS) Put(ctx context.Context, c events.Checkpoint) (string, error) {
	name, err := objectName(c)
	if err != nil {
		return "", err
	}
	b, err := encode(c)
	if err != nil {
		return "", err
	}
	obj := g.Bucket.Object(g.Prefix + name).If(storage.Conditions{DoesNotExist: true})
	w := obj.NewWriter(ctx)
	w.ContentType = "application/json"
	if _, err := w.Write(b); err != nil {
		_ = w.Close()
		return "", fmt.Errorf("storage.Writer.Write: %w", err)
	}
	if err := w.Close(); err != nil {
		var ge *googleapi.Error
		if errors.As(err, &ge) && ge.Code == http.StatusPreconditionFailed {
			return "", ErrExists
		}
		return "", fmt.Errorf("storage.Writer.Close: %w", err)
	}
	return "gs://" + g.Name + "/" + g.Prefix + name, nil
}

// Latest implements Archive.
func (g GCS) Latest(ctx context.Context, chainID string, n int) ([]Entry, error) {
	if !chainIDPattern.MatchString(chainID) {
		return nil, fmt.Errorf("checkpoint: chain id %q is not valid", chainID)
	}
	it := g.Bucket.Objects(ctx, &storage.Query{Prefix: g.Prefix + chainID + "/"})
	var out []Entry
	for n <= 0 || len(out) < n {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("storage.Bucket.Objects: %w", err)
		}
		if !strings.HasSuffix(attrs.Name, ".json") {
			continue
		}
		loc := "gs://" + g.Name + "/" + attrs.Name
		r, err := g.Bucket.Object(attrs.Name).NewReader(ctx)
		if err != nil {
			out = append(out, Entry{Location: loc, Err: fmt.Errorf("storage.Object.NewReader: %w", err)})
			continue
		}
		b, err := io.ReadAll(io.LimitReader(r, 64<<10))
		_ = r.Close()
		if err != nil {
			out = append(out, Entry{Location: loc, Err: fmt.Errorf("storage.Reader: %w", err)})
			continue
		}
		out = append(out, decode(loc, strings.TrimPrefix(attrs.Name, g.Prefix), b))
	}
	return out, nil
}

// Chains implements Archive.
func (g GCS) Chains(ctx context.Context) ([]string, error) {
	it := g.Bucket.Objects(ctx, &storage.Query{Prefix: g.Prefix, Delimiter: "/"})
	var ids []string
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("storage.Bucket.Objects: %w", err)
		}
		if id := strings.TrimSuffix(strings.TrimPrefix(attrs.Prefix, g.Prefix), "/"); attrs.Prefix != "" && chainIDPattern.MatchString(id) {
			ids = append(ids, id)
		}
	}
}
