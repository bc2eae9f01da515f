-- Issue 14: audit records are chained after commit by one sequencer, so that
-- request transactions no longer wait for each other at the chain head.
-- outbox.chain marks an audit record; seq and hash stay NULL/'' until the
-- sequencer links it. Rows chained before this migration are audit records.
ALTER TABLE outbox ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET chain = 1 WHERE seq IS NOT NULL;
CREATE INDEX outbox_unchained_idx ON outbox (id) WHERE chain AND seq IS NULL;

-- The chain's identity, for its checkpoints.
ALTER TABLE audit_chain_head ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
UPDATE audit_chain_head SET chain_id = lower(hex(randomblob(16))) WHERE id = 1;

-- Signed checkpoints of the chain head, archived outside the database.
CREATE TABLE audit_checkpoints (
    seq       INTEGER NOT NULL PRIMARY KEY CHECK (seq > 0),
    hash      TEXT    NOT NULL,
    signed_at INTEGER NOT NULL,
    key_id    TEXT    NOT NULL,
    object    TEXT    NOT NULL
);
