package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// audit records a refusal: f (if not nil and still in progress) is marked
// failed, and login.failed is appended, in one transaction. A store that
// cannot be written is logged: the refusal stands either way.
func (s *Server) audit(ctx context.Context, f *store.LoginFlow, fl events.LoginFailure) {
	logCtx(ctx).Info().Str("idp", fl.Login.IdP).Str("stage", fl.Stage).Str("reason", fl.Reason).
		Str("flow_id", fl.Login.FlowID).Msg("login refused")
	e, err := events.NewLoginFailed(s.cfg.Source, fl, events.WithTime(s.now()), events.WithSubject(fl.Login.IdP))
	if err != nil {
		logCtx(ctx).Error().Err(err).Msg("login: building login.failed")
		return
	}
	err = s.cfg.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if f != nil && f.ID != "" && (f.Status == store.LoginPending || f.Status == store.LoginAuthenticated) {
			failed := *f
			failed.Status, failed.Reason, failed.PKCEVerifier, failed.Nonce = store.LoginFailed, fl.Reason, "", ""
			if err := tx.UpdateLoginFlow(ctx, failed, f.Status); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return s.cfg.Audit.Append(ctx, tx, e)
	})
	if err != nil {
		logCtx(ctx).Error().Err(err).Msg("login: auditing a refusal failed")
		return
	}
	s.wake()
}

func (s *Server) wake() {
	if s.cfg.Wake != nil {
		s.cfg.Wake()
	}
}

// appendAll appends events to the audit chain in tx.
func (s *Server) appendAll(ctx context.Context, tx store.Tx, es ...event.Event) error {
	for _, e := range es {
		if err := s.cfg.Audit.Append(ctx, tx, e); err != nil {
			return fmt.Errorf("audit.Append(%s): %w", e.Type(), err)
		}
	}
	return nil
}
