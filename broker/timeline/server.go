package timeline

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

var pages = map[string]*template.Template{}

func init() {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05.000Z")
		},
	}
	for _, name := range []string{"search", "request", "cascade", "signin", "refused"} {
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
}

// Server serves the page. It is safe for concurrent use.
type Server struct {
	cfg    Config
	path   string // BaseURL's path, e.g. /timeline
	origin string // BaseURL's scheme and host
	csp    string
	client *http.Client
	mux    *http.ServeMux

	mu       sync.Mutex
	chain    chainStatus
	checking bool
	verified int64 // the head seq the last verification read
}

// chainStatus is the audit chain's last verification.
type chainStatus struct {
	OK      bool
	Summary string
	Checked time.Time
}

// New checks cfg and returns the page's handler.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	u, _ := url.Parse(cfg.BaseURL)
	s := &Server{cfg: cfg, path: strings.TrimSuffix(u.Path, "/"), origin: u.Scheme + "://" + u.Host,
		client: &http.Client{Timeout: 10 * time.Second}}
	formAction := "'self'"
	if lu, err := url.Parse(cfg.LoginURL); err == nil && lu.Host != "" {
		formAction += " " + lu.Scheme + "://" + lu.Host
	}
	s.csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + formAction +
		"; frame-ancestors 'none'; base-uri 'none'"
	m := http.NewServeMux()
	m.HandleFunc("GET "+s.path+"/{$}", s.authed(s.serveSearch))
	m.HandleFunc("GET "+s.path+"/request/{id}", s.authed(s.serveRequest))
	m.HandleFunc("GET "+s.path+"/cascade/{id}", s.authed(s.serveCascade))
	m.HandleFunc("GET "+s.path+"/login", s.serveLogin)
	m.HandleFunc("POST "+s.path+"/login", s.servePaste)
	m.HandleFunc("GET "+s.path+"/callback", s.serveCallback)
	m.HandleFunc("POST "+s.path+"/logout", s.serveLogout)
	m.HandleFunc("GET "+s.path+"/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		b, _ := files.ReadFile("templates/style.css")
		w.Write(b)
	})
	s.mux = m
	return s, nil
}

// ServeHTTP sets the security headers and routes; a panic is a 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			zerolog.Ctx(r.Context()).Error().Interface("panic", p).Str("path", r.URL.Path).Msg("timeline: handler panicked")
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == s.path {
		http.Redirect(w, r, s.path+"/", http.StatusFound)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title  string
	Base   string
	Viewer viewer
	Chain  chainStatus
	Error  string
	IdPs   []string
	Login  bool // a login service is configured
	Data   any
}

// authed serves h to viewers who may read the audit trail.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, page)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, rf := s.authenticate(r)
		if rf != nil {
			zerolog.Ctx(r.Context()).Info().Str("reason", rf.Reason).Str("principal", v.Principal).
				Str("token_fingerprint", v.Fingerprint).Int("status", rf.Status).Msg("timeline: refused")
			name, p := "refused", page{Title: "Not allowed", Error: rf.Msg}
			if rf.Status == http.StatusUnauthorized {
				name, p.Title = "signin", "Sign in"
				if s.cfg.LoginURL != "" {
					p.IdPs, _ = s.idps(r.Context()) // none listed: the page links to /login
				}
			}
			s.render(w, r, rf.Status, name, p)
			return
		}
		h(w, r, page{Viewer: v, Chain: s.chainStatus(r)})
	}
}

// chainStatus verifies the chain when it grew, or at most once per
// VerifyEvery: at once while it is small, in the background once it is
// large (the page then shows the last result, with its time).
func (s *Server) chainStatus(r *http.Request) chainStatus {
	var head int64
	_ = s.cfg.Store.View(r.Context(), func(ctx context.Context, tx store.Tx) error {
		head, _, _ = tx.ChainHead(ctx)
		return nil
	})
	s.mu.Lock()
	st := s.chain
	stale := s.cfg.Now().Sub(st.Checked) > s.cfg.VerifyEvery || head != s.verified
	if !stale || s.checking {
		s.mu.Unlock()
		return st
	}
	s.checking = true
	s.mu.Unlock()
	verify := func() chainStatus {
		// Not the request's context: a background check outlives it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
		defer cancel()
		rep, err := audit.VerifyStore(ctx, s.cfg.Store, audit.StoreOptions{MaxProblems: 5})
		c := chainStatus{OK: err == nil && rep.OK(), Summary: rep.Summary(), Checked: s.cfg.Now()}
		if err != nil {
			c.Summary = "the chain could not be read: " + err.Error()
		} else if !rep.OK() {
			for _, p := range rep.Problems {
				c.Summary += "; " + p.String()
			}
		}
		s.mu.Lock()
		s.chain, s.checking, s.verified = c, false, head
		s.mu.Unlock()
		return c
	}
	if st.Checked.IsZero() || head < 50000 {
		return verify()
	}
	go verify()
	return st
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Base, p.Login = s.path, s.cfg.LoginURL != ""
	if p.Title == "" {
		p.Title = "Audit timeline"
	}
	var b bytes.Buffer
	if err := pages[name].Execute(&b, p); err != nil {
		zerolog.Ctx(r.Context()).Error().Err(err).Str("page", name).Msg("timeline: render")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
