package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

// linkManagers sets the SCIM enterprise manager of each file user that
// names one, once every user of the file exists (a manager may come later
// in the file).
func linkManagers(ctx context.Context, tx store.Tx, f File, r *Report) error {
	for _, fu := range f.Users {
		name := strings.TrimSpace(fu.Manager)
		if name == "" {
			continue
		}
		m, err := tx.GetUserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("user %s: manager %s is not a user", fu.UserName, name)
		}
		if err != nil {
			return err
		}
		u, err := tx.GetUserByName(ctx, strings.TrimSpace(fu.UserName))
		if err != nil {
			return err
		}
		if Manager(u) == m.ID {
			continue
		}
		if u.Attributes, err = withManager(u.Attributes, m.ID); err != nil {
			return fmt.Errorf("user %s: %w", fu.UserName, err)
		}
		if u, err = tx.PutUser(ctx, u); err != nil {
			return fmt.Errorf("user %s: %w", fu.UserName, err)
		}
		if !slices.Contains(r.UsersCreated, u.UserName) && !slices.Contains(r.UsersUpdated, u.UserName) {
			r.UsersUpdated = append(r.UsersUpdated, u.UserName)
		}
	}
	return nil
}

// withManager returns the SCIM resource attrs with its enterprise manager
// set to the user id.
func withManager(attrs json.RawMessage, id string) (json.RawMessage, error) {
	m := map[string]any{}
	if len(attrs) > 0 {
		if err := json.Unmarshal(attrs, &m); err != nil || m == nil {
			return nil, errors.New("stored attributes: not a JSON object")
		}
	}
	ext, _ := m[EnterpriseSchema].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
	}
	ext["manager"] = map[string]any{"value": id}
	m[EnterpriseSchema] = ext // the SCIM endpoint lists the schema when it renders the user
	return json.Marshal(m)
}
