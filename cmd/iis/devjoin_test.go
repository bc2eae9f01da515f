package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

var joinLine = regexp.MustCompile(`go run ./cmd/iis (serve .*)`)

// TestDevJoinCommand: `iis dev -broker=false` prints the `iis serve`
// command line that joins it, and a worker started with exactly that line
// runs a job (no ADC error, no flags to find in internal code).
func TestDevJoinCommand(t *testing.T) {
	addr, stderr := startDev(t, "-broker=false", "-job-pending", "10ms", "-job-running", "50ms")
	m := joinLine.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("iis dev -broker=false printed no join command:\n%s", stderr.String())
	}
	args := shellWords(m[1])
	args = append(args, "-data-dir", t.TempDir(), "-log-format", "json", "-poll-interval", "10ms", "-poll-backoff-min", "10ms")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var werr syncBuffer
	go func() { done <- run(ctx, args, &syncBuffer{}, &werr) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("the joined worker exited %d:\n%s", code, werr.String())
		}
	})

	issuer := issuerLine.FindStringSubmatch(stderr.String())[1]
	var tok syncBuffer
	if code := run(ctx, []string{"token", "-issuer", issuer, "-as", "alice@example.com"}, &tok, &syncBuffer{}); code != 0 {
		t.Fatal("iis token failed")
	}
	wait := tailN(t, addr, 5) // approved, credential, submitted, RUNNING, SUCCEEDED: in any order
	var out, errOut syncBuffer
	data := `{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}`
	if code := run(ctx, []string{"publish", "-pubsub-emulator", addr, "-type", "job.requested", "-token", strings.TrimSpace(tok.String()), "-data", data}, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	if got := summary(wait()); !strings.Contains(got, "job.submitted") {
		t.Errorf("the joined worker produced %s, want the job approved, minted and submitted\n%s", got, werr.String())
	}
}

// shellWords splits a line as a POSIX shell would for the quoting
// shellLine produces (single quotes).
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, any := false, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\'':
			in, any = !in, true
		case c == ' ' && !in:
			if any {
				words = append(words, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteByte(c)
			any = true
		}
	}
	if any {
		words = append(words, cur.String())
	}
	return words
}
