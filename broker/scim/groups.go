package scim

import (
	"context"
	"errors"
	"net/http"

	"github.com/dataproc-iis/iis/broker/store"
)

// withMembers reports whether a response lists members: Entra ID asks for
// groups with excludedAttributes=members to avoid large payloads.
func withMembers(req *request) bool {
	return !parseProjection(req.URL.Query()).excludes("members")
}

func groupResponse(req *request, status int, g store.Group) *response {
	m := renderGroup(g, req.base, withMembers(req))
	return &response{
		status:   status,
		body:     parseProjection(req.URL.Query()).apply(m),
		location: m["meta"].(map[string]any)["location"].(string),
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
	q := req.URL.Query()
	pg, err := parsePage(q)
	if err != nil {
		return nil, err
	}
	var conds []cond
	if f := q.Get("filter"); f != "" {
		if conds, err = parseFilter(groupSchema, f); err != nil {
			return nil, err
		}
	}
	plan := planGroups(conds)
	members := withMembers(req)
	var (
		total  int
		groups []store.Group
	)
	err = s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		groups, total, err = plan.run(ctx, tx, pg, conds, members)
		return err
	})
	if err != nil {
		return nil, err
	}
	proj := parseProjection(q)
	resources := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		resources = append(resources, proj.apply(renderGroup(g, req.base, members)))
	}
	return &response{status: http.StatusOK, body: newList(total, pg.start, resources)}, nil
}

// groupPlan is how a group filter is answered (see userPlan).
type groupPlan struct {
	q        store.GroupQuery
	id       string
	residual bool
}

func planGroups(conds []cond) groupPlan {
	var p groupPlan
	for _, c := range conds {
		if !p.push(c) {
			p.residual = true
		}
	}
	if p.id != "" {
		p.residual = true
	}
	return p
}

func (p *groupPlan) push(c cond) bool {
	v, _ := c.value.(string)
	set := func(dst *string) bool {
		if *dst != "" || v == "" {
			return false
		}
		*dst = v
		return true
	}
	switch {
	case c.inner != nil:
		// members[value eq "<id>"]
		if c.a.name != "members" || len(c.inner) != 1 || c.inner[0].a.name != "value" {
			return false
		}
		v, _ = c.inner[0].value.(string)
		return set(&p.q.Member)
	case c.a.name == "members" && c.sub != nil && c.sub.name == "value":
		return set(&p.q.Member)
	case c.sub != nil:
		return false
	case c.a.name == "displayName":
		return set(&p.q.DisplayName)
	case c.a.name == "externalId":
		return set(&p.q.ExternalID)
	case c.a.name == "id":
		return set(&p.id)
	}
	return false
}

// run returns the page of matching groups and the total count.
func (p groupPlan) run(ctx context.Context, tx store.Tx, pg page, conds []cond, members bool) ([]store.Group, int, error) {
	if !p.residual {
		total, err := tx.CountGroups(ctx, p.q)
		if err != nil || pg.count == 0 {
			return nil, total, wrap("store.CountGroups", err)
		}
		q := p.q
		q.Offset, q.Limit, q.ExcludeMembers = pg.offset(), pg.count, !members
		groups, err := tx.ListGroups(ctx, q)
		return groups, total, wrap("store.ListGroups", err)
	}
	var candidates []store.Group
	if p.id != "" {
		g, err := tx.GetGroup(ctx, p.id)
		switch {
		case err == nil:
			candidates = []store.Group{g}
		case !errors.Is(err, store.ErrNotFound):
			return nil, 0, wrap("store.GetGroup", err)
		}
	} else {
		q := p.q
		q.Limit = maxScan + 1
		groups, err := tx.ListGroups(ctx, q)
		if err != nil {
			return nil, 0, wrap("store.ListGroups", err)
		}
		if len(groups) > maxScan {
			return nil, 0, errorf(http.StatusBadRequest, typeTooMany, "the filter needs more than %d groups examined", maxScan)
		}
		candidates = groups
	}
	var matched []store.Group
	for _, g := range candidates {
		if matchAll(renderGroup(g, "", true), conds) {
			matched = append(matched, g)
		}
	}
	from, to := pg.window(len(matched))
	page := matched[from:to]
	if !members {
		for i := range page {
			page[i].Members = nil
		}
	}
	return page, len(matched), nil
}
