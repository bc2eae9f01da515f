package timeline

import (
	"net/http"
	"strings"
	"time"
)

// search is the search page's data.
type search struct {
	Q, From, To string
	Requests    []*request
	Cascades    []record
	Older       bool // the window left older records out
	Shown       int
}

const maxResults = 200

// serveSearch lists the requests and cascades matching a request id or a
// principal (q) and a time range.
func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request, p page) {
	q := r.URL.Query()
	sr := search{Q: strings.TrimSpace(q.Get("q")), From: q.Get("from"), To: q.Get("to")}
	from, ferr := parseTime(sr.From)
	to, terr := parseTime(sr.To)
	if ferr != nil || terr != nil {
		p.Error = "times are like 2026-12-03T10:00 or 2026-12-03T10:00:00Z (UTC)"
	}
	trail, older, err := readTrail(r.Context(), s.cfg.Store, s.cfg.Window)
	if err != nil {
		s.render(w, r, http.StatusServiceUnavailable, "refused", page{Title: "Unavailable", Error: "the audit trail cannot be read: " + err.Error()})
		return
	}
	sr.Older = older
	needle := strings.ToLower(sr.Q)
	in := func(t time.Time) bool { return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to)) }
	for _, rq := range requests(trail) {
		if len(sr.Requests) >= maxResults {
			break
		}
		if in(rq.Started) && (needle == "" || rq.ID == sr.Q || strings.Contains(strings.ToLower(rq.Principal), needle)) {
			sr.Requests = append(sr.Requests, rq)
		}
	}
	for i := len(trail) - 1; i >= 0 && len(sr.Cascades) < maxResults; i-- {
		c := trail[i]
		if c.revoked != nil && in(c.Time) && (needle == "" || c.ID == sr.Q || strings.Contains(strings.ToLower(c.Principal), needle)) {
			sr.Cascades = append(sr.Cascades, c)
		}
	}
	sr.Shown = len(trail)
	p.Data = sr
	s.render(w, r, http.StatusOK, "search", p)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	_, err := time.Parse(time.RFC3339, s)
	return time.Time{}, err
}

// serveRequest shows one request from trigger to output.
func (s *Server) serveRequest(w http.ResponseWriter, r *http.Request, p page) {
	id := r.PathValue("id")
	trail, _, err := readTrail(r.Context(), s.cfg.Store, s.cfg.Window)
	if err != nil {
		s.render(w, r, http.StatusServiceUnavailable, "refused", page{Title: "Unavailable", Error: "the audit trail cannot be read: " + err.Error()})
		return
	}
	for _, rq := range requests(trail) {
		if rq.ID == id {
			p.Title, p.Data = "Request "+id, rq
			s.render(w, r, http.StatusOK, "request", p)
			return
		}
	}
	p.Title, p.Error = "Not found", "no request "+id+" in the newest audit records"
	s.render(w, r, http.StatusNotFound, "refused", p)
}

// cascade is a leaver's cascade and the jobs it stopped.
type cascade struct {
	Revocation record
	Trigger    *record
	Changes    []record // the job changes it caused
}

// serveCascade shows a cascade (an access.revoked) with its latency.
func (s *Server) serveCascade(w http.ResponseWriter, r *http.Request, p page) {
	id := r.PathValue("id")
	trail, _, err := readTrail(r.Context(), s.cfg.Store, s.cfg.Window)
	if err != nil {
		s.render(w, r, http.StatusServiceUnavailable, "refused", page{Title: "Unavailable", Error: "the audit trail cannot be read: " + err.Error()})
		return
	}
	var c *cascade
	for _, rec := range trail {
		if rec.ID == id && rec.revoked != nil {
			c = &cascade{Revocation: rec}
		}
	}
	if c == nil {
		p.Title, p.Error = "Not found", "no access.revoked "+id+" in the newest audit records"
		s.render(w, r, http.StatusNotFound, "refused", p)
		return
	}
	for i := range trail {
		switch {
		case trail[i].ID == c.Revocation.revoked.Trigger.EventID:
			c.Trigger = &trail[i]
		case trail[i].Cause == id:
			c.Changes = append(c.Changes, trail[i])
		}
	}
	p.Title, p.Data = "Cascade "+id, c
	s.render(w, r, http.StatusOK, "cascade", p)
}
