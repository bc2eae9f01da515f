package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dataproc-iis/iis/broker/store"
)

// File is a directory file: users, the groups they belong to and the
// identities that sign in as them. It is for trying the broker out, for
// tests and for linking issuers' subjects to users; production directories
// come from SCIM.
//
//	users:
//	  - user_name: alice@example.com          # required, unique
//	    display_name: Alice
//	    given_name: Alice                      # the SCIM name (formatted: the two joined)
//	    family_name: Martin
//	    external_id: 00u1abcd                  # the provisioning IdP's id (link external_id)
//	    emails: [alice@example.com]            # the first is primary
//	    active: true                           # default true
//	    groups: [data-eng]                     # added to; -replace sets exactly
//	    identities:                            # link identity_link: these subjects are alice
//	      - {issuer: https://login.example.com, subject: 248289761001}
//	  - user_name: etl-bot@example.iam.gserviceaccount.com
//	    user_type: workload                    # SCIM userType: a bot, not a person
//	    manager: alice@example.com             # its owner (SCIM enterprise manager): never its approver
type File struct {
	Users []FileUser `yaml:"users"`
}

// FileUser is one user of a directory file.
type FileUser struct {
	UserName    string `yaml:"user_name"`
	DisplayName string `yaml:"display_name"`
	// GivenName, FamilyName and Formatted (default: the two joined) are the
	// user's SCIM name; an IdP's own SCIM test expects one.
	GivenName  string         `yaml:"given_name"`
	FamilyName string         `yaml:"family_name"`
	Formatted  string         `yaml:"formatted"`
	ExternalID string         `yaml:"external_id"`
	Emails     []string       `yaml:"emails"`
	Active     *bool          `yaml:"active"` // default true
	Groups     []string       `yaml:"groups"`
	Identities []FileIdentity `yaml:"identities"`
	// UserType is the SCIM userType ("workload" for a bot); Manager the
	// user name of the user's manager, a workload's owner (SCIM
	// enterprise manager), who may not approve its requests.
	UserType string `yaml:"user_type"`
	Manager  string `yaml:"manager"`
}

// FileIdentity is an issuer's subject that signs in as the user.
type FileIdentity struct {
	Issuer  string `yaml:"issuer"`
	Subject string `yaml:"subject"`
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
		if strings.TrimSpace(u.UserName) == "" {
			return File{}, fmt.Errorf("%s: user %d has no user_name", path, i+1)
		}
		for _, id := range u.Identities {
			if id.Issuer == "" || id.Subject == "" {
				return File{}, fmt.Errorf("%s: user %s: an identity needs an issuer and a subject", path, u.UserName)
			}
		}
	}
	return f, nil
}

// ImportOptions tune Import.
type ImportOptions struct {
	// Replace makes each group named in the file hold exactly the users
	// that list it (removing the others); by default they are added.
	Replace bool
	// IdentityTopic and AuditTopic receive the identity events of what the
	// import takes away (a user set inactive, members removed), as SCIM's
	// changes do; defaults iis-identity and iis-audit. Source is their
	// CloudEvents source.
	IdentityTopic, AuditTopic, Source string
}

// Report says what an import changed.
type Report struct {
	UsersCreated, UsersUpdated []string
	UsersDeactivated           []string // locked, and reported to the leaver cascade
	GroupsCreated              []string
	MembersAdded               map[string][]string // group -> user names
	MembersRemoved             map[string][]string // group -> user names (Replace only)
	IdentitiesLinked           []string            // "issuer#subject -> user"
}

// Changes is the report in lines, for people.
func (r Report) Changes() []string {
	var out []string
	add := func(verb string, items []string) {
		for _, it := range items {
			out = append(out, verb+" "+it)
		}
	}
	add("created user", r.UsersCreated)
	add("updated user", r.UsersUpdated)
	add("deactivated and locked (the leaver cascade runs)", r.UsersDeactivated)
	add("created group", r.GroupsCreated)
	for _, g := range sortedKeys(r.MembersAdded) {
		add("added to "+g+":", r.MembersAdded[g])
	}
	for _, g := range sortedKeys(r.MembersRemoved) {
		add("removed from "+g+":", r.MembersRemoved[g])
	}
	add("linked", r.IdentitiesLinked)
	return out
}

// Import writes f into the store in one transaction: users are created or
// updated by user name (their groups are not touched by an update), groups
// are created by name and given the users that list them, and identities
// are linked. Without opts.Replace a second import adds to what a first one
// made; with it each named group holds exactly the file's users. Users are
// never deleted: leavers go through SCIM, which runs the cascade.
func Import(ctx context.Context, st store.Store, f File, opts ImportOptions) (Report, error) {
	var r Report
	err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		r = Report{MembersAdded: map[string][]string{}, MembersRemoved: map[string][]string{}}
		members := map[string][]string{}
		names := map[string]string{} // user id -> name
		for _, fu := range f.Users {
			u, err := putFileUser(ctx, tx, fu, opts, &r)
			if err != nil {
				return fmt.Errorf("user %s: %w", fu.UserName, err)
			}
			names[u.ID] = u.UserName
			for _, g := range fu.Groups {
				members[g] = append(members[g], u.ID)
			}
			for _, id := range fu.Identities {
				cur, err := tx.FindUserByIdentity(ctx, id.Issuer, id.Subject)
				if err == nil && cur.ID == u.ID {
					continue // linked already
				}
				if err := tx.LinkIdentity(ctx, id.Issuer, id.Subject, u.ID); err != nil {
					return fmt.Errorf("user %s: identity %s#%s: %w", fu.UserName, id.Issuer, id.Subject, err)
				}
				line := id.Issuer + "#" + id.Subject + " -> " + u.UserName
				if err == nil {
					line += " (moved from " + cur.UserName + ")"
				}
				r.IdentitiesLinked = append(r.IdentitiesLinked, line)
			}
		}
		for _, name := range sortedKeys(members) {
			if err := importGroup(ctx, tx, name, members[name], names, opts, &r); err != nil {
				return fmt.Errorf("group %s: %w", name, err)
			}
		}
		return linkManagers(ctx, tx, f, &r)
	})
	return r, err
}

func putFileUser(ctx context.Context, tx store.Tx, fu FileUser, opts ImportOptions, r *Report) (store.User, error) {
	name := strings.TrimSpace(fu.UserName)
	u, err := tx.GetUserByName(ctx, name)
	created := errors.Is(err, store.ErrNotFound)
	if err != nil && !created {
		return u, err
	}
	old := u
	u.UserName, u.DisplayName, u.ExternalID = name, fu.DisplayName, fu.ExternalID
	u.Active = fu.Active == nil || *fu.Active
	u.Emails = nil
	for i, e := range fu.Emails {
		u.Emails = append(u.Emails, store.Email{Value: strings.TrimSpace(e), Type: "work", Primary: i == 0})
	}
	if u.Attributes, err = resource(u, fu); err != nil {
		return u, err
	}
	if !created && sameUser(old, u) {
		return old, nil
	}
	if u, err = tx.PutUser(ctx, u); err != nil {
		return u, err
	}
	if created {
		r.UsersCreated = append(r.UsersCreated, u.UserName)
		return u, nil
	}
	r.UsersUpdated = append(r.UsersUpdated, u.UserName)
	if old.Active && !u.Active {
		// A leaver: locked and reported, so that the cascade runs.
		r.UsersDeactivated = append(r.UsersDeactivated, u.UserName)
		return u, opts.deactivated(ctx, tx, u)
	}
	return u, nil
}

// sameUser reports whether an import leaves a stored user as it is.
func sameUser(a, b store.User) bool {
	return a.UserName == b.UserName && a.DisplayName == b.DisplayName && a.ExternalID == b.ExternalID &&
		a.Active == b.Active && slices.Equal(a.Emails, b.Emails) && bytes.Equal(a.Attributes, b.Attributes)
}

func importGroup(ctx context.Context, tx store.Tx, name string, ids []string, names map[string]string, opts ImportOptions, r *Report) error {
	g, err := tx.GetGroupByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		g, err = tx.PutGroup(ctx, store.Group{DisplayName: name})
		r.GroupsCreated = append(r.GroupsCreated, name)
	}
	if err != nil {
		return err
	}
	var added, removed []string
	if opts.Replace {
		added, removed, err = tx.SetMembers(ctx, g.ID, ids)
	} else {
		added, err = tx.AddMembers(ctx, g.ID, ids...)
	}
	if err != nil {
		return err
	}
	for _, id := range added {
		r.MembersAdded[name] = append(r.MembersAdded[name], nameOf(ctx, tx, id, names))
	}
	for _, id := range removed {
		r.MembersRemoved[name] = append(r.MembersRemoved[name], nameOf(ctx, tx, id, names))
	}
	if err := opts.removed(ctx, tx, g, removed, names); err != nil { // movers: the cascade re-checks their grants
		return err
	}
	slices.Sort(r.MembersAdded[name])
	slices.Sort(r.MembersRemoved[name])
	return nil
}

// nameOf names a user for the report (one the file does not list is read).
func nameOf(ctx context.Context, tx store.Tx, id string, names map[string]string) string {
	if n, ok := names[id]; ok {
		return n
	}
	if u, err := tx.GetUser(ctx, id); err == nil {
		return u.UserName
	}
	return id
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// resource returns the SCIM resource of an imported user: what it held
// (a user SCIM provisioned keeps its other attributes), with the name and
// e-mail addresses of the file, so that the resource the SCIM endpoint
// serves and filters read agrees with the file.
func resource(u store.User, fu FileUser) (json.RawMessage, error) {
	m := map[string]any{}
	if len(u.Attributes) > 0 {
		if err := json.Unmarshal(u.Attributes, &m); err != nil || m == nil {
			return nil, fmt.Errorf("stored attributes: not a JSON object")
		}
	}
	m["userName"], m["active"] = u.UserName, u.Active
	if fu.UserType != "" {
		m["userType"] = fu.UserType
	}
	for k, v := range map[string]string{"displayName": u.DisplayName, "externalId": u.ExternalID} {
		if v != "" {
			m[k] = v
		} else {
			delete(m, k)
		}
	}
	delete(m, "emails")
	if len(u.Emails) > 0 {
		emails := make([]any, len(u.Emails))
		for i, e := range u.Emails {
			el := map[string]any{"value": e.Value, "type": e.Type}
			if e.Primary {
				el["primary"] = true
			}
			emails[i] = el
		}
		m["emails"] = emails
	}
	if fu.GivenName != "" || fu.FamilyName != "" || fu.Formatted != "" {
		name := map[string]any{}
		for k, v := range map[string]string{"givenName": fu.GivenName, "familyName": fu.FamilyName} {
			if v != "" {
				name[k] = v
			}
		}
		formatted := fu.Formatted
		if formatted == "" {
			formatted = strings.TrimSpace(fu.GivenName + " " + fu.FamilyName)
		}
		name["formatted"] = formatted
		m["name"] = name
	}
	return json.Marshal(m)
}
