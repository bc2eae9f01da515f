package events

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/go-cmp/cmp"
)

func TestReject(t *testing.T) {
	structured := Message{
		Data:       []byte(`{"specversion":"1.0","id":"s-1","source":"//ci/acme","type":"com.example.thing.v1","data":{}}`),
		Attributes: map[string]string{"Content-Type": "application/cloudevents+json"},
	}
	long := Message{Data: []byte("{}"), Attributes: map[string]string{
		"ce-specversion": "1.0", "ce-id": strings.Repeat("é", 200), "ce-source": "//x", "ce-type": "t\xffype",
	}}
	tests := []struct {
		name string
		m    Message
		want Rejection
	}{
		{"binary attributes", requestMessage(t), Rejection{
			ReceivedType: JobRequested, ReceivedID: "req-1", ReceivedSource: testSource}},
		{"structured members", structured, Rejection{
			ReceivedType: "com.example.thing.v1", ReceivedID: "s-1", ReceivedSource: "//ci/acme"}},
		{"not a CloudEvent", Message{Data: []byte("hello")}, Rejection{}},
		{"truncated and cleaned", long, Rejection{
			ReceivedType: "t\uFFFDype", ReceivedID: strings.Repeat("é", 128), ReceivedSource: "//x"}},
	}
	cause := fail(ReasonMalformed, "attribute x is bad")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Reject(tt.m, "1286", cause)
			tt.want.Reason, tt.want.Detail, tt.want.MessageID = ReasonMalformed, cause.Error(), "1286"
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Reject(%s) (-want +got):\n%s", tt.name, diff)
			}
			if _, err := NewEventRejected(testSource, got); err != nil {
				t.Errorf("NewEventRejected(Reject(%s)) = %v", tt.name, err)
			}
		})
	}
	if got := Reject(Message{}, "", errors.New("boom")).Reason; got != "internal" {
		t.Errorf("Reject(unclassified error).Reason = %q, want internal", got)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // never splits a rune
		{"a\xffb", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestZeroEvents(t *testing.T) {
	var zero event.Event
	wantFault(t, "Validate(zero)", Validate(zero), ReasonMalformed)
	_, err := Encode(zero)
	wantFault(t, "Encode(zero)", err, ReasonMalformed)
	_, err = DecodeJobRequest(zero)
	wantFault(t, "DecodeJobRequest(zero)", err, ReasonMalformed)
	if _, err := NewJobStateChanged(testSource, StateChange{RequestID: "r", Resource: testBatch, State: "RUNNING"}, WithCause(zero)); err != nil {
		t.Errorf("New(WithCause(zero event)) = %v, want nil", err)
	}
}
