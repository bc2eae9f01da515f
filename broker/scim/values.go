package scim

import "encoding/json"

func setSub(obj map[string]any, name string, val any, ok bool) {
	if ok {
		obj[name] = val
	} else {
		delete(obj, name)
	}
}

// put sets c[name] to v, or deletes it when v holds nothing (nil, an
// empty object, a list of nothing but empty objects).
func put(c map[string]any, name string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			delete(c, name)
			return
		}
	case []any:
		var kept []any
		for _, el := range x {
			if obj, ok := el.(map[string]any); el == nil || (ok && len(obj) == 0) {
				continue
			}
			kept = append(kept, el)
		}
		if len(kept) == 0 {
			delete(c, name)
			return
		}
		v = kept
	case nil:
		delete(c, name)
		return
	}
	c[name] = v
}

// dropEmpty removes an extension that no longer holds any attribute.
func dropEmpty(m map[string]any, ext string) {
	if c, ok := m[ext].(map[string]any); ext != "" && ok && len(c) == 0 {
		delete(m, ext)
	}
}

// appendNew appends the values of add that list does not already hold.
func appendNew(a *attr, list, add []any) []any {
	for _, v := range add {
		obj, _ := v.(map[string]any)
		if obj != nil && containsElement(a, list, obj) {
			continue
		}
		list = append(list, v)
	}
	return list
}

// containsElement reports whether list holds an element equal to obj: same
// value sub-attribute when both have one (members are identified by it),
// else the same JSON.
func containsElement(a *attr, list []any, obj map[string]any) bool {
	for _, el := range list {
		other, ok := el.(map[string]any)
		if !ok {
			continue
		}
		if vs := a.sub("value"); vs != nil && obj["value"] != nil && other["value"] != nil {
			if equal(vs, other["value"], obj["value"]) {
				return true
			}
			continue
		}
		if sameJSON(other, obj) {
			return true
		}
	}
	return false
}

// onePrimary keeps "primary": true on the last element that has it only
// (RFC 7643 2.4: at most one primary value).
func onePrimary(list []any) []any {
	seen := false
	for i := len(list) - 1; i >= 0; i-- {
		obj, ok := list[i].(map[string]any)
		if !ok || obj["primary"] != true {
			continue
		}
		if seen {
			delete(obj, "primary")
		}
		seen = true
	}
	return list
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
