package scim

import (
	"net/http"
	"path"
	"strings"
)

// Resource kinds a route can address.
const (
	kindUsers     = "Users"
	kindGroups    = "Groups"
	kindRoot      = "root" // only POST /.search
	kindDiscovery = "discovery"
)

// route is a normalised request path.
type route struct {
	kind     string
	id       string // resource id, "" for the collection
	path     string // for discovery: the canonical path (/ResourceTypes/User)
	search   bool   // .search (RFC 7644 3.4.3)
	prefixed bool   // the request carried BasePath
}

// pattern names the route in logs without the id.
func (rt route) pattern() string {
	switch {
	case rt.kind == kindDiscovery:
		return rt.path
	case rt.kind == kindRoot:
		return "/.search"
	case rt.search:
		return "/" + rt.kind + "/.search"
	case rt.id != "":
		return "/" + rt.kind + "/{id}"
	}
	return "/" + rt.kind
}

// discovery endpoints, by lower-cased first segment, with their canonical
// spelling (Okta has been seen asking for ServiceProviderConfigs).
var discovery = map[string]string{
	"serviceproviderconfig":  "/ServiceProviderConfig",
	"serviceproviderconfigs": "/ServiceProviderConfig",
	"resourcetypes":          "/ResourceTypes",
	"schemas":                "/Schemas",
}

// parseRoute normalises p: duplicate and trailing slashes go, the base path
// is optional, and resource names match in any case (/users/, /USERS). The
// id keeps its case.
func parseRoute(basePath, p string) (route, bool) {
	p = path.Clean("/" + p)
	var rt route
	if n := len(basePath); basePath != "/" && len(p) >= n && strings.EqualFold(p[:n], basePath) && (len(p) == n || p[n] == '/') {
		p, rt.prefixed = p[n:], true
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	first := strings.ToLower(segs[0])
	if canon, ok := discovery[first]; ok {
		rt.kind, rt.path = kindDiscovery, canon
		if len(segs) > 1 {
			rt.path += "/" + strings.Join(segs[1:], "/")
		}
		return rt, true
	}
	switch first {
	case "users":
		rt.kind = kindUsers
	case "groups":
		rt.kind = kindGroups
	case ".search":
		rt.kind, rt.search = kindRoot, true
		return rt, len(segs) == 1
	default:
		return rt, false
	}
	switch {
	case len(segs) == 1:
		return rt, true
	case len(segs) == 2 && segs[1] == ".search":
		rt.search = true
		return rt, true
	case len(segs) == 2:
		rt.id = segs[1]
		return rt, validID(rt.id)
	}
	return rt, false
}

// validID refuses ids that no resource can have, so that they never reach
// the store: at most 256 bytes of printable UTF-8.
func validID(id string) bool {
	if id == "" || len(id) > 256 {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// baseURL is the URL under which the resources of this request live.
func (s *Server) baseURL(r *http.Request, rt route) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0])); p == "http" || p == "https" {
		scheme = p
	}
	base := scheme + "://" + r.Host
	if rt.prefixed {
		base += s.cfg.BasePath
	}
	return base
}
