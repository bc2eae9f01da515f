package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/google/uuid"

	"github.com/dataproc-iis/iis/broker/ocsf"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("tail", "follow the audit topic (readable, or -json for machines)", runTail)
}

// tailRecord is the -json form of one message: what `iis audit verify
// -file` reads back.
type tailRecord struct {
	MessageID   string            `json:"message_id"`
	PublishTime time.Time         `json:"publish_time"`
	Attributes  map[string]string `json:"attributes"`
	Data        json.RawMessage   `json:"data,omitempty"`
	RawData     []byte            `json:"raw_data,omitempty"` // data that is not JSON, base64
}

func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var ps pubsubSettings
	var topic string
	var asJSON, asOCSF bool
	var limit int
	f := newFlags("tail", stderr)
	ps.register(f)
	f.StringVar(&topic, "topic", "", "topic ID to follow (default: the audit topic)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object per message")
	f.BoolVar(&asOCSF, "ocsf", false, "print one OCSF 1.1 record per message (JSON lines, for a SIEM forwarder)")
	f.IntVar(&limit, "n", 0, "stop after n messages (0: follow until interrupted)")
	if err := f.Parse(args); err != nil {
		return err
	}
	if topic == "" {
		topic = ps.Topo.Audit
	}
	c, err := ps.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// A subscription of our own, so tailing never steals from consumers.
	sub := transport.SubscriptionName(c.Project(), "iis-tail-"+uuid.NewString()[:8])
	_, err = c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: sub, Topic: transport.TopicName(c.Project(), topic), AckDeadlineSeconds: 10,
	})
	if err != nil {
		return fmt.Errorf("pubsub.CreateSubscription: %w", err)
	}
	defer c.SubscriptionAdminClient.DeleteSubscription(context.WithoutCancel(ctx), &pubsubpb.DeleteSubscriptionRequest{Subscription: sub})
	if !asJSON && !asOCSF {
		fmt.Fprintf(stderr, "following %s (Ctrl-C to stop)\n", topic)
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	n := 0
	s := c.Subscriber(sub)
	s.ReceiveSettings.NumGoroutines = 1
	s.ReceiveSettings.MaxOutstandingMessages = 1 // keep arrival order on screen
	err = s.Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		if limit > 0 && n >= limit {
			return
		}
		n++
		switch {
		case asOCSF:
			writeOCSF(stdout, stderr, m)
		case asJSON:
			writeJSON(stdout, m)
		default:
			fmt.Fprintln(stdout, readable(m))
		}
		if limit > 0 && n >= limit {
			cancel()
		}
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// writeOCSF writes the message's OCSF record; one that does not map is
// reported on stderr, never dropped silently.
func writeOCSF(w, stderr io.Writer, m *pubsub.Message) {
	rec, err := ocsf.Map(events.Message{Data: m.Data, Attributes: m.Attributes})
	if err != nil {
		fmt.Fprintf(stderr, "message %s: no OCSF record: %v\n", m.ID, err)
		return
	}
	b, _ := json.Marshal(rec)
	fmt.Fprintln(w, string(b))
}

func writeJSON(w io.Writer, m *pubsub.Message) {
	r := tailRecord{MessageID: m.ID, PublishTime: m.PublishTime, Attributes: m.Attributes}
	if json.Valid(m.Data) {
		r.Data = m.Data
	} else {
		r.RawData = m.Data
	}
	b, _ := json.Marshal(r)
	fmt.Fprintln(w, string(b))
}

// readable renders one audit event on one line: time, short type, ids and
// the data, which never holds a secret on the audit topic.
func readable(m *pubsub.Message) string {
	e, err := events.Decode(events.Message{Data: m.Data, Attributes: m.Attributes})
	if err != nil {
		return fmt.Sprintf("%s  (undecodable message %s: %v)", m.PublishTime.Local().Format("15:04:05.000"), m.ID, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-32s", e.Time().Local().Format("15:04:05.000"), strings.TrimPrefix(e.Type(), events.Prefix+"."))
	ext := e.Extensions()
	if v, ok := ext[events.ExtRequestID]; ok {
		fmt.Fprintf(&b, " request=%v", v)
	}
	if v, ok := ext[events.ExtAuditSeq]; ok {
		fmt.Fprintf(&b, " seq=%v", v)
	}
	fmt.Fprintf(&b, "  %s", compact(e.Data(), 400))
	return b.String()
}

func compact(data []byte, n int) string {
	s := strings.TrimSpace(string(data))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
