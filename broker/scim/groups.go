package scim

import (
	"context"
	"net/http"

	"github.com/dataproc-iis/iis/broker/store"
)

func groupResponse(req *request, status int, g store.Group) *response {
	// Entra ID asks for groups with excludedAttributes=members to avoid
	// large payloads.
	m := renderGroup(g, req.base, req.proj.wants("members"))
	location := m["meta"].(map[string]any)["location"].(string) // before the projection may drop meta
	return &response{
		status:   status,
		body:     req.proj.apply(m),
		location: location,
		etag:     etag(g.Version),
	}
}

func (s *Server) getGroup(ctx context.Context, req *request) (*response, error) {
	var g store.Group
	err := s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		g, err = tx.GetGroup(ctx, req.route.id)
		return lookupError(err, "Group", req.route.id)
	})
	if err != nil {
		return nil, err
	}
	resp := groupResponse(req, http.StatusOK, g)
	resp.location = ""
	return resp, nil
}

func (s *Server) createGroup(ctx context.Context, req *request) (*response, error) {
	m, err := groupSchema.normalize(req.object)
	if err != nil {
		return nil, err
	}
	var g store.Group
	err = s.update(ctx, req, func(ctx context.Context, tx store.Tx, em *emitter) error {
		g, err = insertGroup(ctx, tx, em, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	return groupResponse(req, http.StatusCreated, g), nil
}

func (s *Server) replaceGroup(ctx context.Context, req *request) (*response, error) {
	m, err := groupSchema.normalize(req.object)
	if err != nil {
		return nil, err
	}
	g, err := s.changeGroup(ctx, req, func(map[string]any) (map[string]any, error) { return m, nil })
	if err != nil {
		return nil, err
	}
	return groupResponse(req, http.StatusOK, g), nil
}

// patchGroup answers 204 No Content, as Okta and Entra ID expect: a group's
// member list can be large.
func (s *Server) patchGroup(ctx context.Context, req *request) (*response, error) {
	_, err := s.changeGroup(ctx, req, func(m map[string]any) (map[string]any, error) {
		return m, groupSchema.applyPatch(m, req.ops)
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

// changeGroup reads the group, computes its new stored form with edit, and
// writes it with its effects, all in one transaction. It returns the group
// as stored.
func (s *Server) changeGroup(ctx context.Context, req *request, edit func(map[string]any) (map[string]any, error)) (store.Group, error) {
	var g store.Group
	err := s.update(ctx, req, func(ctx context.Context, tx store.Tx, em *emitter) error {
		old, err := tx.GetGroup(ctx, req.route.id)
		if err != nil {
			return lookupError(err, "Group", req.route.id)
		}
		m, err := edit(groupMap(old))
		if err != nil {
			return err
		}
		if _, err := changeGroup(ctx, tx, em, old, m); err != nil {
			return err
		}
		g, err = tx.GetGroup(ctx, old.ID)
		return wrap("store.GetGroup", err)
	})
	return g, err
}

func (s *Server) deleteGroup(ctx context.Context, req *request) (*response, error) {
	err := s.update(ctx, req, func(ctx context.Context, tx store.Tx, em *emitter) error {
		return removeGroup(ctx, tx, em, req.route.id)
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) listGroups(ctx context.Context, req *request) (*response, error) {
	return s.searchGroups(ctx, req, queryRequest(req.URL.Query()))
}

// searchGroups answers a list of groups, from GET /Groups or POST
// /Groups/.search.
func (s *Server) searchGroups(ctx context.Context, req *request, sr searchRequest) (*response, error) {
	pl, err := groupSchema.plan(sr)
	if err != nil {
		return nil, err
	}
	var (
		total     int
		resources []map[string]any
	)
	err = s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		total, resources, err = groupPage(ctx, tx, req.base, pl, pl.page.offset(), pl.page.count)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: newList(total, pl.page.start, resources)}, nil
}

// groupPage counts the groups pl selects and renders up to limit of them
// from offset on, loading members only if the response holds them.
func groupPage(ctx context.Context, tx store.Tx, base string, pl listPlan, offset, limit int) (int, []map[string]any, error) {
	q := store.GroupQuery{Filter: pl.filter, Sort: pl.sort}
	total, err := tx.CountGroups(ctx, q)
	if err != nil {
		return 0, nil, listError("store.CountGroups", err)
	}
	if limit <= 0 || offset >= total {
		return total, nil, nil
	}
	members := pl.proj.wants("members")
	q.Offset, q.Limit, q.ExcludeMembers = offset, limit, !members
	groups, err := tx.ListGroups(ctx, q)
	if err != nil {
		return 0, nil, listError("store.ListGroups", err)
	}
	resources := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		resources = append(resources, pl.proj.apply(renderGroup(g, base, members)))
	}
	return total, resources, nil
}
