package checkpoint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/events"
)

// gcsArchive serves a bucket from fake-gcs-server (a GCS-compatible
// stand-in speaking the JSON API on a local port) and opens it through
// Google's client, as a gs:// archive with an endpoint override.
func gcsArchive(t *testing.T) (checkpoint.Archive, *fakestorage.Server) {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "iis-audit-checkpoints"})
	a, closeFn, err := checkpoint.Open(context.Background(), "gs://iis-audit-checkpoints/prod",
		checkpoint.StorageConfig{Endpoint: srv.URL() + "/storage/v1/", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	return a, srv
}

func at(c events.Checkpoint, seq int64) events.Checkpoint {
	c.Seq, c.Count = seq, seq
	return c
}

// TestArchives runs the same checks on the directory and the GCS archive.
func TestArchives(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) (checkpoint.Archive, func(name string, b []byte)){
		"dir": func(t *testing.T) (checkpoint.Archive, func(string, []byte)) {
			d := checkpoint.Dir{Path: t.TempDir()}
			return d, func(name string, b []byte) {
				p := filepath.Join(d.Path, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		},
		"gcs": func(t *testing.T) (checkpoint.Archive, func(string, []byte)) {
			a, srv := gcsArchive(t)
			return a, func(name string, b []byte) {
				srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "iis-audit-checkpoints", Name: "prod/" + name}, Content: b})
			}
		},
	} {
		t.Run(name, func(t *testing.T) { testArchive(t, open) })
	}
}

func testArchive(t *testing.T, open func(t *testing.T) (checkpoint.Archive, func(name string, b []byte))) {
	ctx := context.Background()
	a, plant := open(t)
	c := fixed()
	if got, err := a.Latest(ctx, c.ChainID, 10); err != nil || len(got) != 0 {
		t.Fatalf("Latest(empty) = %v, %v", got, err)
	}
	var locs []string
	for _, seq := range []int64{5, 120, 9, 1000} {
		loc, err := a.Put(ctx, at(c, seq))
		if err != nil {
			t.Fatalf("Put(seq %d) = %v", seq, err)
		}
		locs = append(locs, loc)
	}
	if !strings.Contains(locs[1], c.ChainID) || !strings.HasSuffix(locs[1], "-seq120.json") {
		t.Errorf("Put() location = %s, want it under the chain id, naming the seq", locs[1])
	}
	again := at(c, 120)
	again.Hash = strings.Repeat("f", 64)
	if _, err := a.Put(ctx, again); !errors.Is(err, checkpoint.ErrExists) {
		t.Errorf("Put(seq 120 again) = %v, want ErrExists: an archived checkpoint is never replaced", err)
	}
	got, err := a.Latest(ctx, c.ChainID, 3)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, e := range got {
		if e.Err != nil {
			t.Errorf("Latest() entry %s: %v", e.Location, e.Err)
		}
		seqs = append(seqs, e.Checkpoint.Seq)
	}
	if want := []int64{1000, 120, 9}; !equal(seqs, want) {
		t.Errorf("Latest(3) seqs = %v, want %v (newest first)", seqs, want)
	}
	if got[1].Checkpoint.Hash != c.Hash {
		t.Errorf("the checkpoint at seq 120 was replaced: hash %s", got[1].Checkpoint.Hash)
	}

	other := c
	other.ChainID = "aaaaaaaa-0000-4000-8000-000000000000"
	if _, err := a.Put(ctx, at(other, 3)); err != nil {
		t.Fatal(err)
	}
	chains, err := a.Chains(ctx)
	if err != nil || len(chains) != 2 {
		t.Errorf("Chains() = %v, %v; want both chains", chains, err)
	}

	// Objects someone else put there are returned with an error, never skipped.
	plant(c.ChainID+"/0000000000000000000-seq9223372036854775807.json", []byte("{not json"))
	moved := at(c, 7)
	b, _ := jsonOf(moved)
	plant(c.ChainID+"/0000000000000000001-seq9223372036854775806.json", b)
	got, err = a.Latest(ctx, c.ChainID, 2)
	if err != nil || len(got) != 2 || got[0].Err == nil || got[1].Err == nil {
		t.Errorf("Latest() with a corrupt and a misfiled object = %+v, %v; want both with an error", got, err)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
