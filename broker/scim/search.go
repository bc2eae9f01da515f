package scim

import (
	"context"
	"net/http"

	"github.com/dataproc-iis/iis/broker/store"
)

// postSearchUsers is POST /Users/.search: a list query in the body.
func (s *Server) postSearchUsers(ctx context.Context, req *request) (*response, error) {
	sr, err := bodyRequest(req.object)
	if err != nil {
		return nil, err
	}
	return s.searchUsers(ctx, req, sr)
}

// postSearchGroups is POST /Groups/.search.
func (s *Server) postSearchGroups(ctx context.Context, req *request) (*response, error) {
	sr, err := bodyRequest(req.object)
	if err != nil {
		return nil, err
	}
	return s.searchGroups(ctx, req, sr)
}

// postSearchRoot is POST /.search: users and groups (RFC 7644 3.4.3), users
// first, each type in its own order, paged as one list. The filter is
// compiled for each type; a type whose schema does not know an attribute
// the filter names matches nothing, and a filter neither type knows is
// refused. sortBy is refused: one order across types is not defined.
func (s *Server) postSearchRoot(ctx context.Context, req *request) (*response, error) {
	sr, err := bodyRequest(req.object)
	if err != nil {
		return nil, err
	}
	if sr.sortBy != "" {
		return nil, badRequest(typeInvalidValue, "sortBy needs one resource type: search /Users/.search or /Groups/.search")
	}
	up, uerr := userSchema.plan(sr)
	gp, gerr := groupSchema.plan(sr)
	if uerr != nil && gerr != nil {
		return nil, uerr
	}
	pg := up.page
	if uerr != nil {
		pg = gp.page
	}
	var (
		total     int
		resources []map[string]any
	)
	err = s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var (
			nu, ng        int
			users, groups []map[string]any
			err           error
		)
		if uerr == nil {
			if nu, users, err = userPage(ctx, tx, req.base, up, pg.offset(), pg.count); err != nil {
				return err
			}
		}
		if gerr == nil {
			if ng, groups, err = groupPage(ctx, tx, req.base, gp, max(pg.offset()-nu, 0), pg.count-len(users)); err != nil {
				return err
			}
		}
		total, resources = nu+ng, append(users, groups...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: newList(total, pg.start, resources)}, nil
}
