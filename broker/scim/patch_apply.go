package scim

import (
	"encoding/json"
	"maps"
	"net/http"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// set applies an add or a replace of value v to the target in m. Add on a
// single-valued attribute replaces it (RFC 7644 3.5.2.1); add on a
// multi-valued one appends the values not already there.
func (t target) set(m map[string]any, op string, v any) error {
	c := container(m, t.ext, true)
	defer dropEmpty(m, t.ext)
	cur := c[t.a.name]
	switch {
	case t.x != nil:
		return t.setFiltered(c, op, v)
	case t.a.multi && t.sub == nil:
		vals, _, err := coerce(t.a, v)
		if err != nil {
			return err
		}
		list := elements(vals)
		if op == opAdd {
			list = appendNew(t.a, elements(cur), list)
		}
		put(c, t.a.name, onePrimary(list))
	case t.a.multi: // emails.value: every element
		val, ok, err := coerceSimple(t.sub, v)
		if err != nil {
			return err
		}
		list := elements(cur)
		if len(list) == 0 && ok {
			list = []any{map[string]any{}}
		}
		for _, el := range list {
			if obj, isObj := el.(map[string]any); isObj {
				setSub(obj, t.sub.name, val, ok)
			}
		}
		put(c, t.a.name, list)
	case t.sub != nil: // name.givenName
		val, ok, err := coerceSimple(t.sub, v)
		if err != nil {
			return err
		}
		obj, _ := cur.(map[string]any)
		if obj == nil {
			obj = map[string]any{}
		}
		setSub(obj, t.sub.name, val, ok)
		put(c, t.a.name, obj)
	case t.a.complex(): // name, manager
		val, ok, err := coerceSingle(t.a, v)
		if err != nil || (!ok && op == opAdd) {
			return err
		}
		if !ok {
			delete(c, t.a.name)
			return nil
		}
		obj, _ := cur.(map[string]any)
		if obj == nil || t.a.sub("value") != nil {
			// A reference (manager) is replaced whole: merging would
			// keep the old $ref next to a new value.
			obj = map[string]any{}
		}
		maps.Copy(obj, val.(map[string]any))
		put(c, t.a.name, obj)
	default:
		val, ok, err := coerceSimple(t.a, v)
		if err != nil {
			return err
		}
		switch {
		case ok:
			c[t.a.name] = val
		case op == opReplace:
			delete(c, t.a.name)
		}
	}
	return nil
}

// setFiltered applies add or replace to the elements a value filter selects
// (emails[type eq "work"].value). When none matches, the element is created
// from the filter's comparisons, as Entra ID expects when it sets a work
// e-mail the user does not have yet.
func (t target) setFiltered(c map[string]any, op string, v any) error {
	list := elements(c[t.a.name])
	matched := false
	for i, el := range list {
		obj, ok := el.(map[string]any)
		if !ok || !eval(t.x, obj) {
			continue
		}
		matched = true
		if t.sub != nil {
			val, ok, err := coerceSimple(t.sub, v)
			if err != nil {
				return err
			}
			setSub(obj, t.sub.name, val, ok)
			continue
		}
		val, ok, err := coerceSingle(t.a, v)
		if err != nil {
			return err
		}
		switch {
		case !ok && op == opReplace:
			list[i] = nil
		case ok && op == opReplace:
			list[i] = val
		case ok:
			maps.Copy(obj, val.(map[string]any))
		}
	}
	if !matched {
		seed, err := seedOf(t.x)
		if err != nil {
			return err
		}
		if t.sub != nil {
			val, ok, err := coerceSimple(t.sub, v)
			if err != nil || !ok {
				return err
			}
			seed[t.sub.name] = val
		} else {
			val, ok, err := coerceSingle(t.a, v)
			if err != nil || !ok {
				return err
			}
			maps.Copy(seed, val.(map[string]any))
		}
		list = append(list, seed)
	}
	put(c, t.a.name, onePrimary(list))
	return nil
}

// seedOf returns the element that a value filter of eq comparisons on
// sub-attributes, joined by and, describes.
func seedOf(x expr) (map[string]any, error) {
	list, ok := x.(andExpr)
	if !ok {
		list = andExpr{x}
	}
	seed := map[string]any{}
	for _, y := range list {
		c, ok := y.(cmpExpr)
		if !ok || c.op != filter.EQ || c.sub != nil {
			return nil, badRequest(typeNoTarget, "the filter matches no value")
		}
		v := c.value
		switch x := v.(type) {
		case float64:
			v = json.Number(jsonNumber(x))
		case time.Time:
			v = x.UTC().Format(time.RFC3339Nano)
		}
		seed[c.a.name] = v
	}
	return seed, nil
}

// remove applies a remove to the target in m. A value on a multi-valued
// attribute removes just those values (Entra ID removes members this way);
// without one the attribute goes.
func (t target) remove(m map[string]any, v any) error {
	c := container(m, t.ext, false)
	if c == nil {
		return nil
	}
	defer dropEmpty(m, t.ext)
	if t.a.required && t.sub == nil && t.x == nil {
		return errorf(http.StatusBadRequest, typeMutability, "%s is required and cannot be removed", t.a.name)
	}
	cur := c[t.a.name]
	switch {
	case t.x != nil || (t.a.multi && t.sub == nil && v != nil):
		keep := func(obj map[string]any) bool { return !eval(t.x, obj) }
		if t.x == nil {
			vals, _, err := coerce(t.a, v)
			if err != nil {
				return err
			}
			keep = func(obj map[string]any) bool { return !containsElement(t.a, elements(vals), obj) }
		}
		var list []any
		for _, el := range elements(cur) {
			obj, ok := el.(map[string]any)
			switch {
			case !ok || keep(obj):
				list = append(list, el)
			case t.sub != nil:
				delete(obj, t.sub.name)
				list = append(list, obj)
			}
		}
		put(c, t.a.name, list)
	case t.sub != nil:
		for _, el := range elements(cur) {
			if obj, ok := el.(map[string]any); ok {
				delete(obj, t.sub.name)
			}
		}
		if t.a.multi {
			put(c, t.a.name, elements(cur))
		} else {
			put(c, t.a.name, cur)
		}
	default:
		delete(c, t.a.name)
	}
	return nil
}
