package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

// outboxCols are the columns scanned by scanOutbox, in order.
const outboxCols = "id, topic, event_id, data, attributes, ordering_key, chain, seq, hash, created_at, sent_at, attempts"

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanOutbox(r rowScanner) (store.OutboxMessage, error) {
	var (
		m     store.OutboxMessage
		attrs string
		seq   *int64
	)
	err := r.Scan(&m.ID, &m.Topic, &m.EventID, &m.Data, &attrs, &m.OrderingKey, &m.Chain, &seq, &m.Hash,
		timeCol{&m.CreatedAt}, nullTimeCol{&m.SentAt}, &m.Attempts)
	if err != nil {
		return m, err
	}
	if seq != nil {
		m.Seq = *seq
	}
	if err := json.Unmarshal([]byte(attrs), &m.Attributes); err != nil {
		return m, fmt.Errorf("outbox %d attributes: %w", m.ID, err)
	}
	if len(m.Attributes) == 0 {
		m.Attributes = nil
	}
	if len(m.Data) == 0 {
		m.Data = nil
	}
	return m, nil
}

// Enqueue implements store.OutboxWriter. The insert cannot fail on a
// duplicate, so that ErrConflict leaves the transaction usable. On error it
// returns the zero message.
//
// An audit record is inserted claimed by the sequencer until the end of
// time: a relay that predates the chain column (a rolling upgrade) then
// never publishes it unchained, and SequenceAudit releases the claim.
func (t *tx) Enqueue(ctx context.Context, m store.OutboxMessage) (store.OutboxMessage, error) {
	m, err := t.enqueue(ctx, m)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	return m, nil
}

// sequencerClaim holds unchained audit records away from relays.
var sequencerClaim = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func (t *tx) enqueue(ctx context.Context, m store.OutboxMessage) (store.OutboxMessage, error) {
	const op = "sqlstore: Enqueue"
	switch {
	case m.Topic == "" || m.EventID == "":
		return m, invalid("Enqueue: empty topic or event id")
	case m.Seq != 0 || m.Hash != "":
		return m, invalid("Enqueue: seq %d, hash %q: only the sequencer chains a record", m.Seq, m.Hash)
	}
	if err := t.writable(op); err != nil {
		return m, err
	}
	attrs, err := json.Marshal(m.Attributes)
	if err != nil {
		return m, invalid("Enqueue: attributes: %v", err)
	}
	data := m.Data
	if data == nil {
		data = []byte{}
	}
	m.CreatedAt = t.s.now()
	m.SentAt, m.Attempts = nil, 0
	claimedBy, claimExpires := "", any(nil)
	if m.Chain {
		claimedBy, claimExpires = "sequencer", t.d().timeArg(sequencerClaim)
	}
	found, err := t.queryRow(ctx, op,
		`INSERT INTO outbox (topic, event_id, data, attributes, ordering_key, chain, created_at, claimed_by, claim_expires_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		[]any{m.Topic, m.EventID, data, string(attrs), m.OrderingKey, m.Chain, t.d().timeArg(m.CreatedAt), claimedBy, claimExpires}, &m.ID)
	if err != nil {
		return m, err
	}
	if !found {
		return m, conflict("Enqueue: event %q on topic %q is already in the outbox", m.EventID, m.Topic)
	}
	return m, nil
}
