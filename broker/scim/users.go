package scim

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	"github.com/dataproc-iis/iis/broker/store"
)

// maxScan bounds the users or groups read to evaluate a filter the store
// cannot answer alone; beyond it the filter is refused as tooMany.
const maxScan = 10000

// userResponse renders u for a response with the given status.
func userResponse(req *request, status int, u store.User, groups []store.Group) *response {
	m := renderUser(u, groups, req.base)
	return &response{
		status:   status,
		body:     parseProjection(req.URL.Query()).apply(m),
		location: m["meta"].(map[string]any)["location"].(string),
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
	q := req.URL.Query()
	pg, err := parsePage(q)
	if err != nil {
		return nil, err
	}
	var conds []cond
	if f := q.Get("filter"); f != "" {
		if conds, err = parseFilter(userSchema, f); err != nil {
			return nil, err
		}
	}
	plan := planUsers(conds)
	var (
		total     int
		resources []map[string]any
	)
	err = s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		users, n, err := plan.run(ctx, tx, pg, conds, req.base)
		if err != nil {
			return err
		}
		total, resources = n, make([]map[string]any, 0, len(users))
		for _, u := range users {
			groups, err := tx.GroupsOf(ctx, u.ID)
			if err != nil {
				return fmt.Errorf("store.GroupsOf: %w", err)
			}
			resources = append(resources, renderUser(u, groups, req.base))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	proj := parseProjection(q)
	for _, m := range resources {
		proj.apply(m)
	}
	return &response{status: http.StatusOK, body: newList(total, pg.start, resources)}, nil
}
