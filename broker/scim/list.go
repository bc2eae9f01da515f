package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
)

const (
	searchURN    = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	defaultCount = 100
	// maxStartIndex bounds startIndex: beyond any directory, and within
	// what every database takes as an OFFSET.
	maxStartIndex = math.MaxInt32
)

// searchRequest is a query of a list: from the query string of a GET, or
// from the body of a POST to .search (RFC 7644 3.4.3).
type searchRequest struct {
	filter, sortBy, sortOrder string
	startIndex, count         string // "" for the default
	attributes, excluded      []string
}

// queryRequest reads a list's query string. Parameter names match in any
// case, as SCIM's names do.
func queryRequest(q url.Values) searchRequest {
	get := func(name string) string {
		if v, ok := q[name]; ok {
			return v[0]
		}
		for k, v := range q {
			if strings.EqualFold(k, name) {
				return v[0]
			}
		}
		return ""
	}
	return searchRequest{
		filter: get("filter"), sortBy: get("sortBy"), sortOrder: get("sortOrder"),
		startIndex: get("startIndex"), count: get("count"),
		attributes: splitNames(get("attributes")), excluded: splitNames(get("excludedAttributes")),
	}
}

// bodyRequest reads a SearchRequest message.
func bodyRequest(m map[string]any) (searchRequest, error) {
	var sr searchRequest
	for k, v := range m {
		var err error
		switch strings.ToLower(k) {
		case "schemas":
			list, _ := v.([]any)
			if !containsFold(stringsOf(list), searchURN) {
				err = badRequest(typeInvalidSyntax, "schemas must hold %s", searchURN)
			}
		case "filter":
			err = stringField(k, v, &sr.filter)
		case "sortby":
			err = stringField(k, v, &sr.sortBy)
		case "sortorder":
			err = stringField(k, v, &sr.sortOrder)
		case "startindex":
			err = numberField(k, v, &sr.startIndex)
		case "count":
			err = numberField(k, v, &sr.count)
		case "attributes":
			sr.attributes, err = namesField(k, v)
		case "excludedattributes":
			sr.excluded, err = namesField(k, v)
		}
		if err != nil {
			return sr, err
		}
	}
	return sr, nil
}

func stringField(name string, v any, dst *string) error {
	switch x := v.(type) {
	case nil:
	case string:
		*dst = x
	default:
		return badRequest(typeInvalidValue, "%s must be a string", name)
	}
	return nil
}

func numberField(name string, v any, dst *string) error {
	switch x := v.(type) {
	case nil:
	case json.Number:
		*dst = x.String()
	default:
		return badRequest(typeInvalidValue, "%s must be an integer", name)
	}
	return nil
}

func namesField(name string, v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return splitNames(x), nil
	case []any:
		if names := stringsOf(x); len(names) == len(x) {
			return names, nil
		}
	}
	return nil, badRequest(typeInvalidValue, "%s must be a list of attribute names", name)
}

func stringsOf(list []any) []string {
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// splitNames splits a comma-separated list of attribute names, leaving the
// commas inside a value filter's brackets and strings alone.
func splitNames(raw string) []string {
	var (
		out   []string
		start int
		depth int
	)
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			i = stringEnd(raw, i)
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, raw[start:i])
				start = i + 1
			}
		}
	}
	if raw != "" {
		out = append(out, raw[start:])
	}
	return out
}

// page is a 1-based page of a list (RFC 7644 3.4.2.4).
type page struct {
	start int // startIndex, >= 1
	count int // at most maxResults
}

// offset is the 0-based offset of the page.
func (p page) offset() int { return p.start - 1 }

// parsePage reads startIndex and count: a startIndex below 1 means 1, a
// negative count 0, and a count above maxResults is reduced to it (RFC 7644
// 3.4.2.4); a startIndex beyond the end gives an empty page. Anything but
// an integer is invalidValue.
func parsePage(sr searchRequest) (page, error) {
	p := page{start: 1, count: defaultCount}
	for _, f := range []struct {
		name, raw string
		dst       *int
	}{{"startIndex", sr.startIndex, &p.start}, {"count", sr.count, &p.count}} {
		if f.raw == "" {
			continue
		}
		n, err := strconv.ParseInt(f.raw, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(f.raw, "-"):
			n = math.MaxInt64
		case errors.Is(err, strconv.ErrRange):
			n = math.MinInt64
		case err != nil:
			return p, badRequest(typeInvalidValue, "%s must be an integer", f.name)
		}
		*f.dst = int(min(max(n, math.MinInt32), math.MaxInt32))
	}
	p.start = min(max(p.start, 1), maxStartIndex)
	p.count = min(max(p.count, 0), maxResults)
	return p, nil
}

// listPlan is a list query compiled for one resource type.
type listPlan struct {
	filter store.Filter
	sort   *store.Sort
	page   page
	proj   projection
}

func (s *resourceSchema) plan(sr searchRequest) (listPlan, error) {
	var (
		pl  listPlan
		err error
	)
	if pl.page, err = parsePage(sr); err != nil {
		return pl, err
	}
	if sr.filter != "" {
		x, err := parseFilter(s, sr.filter)
		if err != nil {
			return pl, err
		}
		if pl.filter, err = s.storeFilter(x); err != nil {
			return pl, err
		}
	}
	if pl.sort, err = s.parseSort(sr.sortBy, sr.sortOrder); err != nil {
		return pl, err
	}
	pl.proj, err = s.parseProjection(sr.attributes, sr.excluded)
	return pl, err
}

// listError maps an error of a list query: a filter the store refuses is the
// client's (invalidFilter), anything else is reported as usual.
func listError(op string, err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return badRequest(typeInvalidFilter, "the directory cannot answer this filter or sort")
	}
	return fmt.Errorf("%s: %w", op, err)
}
