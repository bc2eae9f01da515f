package scim

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	"github.com/dataproc-iis/iis/broker/store"
)

// userResponse renders u for a response with the given status.
func userResponse(req *request, status int, u store.User, groups []store.Group) *response {
	m := renderUser(u, groups, req.base)
	location := m["meta"].(map[string]any)["location"].(string) // before the projection may drop meta
	return &response{
		status:   status,
		body:     req.proj.apply(m),
		location: location,
		etag:     etag(u.Version),
	}
}

func (s *Server) getUser(ctx context.Context, req *request) (*response, error) {
	var (
		u      store.User
		groups []store.Group
	)
	err := s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, req.route.id); err != nil {
			return lookupError(err, "User", req.route.id)
		}
		groups, err = tx.GroupsOf(ctx, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := userResponse(req, http.StatusOK, u, groups)
	resp.location = ""
	return resp, nil
}

func (s *Server) createUser(ctx context.Context, req *request) (*response, error) {
	m, err := userSchema.normalize(req.object)
	if err != nil {
		return nil, err
	}
	if _, ok := m["active"]; !ok {
		m["active"] = true
	}
	var u store.User
	err = s.update(ctx, req, func(ctx context.Context, tx store.Tx, em *emitter) error {
		u, err = insertUser(ctx, tx, em, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return userResponse(req, http.StatusCreated, u, nil), nil
}

// replaceUser is PUT: the body replaces the resource, except active, which
// keeps its value when the body leaves it out (a PUT must not reactivate or
// deactivate by omission).
func (s *Server) replaceUser(ctx context.Context, req *request) (*response, error) {
	m, err := userSchema.normalize(req.object)
	if err != nil {
		return nil, err
	}
	return s.changeUser(ctx, req, func(old map[string]any) (map[string]any, error) {
		m := maps.Clone(m) // the transaction may run again: keep the body as sent
		if _, ok := m["active"]; !ok {
			m["active"] = old["active"]
		}
		return m, nil
	})
}

func (s *Server) patchUser(ctx context.Context, req *request) (*response, error) {
	return s.changeUser(ctx, req, func(m map[string]any) (map[string]any, error) {
		active := m["active"]
		if err := userSchema.applyPatch(m, req.ops); err != nil {
			return nil, err
		}
		if _, ok := m["active"].(bool); !ok {
			m["active"] = active // removing active changes nothing
		}
		return m, nil
	})
}

// changeUser reads the user, computes its new stored form with edit, and
// writes it with its effects, all in one transaction.
func (s *Server) changeUser(ctx context.Context, req *request, edit func(map[string]any) (map[string]any, error)) (*response, error) {
	var (
		u      store.User
		groups []store.Group
	)
	err := s.update(ctx, req, func(ctx context.Context, tx store.Tx, em *emitter) error {
		old, err := tx.GetUser(ctx, req.route.id)
		if err != nil {
			return lookupError(err, "User", req.route.id)
		}
		m, err := edit(userMap(old))
		if err != nil {
			return err
		}
		if u, err = changeUser(ctx, tx, em, old, m); err != nil {
			return err
		}
		if groups, err = tx.GroupsOf(ctx, u.ID); err != nil {
			return fmt.Errorf("store.GroupsOf: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := userResponse(req, http.StatusOK, u, groups)
	resp.location = ""
	return resp, nil
}

func (s *Server) deleteUser(ctx context.Context, req *request) (*response, error) {
	err := s.update(ctx, req, func(ctx context.Context, tx store.Tx, em *emitter) error {
		return removeUser(ctx, tx, em, req.route.id)
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) listUsers(ctx context.Context, req *request) (*response, error) {
	return s.searchUsers(ctx, req, queryRequest(req.URL.Query()))
}

// searchUsers answers a list of users, from GET /Users or POST
// /Users/.search.
func (s *Server) searchUsers(ctx context.Context, req *request, sr searchRequest) (*response, error) {
	pl, err := userSchema.plan(sr)
	if err != nil {
		return nil, err
	}
	var (
		total     int
		resources []map[string]any
	)
	err = s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		total, resources, err = userPage(ctx, tx, req.base, pl, pl.page.offset(), pl.page.count)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: newList(total, pl.page.start, resources)}, nil
}

// userPage counts the users pl selects and renders up to limit of them
// from offset on.
func userPage(ctx context.Context, tx store.Tx, base string, pl listPlan, offset, limit int) (int, []map[string]any, error) {
	q := store.UserQuery{Filter: pl.filter, Sort: pl.sort}
	total, err := tx.CountUsers(ctx, q)
	if err != nil {
		return 0, nil, listError("store.CountUsers", err)
	}
	if limit <= 0 || offset >= total {
		return total, nil, nil
	}
	q.Offset, q.Limit = offset, limit
	users, err := tx.ListUsers(ctx, q)
	if err != nil {
		return 0, nil, listError("store.ListUsers", err)
	}
	withGroups := pl.proj.wants("groups")
	resources := make([]map[string]any, 0, len(users))
	for _, u := range users {
		var groups []store.Group
		if withGroups {
			if groups, err = tx.GroupsOf(ctx, u.ID); err != nil {
				return 0, nil, fmt.Errorf("store.GroupsOf: %w", err)
			}
		}
		resources = append(resources, pl.proj.apply(renderUser(u, groups, base)))
	}
	return total, resources, nil
}
