package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Option sets an optional attribute of an event built by New.
type Option func(*options)

type options struct {
	id, subject, causationID, requestID, traceparent string
	time                                             time.Time
}

// WithID sets the event id (default: a new random UUID).
func WithID(id string) Option { return func(o *options) { o.id = id } }

// WithSubject sets the subject attribute.
func WithSubject(subject string) Option { return func(o *options) { o.subject = subject } }

// WithTime sets the time attribute (default: now). It is stored in UTC.
func WithTime(t time.Time) Option { return func(o *options) { o.time = t } }

// WithRequestID sets the requestid extension: the id of the original
// job.requested event.
func WithRequestID(id string) Option { return func(o *options) { o.requestID = id } }

// WithCausationID sets the causationid extension: the id of the event that
// caused this one, when only its id is at hand (a stored job's last event).
func WithCausationID(id string) Option { return func(o *options) { o.causationID = id } }

// WithTraceparent sets the W3C traceparent extension.
func WithTraceparent(tp string) Option { return func(o *options) { o.traceparent = tp } }

// WithCause links the event to the event that caused it: causationid is
// parent's id, requestid is the id of the original request, and traceparent
// is copied from parent. The original request is parent itself for a
// job.requested, cluster.requested or access.requested, the request named
// in the data for a job.cancel_requested, cluster.delete_requested,
// approval.granted or approval.rejected, and parent's requestid for any
// other event. Later options override.
func WithCause(parent event.Event) Option {
	return func(o *options) {
		if parent.Context == nil {
			return
		}
		o.causationID = parent.ID()
		if id := originalRequest(parent); id != "" {
			o.requestID = id
		}
		if tp := extension(parent, ExtTraceparent); tp != "" {
			o.traceparent = tp
		}
	}
}

// WithCauseIn links the event, like WithCause(parent), into parent's trail
// (its requestid and traceparent), but names the event with id causeID as
// its cause: an event caused by an earlier event of the trail whose id is
// stored (the decision, for a credential; the credential, for a submit).
// An empty causeID names parent.
func WithCauseIn(parent event.Event, causeID string) Option {
	return func(o *options) {
		WithCause(parent)(o)
		if causeID != "" {
			o.causationID = causeID
		}
	}
}

func originalRequest(parent event.Event) string {
	switch parent.Type() {
	case JobRequested, ClusterRequested, AccessRequested:
		return parent.ID()
	case JobCancelRequested, ClusterDeleteRequested, ApprovalGranted, ApprovalRejected:
		var c struct {
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(parent.Data(), &c) == nil && c.RequestID != "" {
			return c.RequestID
		}
		return parent.ID()
	}
	return extension(parent, ExtRequestID)
}

// extension returns a string extension of e, or "".
func extension(e event.Event, name string) string {
	if e.Context == nil {
		return ""
	}
	v, ok := e.Extensions()[name]
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}

// New builds an event of type typ in the catalog, with data of the type's Go
// type (a value or a non-nil pointer). It sets a new id, the time (UTC),
// specversion 1.0, datacontenttype application/json and the type's
// dataschema, applies opts, and validates the result: the envelope and the
// data against the type's JSON Schema. It refuses invalid data with a
// permanent *fault.Error, so that nothing invalid is ever published.
func New(typ, source string, data any, opts ...Option) (event.Event, error) {
	s, ok := byType[typ]
	if !ok {
		return event.Event{}, fail(ReasonUnknownType, "events.New: type %q is not in the catalog", typ)
	}
	v := reflect.ValueOf(data)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || v.Type() != s.data {
		return event.Event{}, fail(ReasonTypeMismatch, "events.New: data of %s must be %s, got %T", typ, s.Data, data)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return event.Event{}, fail(ReasonMalformed, "events.New: data of %s cannot be encoded as JSON", typ)
	}
	if err := checkSource(source); err != nil {
		return event.Event{}, err
	}
	o := options{time: time.Now()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.id == "" {
		o.id = newID()
	}
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(o.id)
	e.SetSource(source)
	e.SetType(typ)
	e.SetTime(o.time.UTC())
	e.SetDataSchema(s.Schema)
	e.SetDataContentType(ContentType)
	if o.subject != "" {
		e.SetSubject(o.subject)
	}
	for name, val := range map[string]string{ExtCausationID: o.causationID, ExtRequestID: o.requestID, ExtTraceparent: o.traceparent} {
		if val != "" {
			e.SetExtension(name, val)
		}
	}
	e.DataEncoded = b
	if err := Validate(e); err != nil {
		return event.Event{}, err
	}
	return e, nil
}

// newID returns a random (version 4) UUID.
func newID() string {
	var u [16]byte
	rand.Read(u[:]) // never returns an error
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	hex.Encode(b[9:13], u[4:6])
	hex.Encode(b[14:18], u[6:8])
	hex.Encode(b[19:23], u[8:10])
	hex.Encode(b[24:], u[10:])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b[:])
}
