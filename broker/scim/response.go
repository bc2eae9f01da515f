package scim

import (
	"encoding/json"
	"net/http"
	"strconv"
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
