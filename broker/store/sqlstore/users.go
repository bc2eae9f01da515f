package sqlstore

import (
	"context"

	"github.com/dataproc-iis/iis/broker/store"
)

const userCols = "id, user_name, external_id, display_name, active, locked, lock_reason, attributes, version, created_at, updated_at"

func scanUser(r rowScanner) (store.User, error) {
	var (
		u     store.User
		attrs *string
	)
	err := r.Scan(&u.ID, &u.UserName, &u.ExternalID, &u.DisplayName, &u.Active, &u.Locked, &u.LockReason,
		&attrs, &u.Version, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	if attrs != nil && *attrs != "" {
		u.Attributes = []byte(*attrs)
	}
	return u, err
}

// GetUser implements store.Directory.
func (t *tx) GetUser(ctx context.Context, id string) (store.User, error) {
	return t.getUser(ctx, "id = ?", id)
}

// GetUserByName implements store.Directory.
func (t *tx) GetUserByName(ctx context.Context, userName string) (store.User, error) {
	return t.getUser(ctx, "user_name_key = ?", foldKey(userName))
}

func (t *tx) getUser(ctx context.Context, where string, arg string) (store.User, error) {
	us, err := t.listUsers(ctx, Expr{SQL: where + " ORDER BY created_at, id", Args: []any{arg}})
	if err != nil {
		return store.User{}, err
	}
	if len(us) == 0 {
		return store.User{}, notFound("user %q", arg)
	}
	return us[0], nil
}

// FindUserByEmail implements store.Directory.
func (t *tx) FindUserByEmail(ctx context.Context, email string) (store.User, error) {
	// Primary addresses, and the address of a user who has only one.
	rows, err := t.query(ctx, "sqlstore: FindUserByEmail",
		`SELECT DISTINCT e.user_id FROM dir_user_emails e WHERE e.value_key = ? AND (e.is_primary
		   OR NOT EXISTS (SELECT 1 FROM dir_user_emails o WHERE o.user_id = e.user_id AND o.position <> e.position))
		 ORDER BY e.user_id LIMIT 2`, foldKey(email))
	if err != nil {
		return store.User{}, err
	}
	ids, err := collect(rows, scanString)
	switch {
	case err != nil:
		return store.User{}, t.d().Wrap("sqlstore: FindUserByEmail", err)
	case len(ids) == 0:
		return store.User{}, notFound("user with e-mail %q", email)
	case len(ids) > 1:
		return store.User{}, conflict("several users have the e-mail %q", email)
	}
	return t.GetUser(ctx, ids[0])
}

// userWhere builds the WHERE clause of q.
func (t *tx) userWhere(q store.UserQuery) (Expr, error) {
	var conds []Expr
	if q.UserName != "" {
		conds = append(conds, Cat("user_name_key = ", Arg(foldKey(q.UserName))))
	}
	if q.ExternalID != "" {
		conds = append(conds, Cat("external_id = ", Arg(q.ExternalID)))
	}
	if q.DisplayName != "" {
		conds = append(conds, Cat("display_name_key = ", Arg(foldKey(q.DisplayName))))
	}
	if q.Email != "" {
		cond := Cat("EXISTS (SELECT 1 FROM dir_user_emails e WHERE e.user_id = dir_users.id AND e.value_key = ", Arg(foldKey(q.Email)))
		if q.EmailType != "" {
			cond = Cat(cond, " AND e.type_key = ", Arg(foldKey(q.EmailType)))
		}
		conds = append(conds, Cat(cond, ")"))
	}
	if q.Filter != nil {
		f, err := compileFilter(t.d(), userResource, q.Filter)
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

// ListUsers implements store.Directory.
func (t *tx) ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	if q.Offset < 0 {
		return nil, invalid("ListUsers: negative offset %d", q.Offset)
	}
	where, err := t.userWhere(q)
	if err != nil {
		return nil, err
	}
	order, err := compileOrder(t.d(), userResource, q.Sort)
	if err != nil {
		return nil, err
	}
	return t.listUsers(ctx, Cat(where, order, " LIMIT ", Arg(limitArg(q.Limit)), " OFFSET ", Arg(q.Offset)))
}

// CountUsers implements store.Directory.
func (t *tx) CountUsers(ctx context.Context, q store.UserQuery) (int, error) {
	where, err := t.userWhere(q)
	if err != nil {
		return 0, err
	}
	var n int
	_, err = t.queryRow(ctx, "sqlstore: CountUsers", "SELECT COUNT(*) FROM dir_users WHERE "+where.SQL, where.Args, &n)
	return n, err
}

// listUsers returns the users matching where (a WHERE condition followed by
// ORDER BY and LIMIT clauses), with their e-mail addresses.
func (t *tx) listUsers(ctx context.Context, where Expr) ([]store.User, error) {
	const op = "sqlstore: list users"
	rows, err := t.query(ctx, op, "SELECT "+userCols+" FROM dir_users WHERE "+where.SQL, where.Args...)
	if err != nil {
		return nil, err
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, t.d().Wrap(op, err)
	}
	if err := t.loadEmails(ctx, us); err != nil {
		return nil, err
	}
	return us, nil
}

// loadEmails fills the Emails of us.
func (t *tx) loadEmails(ctx context.Context, us []store.User) error {
	const op = "sqlstore: load e-mails"
	index := make(map[string]*store.User, len(us))
	ids := make([]string, len(us))
	for i := range us {
		index[us[i].ID], ids[i] = &us[i], us[i].ID
	}
	for _, chunk := range chunks(ids) {
		rows, err := t.query(ctx, op, "SELECT user_id, value, type, is_primary FROM dir_user_emails WHERE user_id IN ("+
			placeholders(len(chunk))+") ORDER BY user_id, position", anys(chunk)...)
		if err != nil {
			return err
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var (
					id string
					e  store.Email
				)
				if err := rows.Scan(&id, &e.Value, &e.Type, &e.Primary); err != nil {
					return err
				}
				index[id].Emails = append(index[id].Emails, e)
			}
			return rows.Err()
		}()
		if err != nil {
			return t.d().Wrap(op, err)
		}
	}
	return nil
}

func scanString(r rowScanner) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}
