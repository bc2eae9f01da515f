package scim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// response is a successful answer.
type response struct {
	status   int
	body     any // nil: no body
	location string
	etag     string
}

func (r *response) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if r.location != "" {
		h.Set("Location", r.location)
	}
	if r.etag != "" {
		h.Set("ETag", r.etag)
	}
	if r.body == nil {
		w.WriteHeader(r.status)
		return
	}
	b, err := json.Marshal(r.body)
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "", "internal error"))
		return
	}
	h.Set("Content-Type", contentType)
	w.WriteHeader(r.status)
	w.Write(b)
}

// listResponse is a ListResponse message (RFC 7644 3.4.2). Resources is
// never null: no match is an empty array.
type listResponse struct {
	Schemas      []string         `json:"schemas"`
	TotalResults int              `json:"totalResults"`
	StartIndex   int              `json:"startIndex"`
	ItemsPerPage int              `json:"itemsPerPage"`
	Resources    []map[string]any `json:"Resources"`
}

func newList(total, start int, resources []map[string]any) *listResponse {
	if resources == nil {
		resources = []map[string]any{}
	}
	return &listResponse{Schemas: []string{listURN}, TotalResults: total, StartIndex: start, ItemsPerPage: len(resources), Resources: resources}
}

// page is a 1-based page of a list (RFC 7644 3.4.2.4).
type page struct {
	start int // startIndex, >= 1
	count int // at most maxResults
}

// offset is the 0-based offset of the page.
func (p page) offset() int { return p.start - 1 }

// window returns the part of n items that the page covers, as [from, to).
func (p page) window(n int) (int, int) {
	from := min(p.offset(), n)
	return from, min(from+p.count, n)
}

// parsePage reads startIndex and count: a startIndex below 1 means 1, a
// negative count 0 (RFC 7644 3.4.2.4); a count above maxResults is reduced.
func parsePage(q url.Values) (page, error) {
	p := page{start: 1, count: 100}
	for name, dst := range map[string]*int{"startIndex": &p.start, "count": &p.count} {
		raw := q.Get(name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			return p, badRequest(typeInvalidValue, "%s must be an integer", name)
		}
		*dst = n
	}
	p.start = max(p.start, 1)
	p.count = min(max(p.count, 0), maxResults)
	return p, nil
}

// projection applies the attributes and excludedAttributes query
// parameters (top-level names, any case; id, schemas and meta always stay).
type projection struct {
	only, excluded map[string]bool
}

func parseProjection(q url.Values) projection {
	set := func(raw string) map[string]bool {
		if raw == "" {
			return nil
		}
		m := map[string]bool{}
		for _, name := range strings.Split(raw, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if base, _, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "urn:") {
				name = base
			}
			m[name] = true
		}
		return m
	}
	return projection{only: set(q.Get("attributes")), excluded: set(q.Get("excludedAttributes"))}
}

// excludes reports whether the attribute name is left out.
func (p projection) excludes(name string) bool {
	switch n := strings.ToLower(name); n {
	case "id", "schemas", "meta":
		return false
	default:
		if p.only != nil && !p.only[n] && !p.onlyInExtension(n) {
			return true
		}
		return p.excluded[n]
	}
}

// onlyInExtension keeps an extension when one of its attributes is asked
// for by URN-qualified name.
func (p projection) onlyInExtension(ext string) bool {
	for k := range p.only {
		if strings.HasPrefix(k, ext+":") {
			return true
		}
	}
	return false
}

func (p projection) apply(m map[string]any) map[string]any {
	if p.only == nil && p.excluded == nil {
		return m
	}
	for k := range m {
		if p.excludes(k) {
			delete(m, k)
		}
	}
	return m
}

// meta is the meta attribute of a resource.
func meta(resourceType, location string, created, modified time.Time, version int64) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339),
		"lastModified": modified.UTC().Format(time.RFC3339),
		"location":     location,
		"version":      etag(version),
	}
}

func etag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }
