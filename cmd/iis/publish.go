package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("publish", "publish a CloudEvent (from flags or a file) to a topic", runPublish)
}

func runPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var ps pubsubSettings
	var topic, typ, source, subject, data, file, token string
	var noValidate, raw bool
	f := newFlags("publish", stderr)
	ps.register(f)
	f.StringVar(&topic, "topic", "", "topic ID to publish to (default: the requests topic)")
	f.StringVar(&typ, "type", events.JobRequested, "event type; the prefix may be left out (job.requested.v1)")
	f.StringVar(&source, "source", "//dataproc-iis/cli/"+userName(), "CloudEvents source")
	f.StringVar(&subject, "subject", "", "CloudEvents subject")
	f.StringVar(&data, "data", "", "event data as JSON, or @file to read it from a file")
	f.StringVar(&file, "file", "", "a whole CloudEvent in structured JSON (overrides -type/-source/-data)")
	f.StringVar(&token, "token", "", "an ID token to put in the data's id_token field, or @file (never printed)")
	f.BoolVar(&noValidate, "no-validate", false, "send the data even if it fails its schema (to exercise the broker's rejection path)")
	f.BoolVar(&raw, "raw", false, "send the data bytes with no CloudEvents attributes at all (a non-CloudEvent)")
	if err := f.Parse(args); err != nil {
		return err
	}
	if topic == "" {
		topic = ps.Topo.Requests
	}
	m, err := buildMessage(file, typ, source, subject, data, token, noValidate, raw)
	if err != nil {
		return err
	}
	c, err := ps.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	id, err := pub.Publish(ctx, topic, m)
	if err != nil {
		return err
	}
	if raw {
		fmt.Fprintf(stdout, "published a non-CloudEvent to %s (message %s)\n", topic, id)
	} else {
		fmt.Fprintf(stdout, "published %s to %s (message %s, event %s)\n", m.Attributes["ce-type"], topic, id, m.Attributes["ce-id"])
	}
	return nil
}

func buildMessage(file, typ, source, subject, data, token string, noValidate, raw bool) (events.Message, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return events.Message{}, err
		}
		e, err := events.Decode(events.Message{Data: b, Attributes: map[string]string{"Content-Type": "application/cloudevents+json"}})
		if err != nil {
			return events.Message{}, fmt.Errorf("%s: %w", file, err)
		}
		return events.Encode(e)
	}
	body, err := readArg(data)
	if err != nil {
		return events.Message{}, err
	}
	if raw {
		return events.Message{Data: body, Attributes: map[string]string{}}, nil
	}
	typ = fullType(typ)
	if token != "" {
		tok, err := readArg(token)
		if err != nil {
			return events.Message{}, err
		}
		if body, err = setField(body, "id_token", strings.TrimSpace(string(tok))); err != nil {
			return events.Message{}, err
		}
	}
	if noValidate {
		return unvalidated(typ, source, subject, body), nil
	}
	var opts []events.Option
	if subject != "" {
		opts = append(opts, events.WithSubject(subject))
	}
	e, err := events.NewFromJSON(typ, source, body, opts...)
	if err != nil {
		return events.Message{}, fmt.Errorf("refusing to publish (use -no-validate to send it anyway): %w", err)
	}
	return events.Encode(e)
}

// unvalidated builds a binary-mode message by hand, skipping every check.
func unvalidated(typ, source, subject string, body []byte) events.Message {
	a := map[string]string{
		"ce-specversion":     "1.0",
		"ce-id":              uuid.NewString(),
		"ce-type":            typ,
		"ce-source":          source,
		"ce-time":            time.Now().UTC().Format(time.RFC3339Nano),
		"ce-datacontenttype": "application/json",
		"Content-Type":       "application/json",
	}
	if subject != "" {
		a["ce-subject"] = subject
	}
	return events.Message{Data: body, Attributes: a}
}

func readArg(s string) ([]byte, error) {
	if name, ok := strings.CutPrefix(s, "@"); ok {
		if name == "-" {
			return io.ReadAll(os.Stdin)
		}
		return os.ReadFile(name)
	}
	return []byte(s), nil
}

func setField(body []byte, key, value string) ([]byte, error) {
	v := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, errors.New("-data must be a JSON object to add a token to it")
		}
	}
	v[key] = value
	return json.Marshal(v)
}

func userName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

var versioned = regexp.MustCompile(`\.v[0-9]+$`)

// fullType accepts a type without the prefix or version: "job.requested"
// stands for dev.dataproc-iis.job.requested.v1.
func fullType(t string) string {
	if !strings.HasPrefix(t, events.Prefix+".") {
		t = events.Prefix + "." + t
	}
	if !versioned.MatchString(t) {
		t += ".v1"
	}
	return t
}
