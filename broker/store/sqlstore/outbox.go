package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dataproc-iis/iis/broker/store"
)

// outboxCols are the columns scanned by scanOutbox, in order.
const outboxCols = "id, topic, event_id, data, attributes, ordering_key, seq, hash, created_at, sent_at, attempts"

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanOutbox(r rowScanner) (store.OutboxMessage, error) {
	var (
		m     store.OutboxMessage
		attrs string
		seq   *int64
	)
	err := r.Scan(&m.ID, &m.Topic, &m.EventID, &m.Data, &attrs, &m.OrderingKey, &seq, &m.Hash,
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

// Enqueue implements store.OutboxWriter. The chain is checked before anything
// is written, and the insert cannot fail on a duplicate, so that ErrConflict
// leaves the transaction usable. On error it returns the zero message.
func (t *tx) Enqueue(ctx context.Context, m store.OutboxMessage) (store.OutboxMessage, error) {
	m, err := t.enqueue(ctx, m)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	return m, nil
}

func (t *tx) enqueue(ctx context.Context, m store.OutboxMessage) (store.OutboxMessage, error) {
	const op = "sqlstore: Enqueue"
	switch {
	case m.Topic == "" || m.EventID == "":
		return m, invalid("Enqueue: empty topic or event id")
	case m.Seq < 0, m.Seq > 0 && m.Hash == "", m.Seq == 0 && m.Hash != "":
		return m, invalid("Enqueue: seq %d with hash %q: a chained message needs both", m.Seq, m.Hash)
	}
	if err := t.writable(op); err != nil {
		return m, err
	}
	if m.Seq > 0 {
		head, _, err := t.ChainHead(ctx)
		if err != nil {
			return m, err
		}
		if m.Seq != head+1 {
			return m, conflict("Enqueue: seq %d does not follow the chain head %d", m.Seq, head)
		}
	}
	attrs, err := json.Marshal(m.Attributes)
	if err != nil {
		return m, invalid("Enqueue: attributes: %v", err)
	}
	var seq any
	if m.Seq > 0 {
		seq = m.Seq
	}
	data := m.Data
	if data == nil {
		data = []byte{}
	}
	m.CreatedAt = t.s.now()
	m.SentAt, m.Attempts = nil, 0
	found, err := t.queryRow(ctx, op,
		`INSERT INTO outbox (topic, event_id, data, attributes, ordering_key, seq, hash, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		[]any{m.Topic, m.EventID, data, string(attrs), m.OrderingKey, seq, m.Hash, t.d().timeArg(m.CreatedAt)}, &m.ID)
	if err != nil {
		return m, err
	}
	if !found {
		return m, conflict("Enqueue: event %q on topic %q, or seq %d, is already in the outbox", m.EventID, m.Topic, m.Seq)
	}
	if m.Seq > 0 {
		_, err := t.exec(ctx, op, "UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1", m.Seq, m.Hash)
		if err != nil {
			return m, err
		}
	}
	return m, nil
}
