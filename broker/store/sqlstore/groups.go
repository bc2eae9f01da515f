package sqlstore

import (
	"context"
	"sort"

	"github.com/dataproc-iis/iis/broker/store"
)

const groupCols = "id, display_name, external_id, version, created_at, updated_at"

func scanGroup(r rowScanner) (store.Group, error) {
	var g store.Group
	err := r.Scan(&g.ID, &g.DisplayName, &g.ExternalID, &g.Version, timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	return g, err
}

// GetGroup implements store.Directory.
func (t *tx) GetGroup(ctx context.Context, id string) (store.Group, error) {
	return t.getGroup(ctx, "id = ?", id)
}

// GetGroupByName implements store.Directory.
func (t *tx) GetGroupByName(ctx context.Context, displayName string) (store.Group, error) {
	return t.getGroup(ctx, "display_name_key = ?", foldKey(displayName))
}

func (t *tx) getGroup(ctx context.Context, where, arg string) (store.Group, error) {
	gs, err := t.listGroups(ctx, "SELECT "+groupCols+" FROM dir_groups WHERE "+where, []any{arg}, true)
	if err != nil {
		return store.Group{}, err
	}
	if len(gs) == 0 {
		return store.Group{}, notFound("group %q", arg)
	}
	return gs[0], nil
}

// groupWhere builds the WHERE clause of q.
func (t *tx) groupWhere(q store.GroupQuery) (Expr, error) {
	var conds []Expr
	if q.DisplayName != "" {
		conds = append(conds, Cat("display_name_key = ", Arg(foldKey(q.DisplayName))))
	}
	if q.ExternalID != "" {
		conds = append(conds, Cat("external_id = ", Arg(q.ExternalID)))
	}
	if q.Member != "" {
		conds = append(conds, Cat("EXISTS (SELECT 1 FROM dir_members m WHERE m.group_id = dir_groups.id AND m.user_id = ", Arg(q.Member), ")"))
	}
	if q.Filter != nil {
		f, err := compileFilter(t.d(), groupResource, q.Filter)
		if err != nil {
			return Expr{}, err
		}
		conds = append(conds, f)
	}
	if len(conds) == 0 {
		return SQL("1 = 1"), nil
	}
	return join(conds, " AND "), nil
}

// ListGroups implements store.Directory.
func (t *tx) ListGroups(ctx context.Context, q store.GroupQuery) ([]store.Group, error) {
	if q.Offset < 0 {
		return nil, invalid("ListGroups: negative offset %d", q.Offset)
	}
	where, err := t.groupWhere(q)
	if err != nil {
		return nil, err
	}
	order, err := compileOrder(t.d(), groupResource, q.Sort)
	if err != nil {
		return nil, err
	}
	e := Cat("SELECT "+groupCols+" FROM dir_groups WHERE ", where, order, " LIMIT ", Arg(limitArg(q.Limit)), " OFFSET ", Arg(q.Offset))
	return t.listGroups(ctx, e.SQL, e.Args, !q.ExcludeMembers)
}

// CountGroups implements store.Directory.
func (t *tx) CountGroups(ctx context.Context, q store.GroupQuery) (int, error) {
	where, err := t.groupWhere(q)
	if err != nil {
		return 0, err
	}
	var n int
	_, err = t.queryRow(ctx, "sqlstore: CountGroups", "SELECT COUNT(*) FROM dir_groups WHERE "+where.SQL, where.Args, &n)
	return n, err
}

// GroupsOf implements store.Directory.
func (t *tx) GroupsOf(ctx context.Context, userID string) ([]store.Group, error) {
	gs, err := t.listGroups(ctx, "SELECT "+groupCols+` FROM dir_groups
		WHERE id IN (SELECT group_id FROM dir_members WHERE user_id = ?)`, []any{userID}, false)
	// Sorted here rather than by ORDER BY: collations differ between backends.
	sort.Slice(gs, func(i, j int) bool {
		ki, kj := foldKey(gs[i].DisplayName), foldKey(gs[j].DisplayName)
		return ki < kj || ki == kj && gs[i].ID < gs[j].ID
	})
	return gs, err
}

// listGroups runs a query for groups and, if members, loads their members.
func (t *tx) listGroups(ctx context.Context, q string, args []any, members bool) ([]store.Group, error) {
	const op = "sqlstore: list groups"
	rows, err := t.query(ctx, op, q, args...)
	if err != nil {
		return nil, err
	}
	gs, err := collect(rows, scanGroup)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	if !members || len(gs) == 0 {
		return gs, nil
	}
	index := make(map[string]*store.Group, len(gs))
	ids := make([]string, len(gs))
	for i := range gs {
		index[gs[i].ID], ids[i] = &gs[i], gs[i].ID
	}
	for _, chunk := range chunks(ids) {
		rows, err := t.query(ctx, op, "SELECT group_id, user_id FROM dir_members WHERE group_id IN ("+
			placeholders(len(chunk))+")", anys(chunk)...)
		if err != nil {
			return nil, err
		}
		pairs, err := collect(rows, scanPair)
		if err != nil {
			return nil, t.d().Wrap(op, err)
		}
		for _, p := range pairs {
			g := index[p[0]]
			g.Members = append(g.Members, p[1])
		}
	}
	for i := range gs {
		sort.Strings(gs[i].Members)
	}
	return gs, nil
}

func scanPair(r rowScanner) ([2]string, error) {
	var p [2]string
	err := r.Scan(&p[0], &p[1])
	return p, err
}
