package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	scimerr "github.com/elimity-com/scim/errors"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/store"
)

// SCIM error types (RFC 7644, section 3.12) used here.
const (
	typeInvalidFilter = string(scimerr.ScimTypeInvalidFilter)
	typeTooMany       = string(scimerr.ScimTypeTooMany)
	typeUniqueness    = string(scimerr.ScimTypeUniqueness)
	typeMutability    = string(scimerr.ScimTypeMutability)
	typeInvalidSyntax = string(scimerr.ScimTypeInvalidSyntax)
	typeInvalidPath   = string(scimerr.ScimTypeInvalidPath)
	typeNoTarget      = string(scimerr.ScimTypeNoTarget)
	typeInvalidValue  = string(scimerr.ScimTypeInvalidValue)
)

// scimError is a failure that is answered with a SCIM error body. Its Detail is
// sent to the client: it never holds a secret or a value from the request
// body.
type scimError struct {
	Status   int
	ScimType string // "" when RFC 7644 defines none for the case
	Detail   string
}

func (e *scimError) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

func errorf(status int, scimType, format string, args ...any) *scimError {
	return &scimError{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(scimType, format string, args ...any) *scimError {
	return errorf(http.StatusBadRequest, scimType, format, args...)
}

func notFound(kind, id string) *scimError {
	return errorf(http.StatusNotFound, "", "%s %q not found", kind, id)
}

// asError maps any error to the SCIM error answered for it. Store errors
// that reach here unmapped become a generic 500 (or 503 when the store is
// unavailable, so that the IdP retries), without their text.
func asError(err error) *scimError {
	var e *scimError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrInvalid):
		return badRequest(typeInvalidValue, "the resource breaks a rule of the directory")
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "", "the resource changed concurrently; retry")
	case fault.KindOf(err) == fault.Transient:
		return errorf(http.StatusServiceUnavailable, "", "the directory is unavailable; retry later")
	}
	return errorf(http.StatusInternalServerError, "", "internal error")
}

// writeError writes the SCIM error body of e.
func writeError(w http.ResponseWriter, e *scimError) {
	body, _ := json.Marshal(scimerr.ScimError{ScimType: scimerr.ScimType(e.ScimType), Detail: e.Detail, Status: e.Status})
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	w.Write(body)
}

// WriteError answers with a SCIM error body of that status, for callers
// that serve the endpoint (a panic or a configuration error at the
// boundary). detail must hold no secret.
func WriteError(w http.ResponseWriter, status int, detail string) {
	writeError(w, &scimError{Status: status, Detail: detail})
}

// wrap prefixes err with the operation that returned it; nil stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
