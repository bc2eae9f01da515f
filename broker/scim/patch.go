package scim

import (
	"bytes"
	"encoding/json"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Limits on a PATCH request.
const (
	maxOperations = 1000
	maxPathLength = 1024
)

// PATCH operations, lower-cased: IdPs send "Add", "Replace", "Remove".
const (
	opAdd     = "add"
	opReplace = "replace"
	opRemove  = "remove"
)

// patchOp is one parsed PATCH operation.
type patchOp struct {
	op     string
	path   string       // as sent, "" when absent
	parsed *filter.Path // nil when path is "" or names a whole extension
	ext    string       // set when path is an extension URN: the value is that extension's attributes
	value  any
}

// parsePatch decodes a PatchOp request body for a resource of schema s.
// Operations on a password are dropped (never applied, never echoed).
func (s *resourceSchema) parsePatch(body []byte) ([]patchOp, error) {
	var req struct {
		Schemas    []string          `json:"schemas"`
		Operations []json.RawMessage `json:"Operations"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return nil, badRequest(typeInvalidSyntax, "the body is not a PatchOp JSON object")
	}
	if !containsFold(req.Schemas, patchOpURN) {
		return nil, badRequest(typeInvalidSyntax, "schemas must hold %s", patchOpURN)
	}
	switch n := len(req.Operations); {
	case n == 0:
		return nil, badRequest(typeInvalidValue, "Operations is empty")
	case n > maxOperations:
		return nil, badRequest(typeInvalidValue, "more than %d Operations", maxOperations)
	}
	var ops []patchOp
	for _, raw := range req.Operations {
		op, drop, err := s.parseOp(raw)
		if err != nil {
			return nil, err
		}
		if !drop {
			ops = append(ops, op)
		}
	}
	return ops, nil
}

// parseOp decodes one operation; drop reports an operation on a password.
func (s *resourceSchema) parseOp(raw json.RawMessage) (op patchOp, drop bool, err error) {
	var o struct {
		Op    string `json:"op"`
		Path  any    `json:"path"`
		Value any    `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return op, false, badRequest(typeInvalidSyntax, "an operation is not a JSON object")
	}
	path, ok := o.Path.(string)
	if o.Path != nil && !ok {
		return op, false, badRequest(typeInvalidPath, "path must be a string")
	}
	op = patchOp{op: strings.ToLower(o.Op), path: strings.TrimSpace(path), value: o.Value}
	stripPassword(op.value)
	switch op.op {
	case opAdd, opReplace, opRemove:
	default:
		return op, false, badRequest(typeInvalidSyntax, "op %q is not add, replace or remove", o.Op)
	}
	switch {
	case op.path == "":
		if op.op == opRemove {
			return op, false, badRequest(typeNoTarget, "remove needs a path")
		}
		if _, ok := op.value.(map[string]any); !ok {
			return op, false, badRequest(typeInvalidValue, "an operation without a path needs an object value")
		}
		return op, false, nil
	case len(op.path) > maxPathLength:
		return op, false, badRequest(typeInvalidPath, "path longer than %d bytes", maxPathLength)
	case isPasswordKey(op.path):
		return op, true, nil
	}
	if e := s.extension(op.path); e != nil {
		op.ext = e.urn
		return op, false, nil
	}
	p, err := parsePath(op.path)
	if err != nil {
		return op, false, err
	}
	op.parsed = p
	return op, false, nil
}

// parsePath runs the path parser, turning any failure (or panic on hostile
// input) into invalidPath.
func parsePath(raw string) (p *filter.Path, err error) {
	defer func() {
		if recover() != nil {
			p, err = nil, badRequest(typeInvalidPath, "the path cannot be parsed")
		}
	}()
	parsed, err := filter.ParsePath([]byte(raw))
	if err != nil {
		return nil, badRequest(typeInvalidPath, "the path cannot be parsed")
	}
	return &parsed, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
