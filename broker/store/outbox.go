package store

import "time"

// OutboxMessage is a Pub/Sub message waiting in the outbox, written in the
// same transaction as the state change it reports.
type OutboxMessage struct {
	ID          int64             // assigned by Enqueue, increasing
	Topic       string            // Pub/Sub topic id
	EventID     string            // CloudEvent id, the consumers' dedupe key
	Data        []byte            // message data
	Attributes  map[string]string // message attributes (ce-* for CloudEvents)
	OrderingKey string            // Pub/Sub ordering key, "" for none

	// Seq is the message's position in the audit chain, 0 if not chained.
	Seq int64
	// Hash is the chain hash at Seq, computed by the caller (package audit)
	// over its predecessor's hash and this record; the store only keeps it.
	Hash string

	CreatedAt time.Time  // set by Enqueue
	SentAt    *time.Time // set by MarkSent; nil while unsent
	Attempts  int        // how many times a relay claimed it
}

// EventKey is the dedupe key of a CloudEvent: its source and id, which
// together identify it (CloudEvents 1.0, "id").
func EventKey(source, id string) string { return source + "\x00" + id }
