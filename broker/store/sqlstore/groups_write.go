package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// PutGroup implements store.Directory. On error it returns the zero Group.
func (t *tx) PutGroup(ctx context.Context, g store.Group) (store.Group, error) {
	g, err := t.putGroup(ctx, g)
	if err != nil {
		return store.Group{}, err
	}
	return g, nil
}

func (t *tx) putGroup(ctx context.Context, g store.Group) (store.Group, error) {
	const op = "sqlstore: PutGroup"
	switch {
	case strings.TrimSpace(g.DisplayName) == "":
		return g, invalid("PutGroup: empty displayName")
	case g.Version < 0:
		return g, invalid("PutGroup: negative version %d", g.Version)
	case g.Version > 0 && g.ID == "":
		return g, invalid("PutGroup: version %d without an id", g.Version)
	}
	if err := t.writable(op); err != nil {
		return g, err
	}
	members := sortedSet(g.Members)
	if err := t.usersExist(ctx, members); err != nil {
		return g, err
	}
	now := t.s.now()
	g.UpdatedAt = now
	if g.Version == 0 {
		if g.ID == "" {
			g.ID = newID()
		}
		g.Version, g.CreatedAt = 1, now
		n, err := t.execCount(ctx, op,
			`INSERT INTO dir_groups (id, display_name, display_name_key, external_id, version, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			g.ID, g.DisplayName, foldKey(g.DisplayName), g.ExternalID, g.Version, t.d().timeArg(now), t.d().timeArg(now))
		if err != nil {
			return g, err
		}
		if n == 0 {
			return g, conflict("PutGroup: group %q or displayName %q exists", g.ID, g.DisplayName)
		}
	} else {
		var other string
		found, err := t.queryRow(ctx, op, "SELECT id FROM dir_groups WHERE display_name_key = ? AND id <> ?",
			[]any{foldKey(g.DisplayName), g.ID}, &other)
		if err != nil {
			return g, err
		}
		if found {
			return g, conflict("PutGroup: displayName %q belongs to group %q", g.DisplayName, other)
		}
		var version int64
		found, err = t.queryRow(ctx, op, "SELECT version, created_at FROM dir_groups WHERE id = ?"+t.forUpdate(),
			[]any{g.ID}, &version, timeCol{&g.CreatedAt})
		switch {
		case err != nil:
			return g, err
		case !found:
			return g, notFound("PutGroup: group %q", g.ID)
		case version != g.Version:
			return g, conflict("PutGroup: group %q is at version %d, not %d", g.ID, version, g.Version)
		}
		g.Version++
		_, err = t.exec(ctx, op, `UPDATE dir_groups SET display_name = ?, display_name_key = ?, external_id = ?,
			version = ?, updated_at = ? WHERE id = ?`,
			g.DisplayName, foldKey(g.DisplayName), g.ExternalID, g.Version, t.d().timeArg(now), g.ID)
		if err != nil {
			return g, err
		}
	}
	if _, _, err := t.replaceMembers(ctx, g.ID, members); err != nil {
		return g, err
	}
	g.Members = members
	return g, nil
}

// DeleteGroup implements store.Directory.
func (t *tx) DeleteGroup(ctx context.Context, id string) error {
	const op = "sqlstore: DeleteGroup"
	if _, err := t.exec(ctx, op, "DELETE FROM dir_members WHERE group_id = ?", id); err != nil {
		return err
	}
	n, err := t.execCount(ctx, op, "DELETE FROM dir_groups WHERE id = ?", id)
	if err == nil && n == 0 {
		err = notFound("DeleteGroup: group %q", id)
	}
	return err
}

// SetMembers implements store.Directory.
func (t *tx) SetMembers(ctx context.Context, groupID string, userIDs []string) (added, removed []string, err error) {
	members := sortedSet(userIDs)
	if err := t.lockGroup(ctx, "SetMembers", groupID); err != nil {
		return nil, nil, err
	}
	if err := t.usersExist(ctx, members); err != nil {
		return nil, nil, err
	}
	if added, removed, err = t.replaceMembers(ctx, groupID, members); err != nil {
		return nil, nil, err
	}
	return added, removed, t.touchGroup(ctx, groupID, len(added)+len(removed))
}

// AddMembers implements store.Directory.
func (t *tx) AddMembers(ctx context.Context, groupID string, userIDs ...string) ([]string, error) {
	if err := t.lockGroup(ctx, "AddMembers", groupID); err != nil {
		return nil, err
	}
	add := sortedSet(userIDs)
	if err := t.usersExist(ctx, add); err != nil {
		return nil, err
	}
	current, err := t.members(ctx, groupID)
	if err != nil {
		return nil, err
	}
	added, _ := diff(current, add)
	if err := t.insertMembers(ctx, groupID, added); err != nil {
		return nil, err
	}
	return added, t.touchGroup(ctx, groupID, len(added))
}

// RemoveMembers implements store.Directory.
func (t *tx) RemoveMembers(ctx context.Context, groupID string, userIDs ...string) ([]string, error) {
	if err := t.lockGroup(ctx, "RemoveMembers", groupID); err != nil {
		return nil, err
	}
	current, err := t.members(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, id := range sortedSet(userIDs) {
		if _, ok := slices.BinarySearch(current, id); ok {
			removed = append(removed, id)
		}
	}
	if err := t.deleteMembers(ctx, groupID, removed); err != nil {
		return nil, err
	}
	return removed, t.touchGroup(ctx, groupID, len(removed))
}

// lockGroup checks that the group exists and, in Update, locks it so that
// membership changes to one group are serialised.
func (t *tx) lockGroup(ctx context.Context, method, groupID string) error {
	if err := t.writable("sqlstore: " + method); err != nil {
		return err
	}
	var v int64
	found, err := t.queryRow(ctx, "sqlstore: "+method, "SELECT version FROM dir_groups WHERE id = ?"+t.forUpdate(), []any{groupID}, &v)
	if err == nil && !found {
		err = notFound("%s: group %q", method, groupID)
	}
	return err
}

// touchGroup bumps the group's version if changes > 0.
func (t *tx) touchGroup(ctx context.Context, groupID string, changes int) error {
	if changes == 0 {
		return nil
	}
	_, err := t.exec(ctx, "sqlstore: touch group", "UPDATE dir_groups SET version = version + 1, updated_at = ? WHERE id = ?",
		t.d().timeArg(t.s.now()), groupID)
	return err
}

// members returns the group's member ids, sorted.
func (t *tx) members(ctx context.Context, groupID string) ([]string, error) {
	rows, err := t.query(ctx, "sqlstore: members", "SELECT user_id FROM dir_members WHERE group_id = ?", groupID)
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, scanString)
	if err != nil {
		return nil, t.d().Wrap("sqlstore: members", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// replaceMembers makes members (sorted, unique) the group's members.
func (t *tx) replaceMembers(ctx context.Context, groupID string, members []string) (added, removed []string, err error) {
	current, err := t.members(ctx, groupID)
	if err != nil {
		return nil, nil, err
	}
	added, removed = diff(current, members)
	if err := t.deleteMembers(ctx, groupID, removed); err != nil {
		return nil, nil, err
	}
	if err := t.insertMembers(ctx, groupID, added); err != nil {
		return nil, nil, err
	}
	return added, removed, nil
}

func (t *tx) insertMembers(ctx context.Context, groupID string, userIDs []string) error {
	for _, chunk := range chunks(userIDs) {
		args := make([]any, 0, 2*len(chunk))
		for _, id := range chunk {
			args = append(args, groupID, id)
		}
		vals := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)), ", ")
		if _, err := t.exec(ctx, "sqlstore: add members", "INSERT INTO dir_members (group_id, user_id) VALUES "+vals, args...); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) deleteMembers(ctx context.Context, groupID string, userIDs []string) error {
	for _, chunk := range chunks(userIDs) {
		_, err := t.exec(ctx, "sqlstore: remove members", "DELETE FROM dir_members WHERE group_id = ? AND user_id IN ("+
			placeholders(len(chunk))+")", append([]any{groupID}, anys(chunk)...)...)
		if err != nil {
			return err
		}
	}
	return nil
}

// usersExist fails with ErrNotFound naming the ids that are not users.
func (t *tx) usersExist(ctx context.Context, ids []string) error {
	var missing []string
	for _, chunk := range chunks(ids) {
		rows, err := t.query(ctx, "sqlstore: check users", "SELECT id FROM dir_users WHERE id IN ("+placeholders(len(chunk))+")", anys(chunk)...)
		if err != nil {
			return err
		}
		found, err := collect(rows, scanString)
		if err != nil {
			return t.d().Wrap("sqlstore: check users", err)
		}
		slices.Sort(found)
		for _, id := range chunk {
			if _, ok := slices.BinarySearch(found, id); !ok {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) > 0 {
		return notFound("users %q", missing)
	}
	return nil
}

// sortedSet returns ids sorted without duplicates or empty strings.
func sortedSet(ids []string) []string {
	out := slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == "" })
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// diff returns what is in want but not in have, and what is in have but not
// in want; both inputs are sorted sets.
func diff(have, want []string) (added, removed []string) {
	i, j := 0, 0
	for i < len(have) || j < len(want) {
		switch {
		case j == len(want) || i < len(have) && have[i] < want[j]:
			removed = append(removed, have[i])
			i++
		case i == len(have) || want[j] < have[i]:
			added = append(added, want[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}
