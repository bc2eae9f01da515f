package login

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// refresh issues a new session for a valid one: same person, same login
// time, never past 12h after it. The directory is read first: a locked,
// deactivated or removed person gets nothing.
func (s *Server) refresh(ctx context.Context, raw, ip string) (TokenResponse, *refusal, error) {
	fl := events.LoginFailure{Login: events.Login{IdP: "unknown", RemoteIP: ip}, Stage: StageRefresh}
	if raw != "" {
		fl.SessionFingerprint = identity.Fingerprint(raw)
	}
	refused := func(rf *refusal) (TokenResponse, *refusal, error) {
		fl.Reason, fl.Message = rf.reason, truncate(rf.msg, 1000)
		s.audit(ctx, nil, fl)
		return TokenResponse{}, rf, nil
	}
	c, old, err := s.cfg.Sessions.Verify(ctx, raw)
	if err != nil {
		return refused(grantRefusal(StageRefresh, ReasonSessionInvalid, "%v", err))
	}
	if nameRE.MatchString(c.IdP) {
		fl.Login.IdP = c.IdP
	}
	fl.UserID = c.UserID
	u, rf, err := s.currentUser(ctx, c.UserID, StageRefresh)
	if err != nil {
		return TokenResponse{}, nil, err
	}
	if rf != nil {
		p := principalOf(u)
		if p.ID != "" {
			fl.Principal = &p
		}
		rf.status = http.StatusBadRequest
		return refused(rf)
	}
	tok, err := s.cfg.Sessions.Issue(ctx, session.Claims{UserID: u.ID, Email: primaryEmail(u), Name: strings.ToLower(u.UserName),
		IdP: c.IdP, AuthTime: c.AuthTime, SessionID: c.SessionID})
	if errors.Is(err, session.ErrTooOld) {
		return refused(grantRefusal(StageRefresh, ReasonLoginTooOld, "%v", err))
	}
	if err != nil {
		return TokenResponse{}, nil, err
	}
	issued, err := s.sessionIssued(tok, principalOf(u), events.SessionRefresh, old.Fingerprint, "")
	if err != nil {
		return TokenResponse{}, nil, err
	}
	err = s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rf = nil
		now, err := tx.GetUser(ctx, u.ID)
		if err != nil {
			return err
		}
		if rf = userState(StageRefresh, now); rf != nil {
			return nil
		}
		return s.appendAll(ctx, tx, issued)
	})
	if err != nil {
		return TokenResponse{}, nil, err
	}
	if rf != nil {
		rf.oauth, rf.status = "invalid_grant", http.StatusBadRequest
		return refused(rf)
	}
	s.wake()
	return s.response(tok, u), nil, nil
}
