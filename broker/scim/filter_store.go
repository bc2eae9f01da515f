package scim

import (
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/dataproc-iis/iis/broker/store"
)

// storedSubs are the sub-attributes that the directory keeps for the
// multi-valued attributes it holds in tables of their own (the others are
// read from the resource as stored). A constant one (groups.type) never
// reaches the store.
var storedSubs = map[string]string{
	"User.emails":   "value type primary",
	"User.groups":   "value display",
	"Group.members": "value",
}

// storeFilter translates x into the store's filter: typed paths and values,
// each attribute folded unless its schema says caseExact.
func (s *resourceSchema) storeFilter(x expr) (store.Filter, error) {
	return s.toStore(x, nil)
}

// toStore translates x; elem is the multi-valued attribute inside whose
// value filter x is, or nil.
func (s *resourceSchema) toStore(x expr, elem *attr) (store.Filter, error) {
	switch x := x.(type) {
	case andExpr, orExpr:
		var list []expr
		if a, ok := x.(andExpr); ok {
			list = a
		} else {
			list = x.(orExpr)
		}
		out := make([]store.Filter, len(list))
		for i, y := range list {
			f, err := s.toStore(y, elem)
			if err != nil {
				return nil, err
			}
			out[i] = f
		}
		if _, ok := x.(andExpr); ok {
			return store.And(out), nil
		}
		return store.Or(out), nil
	case notExpr:
		f, err := s.toStore(x.x, elem)
		return store.Not{F: f}, err
	case constExpr:
		if x {
			return store.And{}, nil
		}
		return store.Or{}, nil
	case anyExpr:
		f, err := s.toStore(x.x, x.a)
		if err != nil {
			return nil, err
		}
		return store.Any{Path: storePath(x.ext, x.a, nil), F: f}, nil
	case cmpExpr:
		return s.compareToStore(x, elem)
	}
	return nil, badRequest(typeInvalidFilter, "the filter cannot be answered")
}

func (s *resourceSchema) compareToStore(x cmpExpr, elem *attr) (store.Filter, error) {
	target, name := x.a, x.a.name
	if x.sub != nil {
		target, name = x.sub, x.a.name+"."+x.sub.name
	}
	if elem != nil {
		name = elem.name + "." + name
		if subs, ok := storedSubs[s.name+"."+elem.name]; ok && !strings.Contains(" "+subs+" ", " "+x.a.name+" ") {
			return nil, badRequest(typeInvalidFilter, "%s cannot be filtered on: the directory does not keep it", name)
		}
	}
	path := storePath(x.ext, x.a, x.sub)
	if x.a == metaAttr {
		if target.typ != "dateTime" {
			return nil, badRequest(typeInvalidFilter, "%s cannot be filtered on", name)
		}
		if x.op == filter.PR {
			return store.And{}, nil // every resource has both times
		}
		return timeFilter(path, x.op, x.value.(time.Time)), nil
	}
	c := store.Compare{Path: path, Op: store.Op(x.op), Value: x.value}
	switch x.value.(type) {
	case nil, bool:
	case string:
		c.Fold = !target.caseExact
	default:
		return nil, badRequest(typeInvalidFilter, "%s cannot be filtered on", name)
	}
	return c, nil
}

// storePath is the path of an attribute in the stored resource.
func storePath(ext string, a, sub *attr) []string {
	var p []string
	if ext != "" {
		p = append(p, ext)
	}
	p = append(p, a.name)
	if sub != nil {
		p = append(p, sub.name)
	}
	return p
}

// timeFilter compares a time as it is rendered, to the second (meta.created
// "2026-03-04T05:06:07Z"), with t: the store keeps microseconds, so each
// comparison of the rendered value r = floor(stored) becomes one of stored.
func timeFilter(path []string, op filter.CompareOperator, t time.Time) store.Filter {
	floor := t.Truncate(time.Second)
	next := floor.Add(time.Second)
	ceil := floor
	if !t.Equal(floor) {
		ceil = next
	}
	at := func(op store.Op, t time.Time) store.Compare { return store.Compare{Path: path, Op: op, Value: t} }
	eq := store.Filter(store.And{at(store.Ge, floor), at(store.Lt, next)})
	if !t.Equal(floor) {
		eq = store.Or{} // a rendered time has no fraction of a second
	}
	switch op {
	case filter.EQ:
		return eq
	case filter.NE:
		return store.Not{F: eq}
	case filter.GT: // r > t  <=>  stored >= floor(t) + 1s
		return at(store.Ge, next)
	case filter.GE: // r >= t  <=>  stored >= ceil(t)
		return at(store.Ge, ceil)
	case filter.LT: // r < t  <=>  stored < ceil(t)
		return at(store.Lt, ceil)
	}
	return at(store.Lt, next) // le: r <= t  <=>  stored < floor(t) + 1s
}
