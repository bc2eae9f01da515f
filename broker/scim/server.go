package scim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/telemetry"
)

const contentType = "application/scim+json"

// Server serves the SCIM 2.0 endpoint. It is safe for concurrent use.
type Server struct {
	cfg       Config
	auth      *authenticator
	limit     *limiter
	discovery http.Handler
	handlers  map[handlerKey]handler
}

// handler serves one method of one route.
type handler func(context.Context, *request) (*response, error)

type handlerKey struct {
	kind, method string
	item         bool // addresses one resource (/Users/{id})
	search       bool // addresses .search
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for cfg, with the defaults of Config filled in.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	auth, err := newAuthenticator(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := newDiscovery()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, auth: auth, limit: newLimiter(cfg.RateLimit, cfg.RateBurst), discovery: disc}
	s.handlers = map[handlerKey]handler{
		{kindUsers, http.MethodGet, false, false}:    s.listUsers,
		{kindUsers, http.MethodPost, false, false}:   s.createUser,
		{kindUsers, http.MethodPost, false, true}:    s.postSearchUsers,
		{kindUsers, http.MethodGet, true, false}:     s.getUser,
		{kindUsers, http.MethodPut, true, false}:     s.replaceUser,
		{kindUsers, http.MethodPatch, true, false}:   s.patchUser,
		{kindUsers, http.MethodDelete, true, false}:  s.deleteUser,
		{kindGroups, http.MethodGet, false, false}:   s.listGroups,
		{kindGroups, http.MethodPost, false, false}:  s.createGroup,
		{kindGroups, http.MethodPost, false, true}:   s.postSearchGroups,
		{kindGroups, http.MethodGet, true, false}:    s.getGroup,
		{kindGroups, http.MethodPut, true, false}:    s.replaceGroup,
		{kindGroups, http.MethodPatch, true, false}:  s.patchGroup,
		{kindGroups, http.MethodDelete, true, false}: s.deleteGroup,
		{kindRoot, http.MethodPost, false, true}:     s.postSearchRoot,
	}
	return s, nil
}

// request is what the front layer hands to the resource handlers.
type request struct {
	*http.Request
	route    route
	actor    string    // who made the change, for the events: never a token
	received time.Time // when the request arrived: the time of its events
	base     string    // URL under which resources are located
	object   map[string]any
	ops      []patchOp
	proj     projection // attributes and excludedAttributes of the query string
}

// ServeHTTP is the front layer: it recovers panics, authenticates,
// rate-limits, routes, reads and checks the body, and calls the handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start, received := time.Now(), s.cfg.Now()
	log := zerolog.Ctx(r.Context())
	if log.GetLevel() == zerolog.Disabled {
		log = &s.cfg.Log
	}
	ctx := log.WithContext(r.Context())
	r = r.WithContext(ctx)
	sw := &statusWriter{ResponseWriter: w}
	rt, routed := parseRoute(s.cfg.BasePath, r.URL.Path)
	var actor string
	defer func() {
		if p := recover(); p != nil {
			log.Error().Interface("panic", p).Str("http_method", r.Method).Str("path", rt.pattern()).Msg("scim: handler panicked")
			if !sw.wrote {
				writeError(sw, errorf(http.StatusInternalServerError, "", "internal error"))
			}
		}
		ev := log.Info()
		if sw.status >= 500 {
			ev = log.Warn()
		}
		telemetry.Current().SCIMRequest(ctx, r.Method, sw.status)
		ev.Str("http_method", r.Method).Str("path", rt.pattern()).Str("resource_id", rt.id).Int("status", sw.status).
			Str("actor", actor).Dur("latency", time.Since(start)).Msg("scim request")
	}()

	actor, e := s.auth.authenticate(ctx, r)
	if e != nil {
		challenge := `Bearer realm="scim"`
		if bearerToken(r) != "" {
			// RFC 6750 3.1: an error code only when a bearer token was
			// sent; not for Basic credentials or a bare "Bearer".
			challenge += `, error="invalid_token"`
		}
		sw.Header().Set("WWW-Authenticate", challenge)
		writeError(sw, e)
		return
	}
	if ok, wait := s.limit.allow(actor, received); !ok {
		sw.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeError(sw, errorf(http.StatusTooManyRequests, "", "too many requests from this client; retry later"))
		return
	}
	if !routed {
		writeError(sw, errorf(http.StatusNotFound, "", "no such endpoint"))
		return
	}
	if rt.kind == kindDiscovery {
		s.serveDiscovery(sw, r, rt)
		return
	}
	h := s.handlers[handlerKey{rt.kind, r.Method, rt.id != "", rt.search}]
	if h == nil {
		writeError(sw, errorf(http.StatusMethodNotAllowed, "", "%s is not allowed here", r.Method))
		return
	}
	req := &request{Request: r, route: rt, actor: actor, received: received, base: s.baseURL(r, rt)}
	if e := s.readBody(sw, req); e != nil {
		writeError(sw, e)
		return
	}
	// Read before any write, so that a bad one changes nothing.
	if e := req.readProjection(); e != nil {
		writeError(sw, e)
		return
	}
	resp, err := h(ctx, req)
	if err != nil {
		e := asError(err)
		if e.Status >= 500 {
			log.Error().Err(err).Msg("scim: request failed")
		}
		writeError(sw, e)
		return
	}
	resp.write(sw)
}

// readBody reads the body of a write, at most MaxBodyBytes, and decodes it:
// a resource (POST, PUT), with any password removed at once, or PATCH
// operations.
func (s *Server) readBody(w http.ResponseWriter, req *request) *scimError {
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil
	}
	if req.ContentLength > s.cfg.MaxBodyBytes {
		return errorf(http.StatusRequestEntityTooLarge, "", "the body is larger than %d bytes", s.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, s.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "", "the body is larger than %d bytes", s.cfg.MaxBodyBytes)
	case err != nil:
		return badRequest(typeInvalidSyntax, "the body cannot be read")
	}
	sch := userSchema
	if req.route.kind == kindGroups {
		sch = groupSchema
	}
	if req.Method == http.MethodPatch {
		req.ops, err = sch.parsePatch(body)
		return asErrorOrNil(err)
	}
	req.object, err = decodeObject(body)
	stripPassword(req.object)
	return asErrorOrNil(err)
}

// readProjection reads attributes and excludedAttributes from the query
// string.
func (req *request) readProjection() *scimError {
	sch := userSchema
	if req.route.kind == kindGroups {
		sch = groupSchema
	}
	q := queryRequest(req.URL.Query())
	var err error
	req.proj, err = sch.parseProjection(q.attributes, q.excluded)
	return asErrorOrNil(err)
}

func asErrorOrNil(err error) *scimError {
	if err == nil {
		return nil
	}
	return asError(err)
}

// serveDiscovery passes a discovery request to elimity-com/scim, with the
// path in its canonical form.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodGet {
		writeError(w, errorf(http.StatusMethodNotAllowed, "", "%s is not allowed here", r.Method))
		return
	}
	if rt.path == "/ServiceProviderConfig" {
		(&response{status: http.StatusOK, body: serviceProviderConfig(s.baseURL(r, rt))}).write(w)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = rt.path, ""
	w.Header().Set("Cache-Control", "no-store")
	s.discovery.ServeHTTP(w, r2)
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}
