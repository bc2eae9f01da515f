package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	register("version", "print the version and commit this binary was built from", runVersion)
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	f := newFlags("version", stderr)
	f.BoolVar(&asJSON, "json", false, "print a JSON object (version, revision, modified, go, platform)")
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", f.Args())
	}
	i := version.Get()
	if asJSON {
		return json.NewEncoder(stdout).Encode(i)
	}
	_, err := fmt.Fprintln(stdout, i)
	return err
}
