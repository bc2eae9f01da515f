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

	// Chain marks an audit record. It is enqueued without Seq and Hash, in
	// the transaction of the state it reports; Outbox.SequenceAudit gives it
	// both after commit, and the relay publishes it only then.
	Chain bool
	// Seq is the message's position in the audit chain, 0 while not chained.
	Seq int64
	// Hash is the chain hash at Seq, computed by the Linker (package audit)
	// over its predecessor's hash and this record; the store only keeps it.
	Hash string

	CreatedAt time.Time  // set by Enqueue
	SentAt    *time.Time // set by MarkSent; nil while unsent
	Attempts  int        // how many times a relay claimed it
}

// EventKey is the dedupe key of a CloudEvent: its source and id, which
// together identify it (CloudEvents 1.0, "id").
func EventKey(source, id string) string { return source + "\x00" + id }

// Linker links an audit record into the chain: given the position seq and
// the hash of the record before it (prev, "" for the first record), it sets
// the attributes that carry them and the record's Hash. It must be
// deterministic, and may change only m.Attributes and m.Hash.
type Linker func(m *OutboxMessage, seq int64, prev string) error
