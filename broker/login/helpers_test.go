package login_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/internal/devissuer"
)

// lock locks a directory user, as the SCIM leaver path does.
func (r *rig) lock(userName string) {
	r.t.Helper()
	err := r.st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUserByName(ctx, userName)
		if err != nil {
			return err
		}
		_, err = tx.SetUserLocked(ctx, u.ID, true, "test")
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// noSecrets: no session, code or verifier in any audit record or login
// flow row.
func noSecrets(t *testing.T, r *rig, secrets ...string) {
	t.Helper()
	if _, err := audit.Sequence(context.Background(), r.st, 0); err != nil {
		t.Fatal(err)
	}
	recs, err := r.st.AuditTrail(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range recs {
		blob := string(m.Data)
		for k, v := range m.Attributes {
			blob += k + v
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(blob, s) {
				t.Errorf("audit record %d (%s) holds a secret", m.Seq, m.Attributes["ce-type"])
			}
		}
	}
}

func devissuerRequest(email string) devissuer.TokenRequest {
	return devissuer.TokenRequest{Email: email, Audience: "iis"}
}

func (r *rig) user(name string) store.User {
	r.t.Helper()
	var u store.User
	err := r.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = tx.GetUserByName(ctx, name)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return u
}
