package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
)

func init() {
	register("directory", "import users and groups from a file into the store (`directory import FILE`)", runDirectory)
}

func runDirectory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New("usage: iis directory import [-store URL] FILE")
	}
	var dataDir, st string
	f := newFlags("directory import", stderr)
	f.String(&dataDir, "data-dir", "IIS_DATA_DIR", ".iis", "directory for local state (the SQLite store)")
	f.String(&st, "store", "IIS_STORE", "", "store URL (default: SQLite in -data-dir)")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return errors.New("usage: iis directory import [-store URL] FILE")
	}
	if st == "" {
		st = filepath.Join(dataDir, "iis.db")
	}
	file, err := directory.Load(f.Arg(0))
	if err != nil {
		return err
	}
	s, err := storeopen.Open(ctx, st)
	if err != nil {
		return err
	}
	defer s.Close()
	users, groups, err := directory.Import(ctx, s, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d users and %d groups into %s\n", users, groups, storeopen.Redact(st))
	return nil
}
