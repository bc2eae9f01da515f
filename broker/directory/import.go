package directory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/dataproc-iis/iis/broker/store"
)

// File is a directory file: users and the groups they belong to. It is for
// trying the broker out and for tests; production directories come from
// SCIM.
type File struct {
	Users []FileUser `yaml:"users"`
}

// FileUser is one user of a directory file.
type FileUser struct {
	UserName    string   `yaml:"user_name"`
	DisplayName string   `yaml:"display_name"`
	Emails      []string `yaml:"emails"`
	Active      *bool    `yaml:"active"` // default true
	Groups      []string `yaml:"groups"`
}

// Load reads a directory file, refusing unknown fields.
func Load(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	for i, u := range f.Users {
		if u.UserName == "" {
			return File{}, fmt.Errorf("%s: user %d has no user_name", path, i+1)
		}
	}
	return f, nil
}

// Import writes f into the store in one transaction: users are created or
// updated by user name, groups by name, and each named group's members are
// set to exactly the users that list it. It returns how many users and
// groups it wrote.
func Import(ctx context.Context, st store.Store, f File) (users, groups int, err error) {
	members := map[string][]string{}
	err = st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		users, groups = 0, 0
		clear(members)
		for _, fu := range f.Users {
			u, err := tx.GetUserByName(ctx, fu.UserName)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			u.UserName, u.DisplayName = fu.UserName, fu.DisplayName
			u.Active = fu.Active == nil || *fu.Active
			u.Emails = nil
			for i, e := range fu.Emails {
				u.Emails = append(u.Emails, store.Email{Value: e, Type: "work", Primary: i == 0})
			}
			if u, err = tx.PutUser(ctx, u); err != nil {
				return fmt.Errorf("user %s: %w", fu.UserName, err)
			}
			users++
			for _, g := range fu.Groups {
				members[g] = append(members[g], u.ID)
			}
		}
		names := make([]string, 0, len(members))
		for n := range members {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			g, err := tx.GetGroupByName(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				g, err = tx.PutGroup(ctx, store.Group{DisplayName: name})
			}
			if err != nil {
				return fmt.Errorf("group %s: %w", name, err)
			}
			if _, _, err := tx.SetMembers(ctx, g.ID, members[name]); err != nil {
				return fmt.Errorf("group %s: %w", name, err)
			}
			groups++
		}
		return nil
	})
	return users, groups, err
}
