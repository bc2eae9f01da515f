package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/devstack"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var emulatorLine = regexp.MustCompile(`PUBSUB_EMULATOR_HOST=(\S+)`)

// startDev runs `iis dev` in-process on free ports and returns the
// Pub/Sub emulator address from its banner.
func startDev(t *testing.T, extra ...string) (addr string, stderr *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	done := make(chan int, 1)
	args := append([]string{"dev", "-pubsub-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-iam-addr", "127.0.0.1:0", "-dataproc-addr", "127.0.0.1:0", "-saml-addr", "127.0.0.1:0", "-data-dir", filepath.Join(t.TempDir(), "data"), "-log-format", "json"}, extra...)
	go func() { done <- run(ctx, args, &syncBuffer{}, stderr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("iis dev exited %d:\n%s", code, stderr.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := emulatorLine.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], stderr
		}
		select {
		case code := <-done:
			t.Fatalf("iis dev exited %d before its banner:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond): // waiting for the banner
		}
	}
	t.Fatalf("iis dev printed no banner:\n%s", stderr.String())
	return "", nil
}

// TestDevRejectsMalformedRequest is the README walk-through: with `iis dev`
// running, a malformed job request published with `iis publish` shows up in
// `iis tail` as event rejected.
func TestDevRejectsMalformedRequest(t *testing.T) {
	addr, _ := startDev(t)
	ctx := context.Background()

	tailOut := &syncBuffer{}
	tailDone := make(chan int, 1)
	tctx, tcancel := context.WithTimeout(ctx, 30*time.Second)
	defer tcancel()
	go func() {
		tailDone <- run(tctx, []string{"tail", "-pubsub-emulator", addr, "-json", "-n", "1"}, tailOut, &syncBuffer{})
	}()
	// tail creates its subscription before it receives; wait for it so the
	// event is not published before anyone listens.
	waitFor(t, func() bool { return strings.Contains(subscriptions(t, addr), "iis-tail-") })

	// Producers validate: the malformed request is refused without -no-validate.
	var out, errOut syncBuffer
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-data", `{"job":{}}`}, &out, &errOut); code == 0 {
		t.Fatalf("publish of invalid data exited 0, want refusal; output %s", out.String())
	}
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-data", `{"job":{}}`, "-no-validate"}, &out, &errOut); code != 0 {
		t.Fatalf("publish -no-validate exited %d: %s", code, errOut.String())
	}
	if code := <-tailDone; code != 0 {
		t.Fatalf("tail exited %d", code)
	}
	var rec tailRecord
	if err := json.Unmarshal([]byte(strings.TrimSpace(tailOut.String())), &rec); err != nil {
		t.Fatalf("tail -json line %q: %v", tailOut.String(), err)
	}
	if rec.Attributes["ce-type"] != events.EventRejected {
		t.Fatalf("tail saw %s, want %s", rec.Attributes["ce-type"], events.EventRejected)
	}
	var r events.Rejection
	if err := json.Unmarshal(rec.Data, &r); err != nil || r.Reason != "schema_violation" {
		t.Errorf("rejection = %+v (%v), want reason schema_violation", r, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond) // polling state that has no notification
	}
}

// TestDevIssuersFile: the issuers file `iis dev` writes for joining
// workers parses, trusts the session issuer with the user_id link, and
// names both login IdPs.
func TestDevIssuersFile(t *testing.T) {
	dir := t.TempDir()
	stack, err := devstack.Start(context.Background(), devstack.Config{IssuerURL: "http://127.0.0.1:1/oidc",
		LoginURL: "http://127.0.0.1:1/login", SAMLURL: "http://127.0.0.1:2", SessionURL: "http://127.0.0.1:1/session"})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	if err := writeIssuers(dir, stack); err != nil {
		t.Fatal(err)
	}
	iss, err := identity.LoadIssuers(filepath.Join(dir, "issuers.yaml"))
	if err != nil || len(iss) != 2 || iss[1].URL != "http://127.0.0.1:1/session" || len(iss[1].Directory.By) != 1 || iss[1].Directory.By[0] != identity.LinkUserID {
		t.Errorf("LoadIssuers() = %+v, %v", iss, err)
	}
	idps, err := login.LoadIdPs(filepath.Join(dir, "issuers.yaml"))
	if err != nil || len(idps) != 2 || idps[0].Name != devstack.OIDCLogin || idps[1].SAML == nil {
		t.Errorf("LoadIdPs() = %+v, %v", idps, err)
	}
}
