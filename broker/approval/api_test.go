package approval_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dataproc-iis/iis/broker/approval"
)

// TestAPI: each approver sees what they may answer now, and nothing else;
// the requester sees their own waiting request; tokens are verified.
func TestAPI(t *testing.T) {
	e := start(t, short)
	mux := http.NewServeMux()
	mux.Handle(approval.APIPath, e.Broker.ApprovalAPI())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	get := func(path, token string) (int, approval.List, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var l approval.List
		json.NewDecoder(resp.Body).Decode(&l)
		return resp.StatusCode, l, resp.Header.Get("WWW-Authenticate")
	}
	ids := func(l approval.List) string {
		var out []string
		for _, it := range l.Requests {
			out = append(out, it.RequestID)
		}
		return strings.Join(out, ",")
	}
	req := e.request(t, e.token(t, "erin@example.com"), "curated")
	ar := e.pending(t, req)
	grace, heidi := e.token(t, "grace@example.com"), e.token(t, "heidi@example.com")

	code, l, _ := get("/approvals/v1/pending", grace)
	if code != http.StatusOK || ids(l) != req.ID() {
		t.Fatalf("grace's pending: %d %s, want %s", code, ids(l), req.ID())
	}
	it := l.Requests[0]
	if it.RequestDigest != ar.RequestDigest || it.Requester.ID != "erin@example.com" || it.Role != "curated" ||
		counts(it.Counts) != "role:curated 0/2 []" || it.Request.Job.MainPythonURI == "" {
		t.Errorf("pending item = %+v", it)
	}
	for _, tt := range []struct {
		who, path, token, want string
	}{
		{"the requester is no approver", "/approvals/v1/pending", e.token(t, "erin@example.com"), ""},
		{"the requester's own", "/approvals/v1/mine", e.token(t, "erin@example.com"), req.ID()},
		{"outside the groups", "/approvals/v1/pending", e.token(t, "ivan@example.com"), ""},
		{"by id", "/approvals/v1/requests/" + req.ID(), heidi, req.ID()},
		{"by another id", "/approvals/v1/requests/nope", heidi, ""},
		{"by id, to the requester", "/approvals/v1/requests/" + req.ID(), e.token(t, "erin@example.com"), req.ID()},
		{"by id, outside the groups", "/approvals/v1/requests/" + req.ID(), e.token(t, "ivan@example.com"), ""},
	} {
		if code, l, _ := get(tt.path, tt.token); code != http.StatusOK || ids(l) != tt.want {
			t.Errorf("%s: GET %s = %d %q, want 200 %q", tt.who, tt.path, code, ids(l), tt.want)
		}
	}
	counted(t, "grace", e.answer(t, grace, req.ID(), ar.RequestDigest, false))
	if _, l, _ := get("/approvals/v1/pending", grace); ids(l) != "" {
		t.Errorf("grace's pending after she approved: %s, want nothing", ids(l))
	}
	if _, l, _ := get("/approvals/v1/pending", heidi); ids(l) != req.ID() || counts(l.Requests[0].Counts) != "role:curated 1/2 [grace@example.com]" {
		t.Errorf("heidi's pending: %+v", l)
	}

	forged := strings.Join(append(strings.Split(heidi, ".")[:2], strings.Split(grace, ".")[2]), ".")
	for _, tt := range []struct {
		name, token string
		code        int
		auth        string
	}{
		{"no token", "", http.StatusUnauthorized, `Bearer realm="iis"`},
		{"a forged token", forged, http.StatusUnauthorized, `Bearer realm="iis", error="invalid_token"`},
		{"not in the directory", e.token(t, "mallory@example.com"), http.StatusForbidden, ""},
	} {
		if code, l, auth := get("/approvals/v1/pending", tt.token); code != tt.code || auth != tt.auth || len(l.Requests) != 0 {
			t.Errorf("%s: %d %q %v, want %d %q and nothing listed", tt.name, code, auth, ids(l), tt.code, tt.auth)
		}
	}
	if code, _, _ := get("/approvals/v1/other", heidi); code != http.StatusNotFound {
		t.Errorf("GET an unknown path = %d, want 404", code)
	}
	resp, err := http.Post(srv.URL+"/approvals/v1/pending", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405: answers are events", resp.StatusCode)
	}
}
