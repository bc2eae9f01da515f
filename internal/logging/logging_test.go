package logging

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestJSONUsesCloudLoggingFields(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "info", JSON)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug().Msg("hidden")
	log.Warn().Str("event_id", "e1").Msg("hello")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("one JSON line expected, got %q: %v", buf.String(), err)
	}
	for k, want := range map[string]any{"severity": "WARNING", "message": "hello", "event_id": "e1"} {
		if line[k] != want {
			t.Errorf("line[%q] = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["time"]; !ok {
		t.Error("line has no time field")
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "loud", JSON); err == nil {
		t.Error(`New(level "loud") = nil error, want error`)
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); err == nil {
		t.Error(`New(format "xml") = nil error, want error`)
	}
}

func TestConsoleIsReadable(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "debug", Console)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("ready")
	if bytes.HasPrefix(buf.Bytes(), []byte("{")) || !bytes.Contains(buf.Bytes(), []byte("ready")) {
		t.Errorf("console line = %q, want readable text", buf.String())
	}
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]string{"debug": "debug", "INFO": "info", "warn": "warn", "error": "error"} {
		log, err := New(&bytes.Buffer{}, in, JSON)
		if err != nil {
			t.Errorf("New(level %q) = %v", in, err)
			continue
		}
		if got := log.GetLevel().String(); got != want {
			t.Errorf("New(level %q) level = %s, want %s", in, got, want)
		}
	}
}
