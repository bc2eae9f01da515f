package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/fault"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDevIssuer mints tokens with the dev issuer (in process and over HTTP,
// as `iis token` does) and verifies them through discovery.
func TestDevIssuer(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mintClock := &clock{now: t0}
	dev, err := devissuer.New(devissuer.Config{URL: srv.URL + "/oidc", DevMode: true, Audience: "iis", ES256: true, Now: mintClock.Now})
	if err != nil {
		t.Fatalf("devissuer.New() = %v", err)
	}
	mux.Handle("/oidc/", dev.Handler())
	v, _ := newTestVerifier(t, &testIssuer{url: dev.URL()}, func(c *Config) { c.Issuers[0].TrustedForGroups = true })

	viaHTTP := func(form url.Values) string {
		resp, err := http.PostForm(dev.URL()+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			IDToken string `json:"id_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.IDToken == "" {
			t.Fatalf("POST /token = %s, %v", resp.Status, err)
		}
		return out.IDToken
	}
	mint := func(r devissuer.TokenRequest) string {
		raw, err := dev.Mint(r)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	tests := []struct {
		name   string
		raw    string
		want   Principal
		reason string
	}{
		{name: "iis token --as alice --groups data-eng", raw: viaHTTP(url.Values{"email": {"alice@example.com"}, "groups": {"data-eng"}}),
			want: Principal{ID: "alice@example.com", Email: "alice@example.com", Type: TypeHuman, Issuer: dev.URL(), Subject: "alice@example.com", Groups: []string{"data-eng"}, ExpiresAt: t0.Add(time.Hour), Link: Link{By: DefaultLinks}}},
		{name: "ES256 workload", raw: mint(devissuer.TokenRequest{Email: "airflow@p.iam.gserviceaccount.com", Alg: "ES256", PrincipalType: "workload"}),
			want: Principal{ID: "airflow@p.iam.gserviceaccount.com", Email: "airflow@p.iam.gserviceaccount.com", Type: TypeWorkload, Issuer: dev.URL(), Subject: "airflow@p.iam.gserviceaccount.com", ExpiresAt: t0.Add(time.Hour), Link: Link{By: DefaultLinks}}},
		{name: "wrong audience", raw: mint(devissuer.TokenRequest{Email: "a@example.com", Audience: "other"}), reason: ReasonAudienceMismatch},
		{name: "not yet valid", raw: mint(devissuer.TokenRequest{Email: "a@example.com", NotBefore: t0.Add(time.Hour)}), reason: ReasonNotYetValid},
		{name: "expired", raw: func() string {
			mintClock.advance(-2 * time.Hour)
			defer mintClock.advance(2 * time.Hour)
			return mint(devissuer.TokenRequest{Email: "a@example.com"})
		}(), reason: ReasonExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.raw)
			if tt.reason != "" {
				if fault.ReasonOf(err) != tt.reason {
					t.Errorf("Verify() = %v, want %s", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Principal{}, "TokenFingerprint", "Claims"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Verify() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
