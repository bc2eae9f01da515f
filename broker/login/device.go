package login

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// userCodeAlphabet has no vowels (no words) and no look-alikes (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns XXXX-XXXX: 20^8 codes, about 34 bits.
func newUserCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(userCodeAlphabet[int(c)%len(userCodeAlphabet)])
	}
	return sb.String()
}

// normUserCode folds what a person typed: case, dashes and spaces.
func normUserCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

// serveDeviceCode is the device authorization endpoint (RFC 8628 §3.1):
// POST idp=NAME.
func (s *Server) serveDeviceCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	name := r.PostForm.Get("idp")
	p, rf := s.provider(name)
	f := store.LoginFlow{IdP: name, Client: events.ClientDevice, RemoteIP: remoteIP(r)}
	if rf != nil {
		s.audit(r.Context(), nil, failure(f, rf))
		writeJSON(w, rf.status, map[string]string{"error": "invalid_request", "error_description": rf.Error()})
		return
	}
	device, user := randomToken(32), newUserCode()
	f.ID, f.Protocol, f.Status, f.ExpiresAt = randomToken(24), p.protocol(), store.LoginPending, s.now().Add(s.cfg.FlowTTL)
	f.DeviceCodeHash, f.UserCodeHash = hash(device), hash(normUserCode(user))
	if err := s.cfg.Store.Update(r.Context(), func(ctx context.Context, tx store.Tx) error { return tx.PutLoginFlow(ctx, f) }); err != nil {
		logCtx(r.Context()).Warn().Err(err).Msg("login: storing the device flow failed")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	verify := s.url("/device")
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": device, "user_code": user, "verification_uri": verify,
		"verification_uri_complete": verify + "?user_code=" + user,
		"expires_in":                int(s.cfg.FlowTTL.Seconds()), "interval": int(s.cfg.PollInterval.Seconds()),
	})
}

// serveDevicePage asks the person for the code their terminal printed.
func (s *Server) serveDevicePage(w http.ResponseWriter, r *http.Request) {
	s.devicePage(w, http.StatusOK, r.URL.Query().Get("user_code"), "")
}

func (s *Server) devicePage(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	deviceTmpl.Execute(w, struct{ Action, Code, Error string }{s.url("/device"), code, msg})
}

// serveDeviceVerify takes the user code and sends the browser to the IdP
// for the flow it names.
func (s *Server) serveDeviceVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	code := normUserCode(r.PostForm.Get("user_code"))
	var f store.LoginFlow
	err := s.cfg.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		f, err = tx.FindLoginFlow(ctx, store.LoginByUserCode, hash(code))
		return err
	})
	var rf *refusal
	switch {
	case errors.Is(err, store.ErrNotFound):
		rf = refuse(StageStart, ReasonFlowUnknown, http.StatusNotFound, "no terminal is waiting for this code")
	case err != nil:
		s.devicePage(w, http.StatusServiceUnavailable, "", "The login service cannot read the code; retry in a moment.")
		return
	case f.Status != store.LoginPending:
		rf = refuse(StageStart, ReasonFlowUsed, http.StatusConflict, "this code was already used")
	case !s.now().Before(f.ExpiresAt):
		rf = refuse(StageStart, ReasonFlowExpired, http.StatusGone, "this code has expired; run iis login again")
	}
	if rf != nil {
		if f.ID == "" {
			f = store.LoginFlow{IdP: "unknown", Client: events.ClientDevice, RemoteIP: remoteIP(r)}
		}
		s.audit(ctx, nil, failure(f, rf))
		s.devicePage(w, rf.status, "", rf.Error())
		return
	}
	p, rf := s.provider(f.IdP)
	if rf != nil {
		s.failFlow(ctx, f, rf)
		s.devicePage(w, rf.status, "", rf.Error())
		return
	}
	redirect, err := s.leg(ctx, p, &f)
	if err == nil {
		err = s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateLoginFlow(ctx, f, store.LoginPending) })
	}
	if err != nil {
		logCtx(ctx).Warn().Err(err).Msg("login: starting the device flow's IdP leg failed")
		s.devicePage(w, http.StatusBadGateway, "", "The identity provider cannot be reached; retry in a moment.")
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}
