package credentials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const secret = "iisdev.s3cr3t-t0k3n-value"

func TestCredentialNeverShowsToken(t *testing.T) {
	cred := newCredential(secret, etlSA, []string{CloudPlatformScope}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if cred.AccessToken() != secret {
		t.Fatalf("AccessToken() = %q, want the minted token", cred.AccessToken())
	}
	type holder struct {
		c    Credential
		C    Credential
		Ptr  *Credential
		List []Credential
	}
	h := holder{c: cred, C: cred, Ptr: &cred, List: []Credential{cred}}
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("json.Marshal() = %v", err)
	}
	var zl, sl bytes.Buffer
	zlog := zerolog.New(&zl)
	zlog.Info().Object("credential", cred).Interface("holder", h).Msg("minted")
	slog.New(slog.NewJSONHandler(&sl, nil)).Info("minted", "credential", cred)
	outputs := map[string]string{
		"String":     cred.String(),
		"%v":         fmt.Sprintf("%v", cred),
		"%+v":        fmt.Sprintf("%+v", cred),
		"%#v":        fmt.Sprintf("%#v", cred),
		"%s":         fmt.Sprintf("%s", cred),
		"%q":         fmt.Sprintf("%q", cred),
		"%x":         fmt.Sprintf("%x", cred),
		"nested %+v": fmt.Sprintf("%+v", h),
		"nested %#v": fmt.Sprintf("%#v", h),
		"error wrap": fmt.Errorf("submit with %v: boom", cred).Error(),
		"json":       string(js),
		"zerolog":    zl.String(),
		"slog":       sl.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, "s3cr3t") {
			t.Errorf("%s output contains the token: %s", name, out)
		}
	}
	for _, name := range []string{"String", "json", "zerolog", "slog"} {
		if !strings.Contains(outputs[name], cred.Fingerprint) || !strings.Contains(outputs[name], etlSA) {
			t.Errorf("%s output = %s, want the fingerprint and service account", name, outputs[name])
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, b := Fingerprint("token-a"), Fingerprint("token-b")
	if len(a) != 16 || a == b || a != Fingerprint("token-a") {
		t.Errorf("Fingerprint() = %q, %q; want 16 stable hex digits that differ per token", a, b)
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cred := newCredential(secret, etlSA, nil, now.Add(time.Minute))
	tests := []struct {
		name   string
		cred   Credential
		margin time.Duration
		want   bool
	}{
		{"fresh", cred, 0, false},
		{"within margin", cred, time.Minute, true},
		{"zero credential", Credential{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cred.Expired(now, tt.margin); got != tt.want {
				t.Errorf("Expired(%v, %v) = %v, want %v", now, tt.margin, got, tt.want)
			}
		})
	}
}
