package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dataproc-iis/iis/internal/devissuer"
)

var publishedLine = regexp.MustCompile(`event ([0-9a-f-]{36})\)`)

// chromium is Debian's browser, which .ci/run installs.
const chromium = "/usr/bin/chromium"

// TestTimelineInABrowser is a person at the timeline page of `iis dev`, in
// headless Chromium: alice signs in through the login service and the dev
// issuer's form, runs a job, and follows it on the page to its end; bob
// leaves while his job runs, and his cascade shows with its latency. The
// screenshots are written to docs/ with IIS_UPDATE_SCREENSHOTS=1 (make
// screenshots), else to the test's temporary directory.
func TestTimelineInABrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium is not installed (apt-get install chromium; .ci/run installs it): the timeline's browser test is skipped")
	}
	const scimToken = "test-scim-token-0123456789"
	addr, stderr := startDev(t, "-job-pending", "300ms", "-job-running", "2s", "-poll-interval", "50ms",
		"-poll-backoff-min", "50ms", "-poll-backoff-max", "200ms", "-scim-tokens", scimToken)
	base := strings.TrimSuffix(issuerLine.FindStringSubmatch(stderr.String())[1], "/oidc")
	shots := t.TempDir()
	if os.Getenv("IIS_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join("..", "..", "docs")
	}

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	// Alice signs in: the page sends her to the login service, which sends
	// her to the dev issuer's form; she comes back with a session cookie.
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/timeline/"), chromedp.WaitVisible(`a[href$="idp=dev"]`)))
	signin := text(t, ctx, "main")
	must(t, chromedp.Do(ctx,
		chromedp.Click(`a[href$="idp=dev"]`),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "alice@example.com"),
		chromedp.SendKeys(`input[name=password]`, devissuer.DefaultPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`form.search`),
	))
	if !strings.Contains(signin, "may_read_audit") {
		t.Errorf("the sign-in page says %q", signin)
	}

	// Alice's job and bob's, published as a pipeline would.
	data := `{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`
	publish := func(who string) string {
		var tok, out syncBuffer
		if code := run(context.Background(), []string{"token", "-issuer", base + "/oidc", "-as", who}, &tok, &syncBuffer{}); code != 0 {
			t.Fatalf("iis token -as %s exited %d", who, code)
		}
		if code := run(context.Background(), []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested",
			"-token", strings.TrimSpace(tok.String()), "-data", data}, &out, &syncBuffer{}); code != 0 {
			t.Fatalf("iis publish exited %d", code)
		}
		m := publishedLine.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("iis publish printed %q", out.String())
		}
		return m[1]
	}
	aliceReq, bobReq := publish("alice@example.com"), publish("bob@example.com")

	// Her request's page, reloaded until the job has ended.
	var body string
	waitFor := func(url, want string) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); ; {
			goTo(t, ctx, url)
			if body = text(t, ctx, "body"); strings.Contains(body, want) {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("%s never showed %q; it shows:\n%s", url, want, body)
			}
			time.Sleep(200 * time.Millisecond) // the person reloads
		}
	}
	waitFor(base+"/timeline/request/"+bobReq, "RUNNING")
	// Bob leaves while his job runs: the SCIM deactivation cancels it.
	id := scimUserID(t, base, scimToken, "bob@example.com")
	req, _ := http.NewRequest("PATCH", base+"/scim/v2/Users/"+id, strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`))
	req.Header.Set("Authorization", "Bearer "+scimToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("SCIM deactivate: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(base+"/timeline/request/"+aliceReq, "SUCCEEDED")
	for _, want := range []string{"Approved: role etl", "policy version", "Credential issued for etl-runner@iis-dev.iam.gserviceaccount.com",
		"fingerprint", "expires", "Submitted to Dataproc", "PENDING → RUNNING", "RUNNING → SUCCEEDED", "Audit chain verified", "alice@example.com (role auditor)"} {
		if !strings.Contains(body, want) {
			t.Errorf("alice's request page shows no %q:\n%s", want, body)
		}
	}
	writeShot(t, ctx, filepath.Join(shots, "timeline-request.png"))

	waitFor(base+"/timeline/request/"+bobReq, "Cascades that touched it")
	must(t, chromedp.Do(ctx, chromedp.Click(`a[href^="../cascade/"]`), chromedp.WaitVisible(`#actions`)))
	body = text(t, ctx, "body")
	for _, want := range []string{"Cascade for bob@example.com", "Audit chain verified", "user_deactivated", "ms from the SCIM change to the last cancel", "cancel_job", "revoke_grant"} {
		if !strings.Contains(body, want) {
			t.Errorf("bob's cascade page shows no %q:\n%s", want, body)
		}
	}
	writeShot(t, ctx, filepath.Join(shots, "timeline-cascade.png"))

	// The search finds both by principal; alice signs out and is asked in again.
	goTo(t, ctx, base+"/timeline/?q=bob%40example.com")
	if body = text(t, ctx, "body"); !strings.Contains(body, bobReq) || strings.Contains(body, aliceReq) {
		t.Errorf("searching bob shows:\n%s", body)
	}
	must(t, chromedp.Do(ctx, chromedp.Click(`header button`), chromedp.WaitVisible(`a[href$="idp=dev"]`)))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// goTo loads url (a person typing it) and waits until the page is its:
// chromedp's own load wait can miss a quick load of the same origin.
func goTo(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.Navigate, page.NavigateParams{URL: url})
		return err
	})))
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		ready, rerr := chromedp.Run(ctx, chromedp.Evaluate[string]("document.readyState"))
		if err == nil && rerr == nil && loc == url && ready == "complete" {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("the browser did not load %s (at %s, %s: %v %v)", url, loc, ready, err, rerr)
		}
	}
}

// text is what a person reads in the element sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	must(t, err)
	return s
}

// writeShot writes a PNG of the whole page.
func writeShot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot of %d bytes is not a PNG", len(png))
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
