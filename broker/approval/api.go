package approval

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// APIPath is where the API is served.
const APIPath = "/approvals/v1/"

// API is the approvers' view of what waits for them, for `iis pending`
// and `iis approve` (which reads a request's digest from it). Every call
// carries the caller's ID token or session token as a bearer token,
// verified like a requester's; a caller sees only the requests they may
// answer now (or, under mine, their own):
//
//	GET /approvals/v1/pending         requests the caller may approve or reject
//	GET /approvals/v1/requests/{id}   the waiting request(s) with that id the caller may answer, or made
//	GET /approvals/v1/mine            the caller's own requests that wait
//
// Answers are never taken here: they are events (approval.granted,
// approval.rejected), audited like every input.
type API struct {
	Store     store.Store
	Verifier  decision.TokenVerifier
	Directory bool
	Now       func() time.Time
	Limit     int // waiting requests read per call (default 500)
}

// Item is one waiting request as the API shows it.
type Item struct {
	RequestID     string                       `json:"request_id"`
	RequestDigest string                       `json:"request_digest"`
	Requester     events.Principal             `json:"requester"`
	Role          string                       `json:"role"`
	Requirements  []events.ApprovalRequirement `json:"requirements"`
	Counts        []events.ApprovalCount       `json:"counts"`
	ExpiresAt     time.Time                    `json:"expires_at"`
	Window        string                       `json:"window,omitempty"`
	Request       events.RequestFacts          `json:"request"`
}

// List is the body of every answer of the API.
type List struct {
	Requests []Item `json:"requests"`
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		apiError(w, http.StatusMethodNotAllowed, "method_not_allowed", "only GET")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(APIPath, "/"))
	var filter func(store.ApprovalRequest, approver) bool
	switch id, isID := strings.CutPrefix(path, "/requests/"); {
	case path == "/pending":
		filter = func(q store.ApprovalRequest, ap approver) bool { return ap.eligible(q) == nil }
	case path == "/mine":
		filter = func(q store.ApprovalRequest, ap approver) bool {
			return q.UserID == ap.id || strings.EqualFold(q.Principal, ap.name)
		}
	case isID && id != "" && !strings.Contains(id, "/"):
		// Also to the requester and their chain, who may not answer it:
		// the broker refuses (and audits) their answer, not this view.
		filter = func(q store.ApprovalRequest, ap approver) bool {
			return q.RequestID == id && (ap.eligible(q) == nil || slices.ContainsFunc(ap.chain, func(c string) bool { return slices.Contains(q.Chain, c) }) ||
				strings.EqualFold(q.Principal, ap.name))
		}
	default:
		apiError(w, http.StatusNotFound, "not_found", "no such resource: see "+APIPath+"pending")
		return
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="iis"`)
		apiError(w, http.StatusUnauthorized, "unauthorized", "send your ID token or session token as a bearer token")
		return
	}
	p, err := a.Verifier.Verify(r.Context(), raw)
	if err != nil {
		status := http.StatusUnauthorized
		if !fault.IsPermanent(err) {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="iis", error="invalid_token"`)
		apiError(w, status, fault.ReasonOf(err), "the token does not verify")
		return
	}
	items, err := a.list(r.Context(), p, filter)
	switch {
	case fault.IsPermanent(err):
		apiError(w, http.StatusForbidden, fault.ReasonOf(err), err.Error())
		return
	case err != nil:
		zerolog.Ctx(r.Context()).Warn().Err(err).Msg("approvals API: listing failed")
		apiError(w, http.StatusServiceUnavailable, "store_unavailable", "try again")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(List{Requests: items}) //nolint:errcheck // the client went away
}

// list returns the waiting requests, not expired, that filter keeps for
// the caller, without those the caller answered already.
func (a *API) list(ctx context.Context, p identity.Principal, keep func(store.ApprovalRequest, approver) bool) ([]Item, error) {
	limit := a.Limit
	if limit <= 0 {
		limit = 500
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	items := []Item{}
	err := a.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		ap, err := resolve(ctx, tx, p, a.Directory)
		if err != nil {
			return err
		}
		waiting, err := tx.ListApprovalRequests(ctx, store.ApprovalQuery{Status: store.ApprovalPending, Limit: limit})
		if err != nil {
			return err
		}
		for _, q := range waiting {
			if !now.Before(q.ExpiresAt) || !keep(q, ap) {
				continue
			}
			answers, err := tx.ListApprovals(ctx, q.RequestKey)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(answers, func(x store.Approval) bool { return x.ApproverID == ap.id }) {
				continue
			}
			it, err := item(ctx, tx, q, a.Directory)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	return items, err
}

func item(ctx context.Context, tx store.Tx, q store.ApprovalRequest, withDirectory bool) (Item, error) {
	it := Item{RequestID: q.RequestID, RequestDigest: q.RequestDigest, Role: q.Role, ExpiresAt: q.ExpiresAt.UTC()}
	if err := jsonUnmarshal(q.Requester, &it.Requester); err != nil {
		return it, err
	}
	if err := jsonUnmarshal(q.Facts, &it.Request); err != nil {
		return it, err
	}
	for _, r := range q.Requirements {
		it.Requirements = append(it.Requirements, events.ApprovalRequirement(r))
	}
	if q.Window > 0 {
		it.Window = q.Window.String()
	}
	var err error
	it.Counts, _, err = Checker{Directory: withDirectory}.Count(ctx, tx, q)
	return it, err
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg}) //nolint:errcheck
}
