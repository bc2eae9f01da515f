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
	register("directory", "import users, groups and identity links from a file into the store (`directory import FILE`)", runDirectory)
}

// directoryUsage documents the command and the file it reads.
const directoryUsage = `usage: iis directory import [-store URL] [-replace] FILE

Creates or updates the users of FILE (by user_name), creates the groups they
name and adds them to those groups, and links the identities they list. A
second import adds to the first; -replace makes each group named in FILE hold
exactly the users that list it. What an import takes away runs the cascades
as a SCIM change does: a user set inactive is locked and reported to the
leaver cascade, members removed by -replace to the mover cascade (the identity
events go through the store's outbox: a running iis dev or iis scim publishes
them). Users are never deleted. Prints every change.

FILE (YAML):
  users:
    - user_name: alice@example.com          # required, unique
      display_name: Alice
      external_id: 00u1abcd                  # the provisioning IdP's id
      emails: [alice@example.com]            # the first is primary
      active: true                           # default true
      groups: [data-eng]
      identities:                            # issuer subjects that sign in as alice
        - {issuer: https://login.example.com, subject: "248289761001"}
`

func runDirectory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New(directoryUsage)
	}
	var (
		dataDir, st, identityTopic, auditTopic string
		replace                                bool
	)
	f := newFlags("directory import", stderr)
	f.String(&dataDir, "data-dir", "IIS_DATA_DIR", ".iis", "directory for local state (the SQLite store)")
	f.String(&st, "store", "IIS_STORE", "", "store URL (default: SQLite in -data-dir)")
	f.Bool(&replace, "replace", "IIS_DIRECTORY_REPLACE", false, "make each group in FILE hold exactly its users there (default: add them)")
	f.String(&identityTopic, "identity-topic", "IIS_IDENTITY_TOPIC", "iis-identity", "topic of the identity events of deactivations and removals")
	f.String(&auditTopic, "audit-topic", "IIS_AUDIT_TOPIC", "iis-audit", "audit topic")
	f.Usage(directoryUsage)
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return errors.New(directoryUsage)
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
	r, err := directory.Import(ctx, s, file, directory.ImportOptions{Replace: replace, IdentityTopic: identityTopic, AuditTopic: auditTopic})
	if err != nil {
		return err
	}
	changes := r.Changes()
	for _, c := range changes {
		fmt.Fprintln(stdout, c)
	}
	fmt.Fprintf(stdout, "%d changes to %s\n", len(changes), storeopen.Redact(st))
	return nil
}
