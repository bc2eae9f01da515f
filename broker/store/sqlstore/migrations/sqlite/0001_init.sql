-- Initial schema. Times are INTEGER microseconds since the Unix epoch (UTC).
-- Booleans are INTEGER 0/1. No column holds a token or a password.

CREATE TABLE processed (
    event_key    TEXT    NOT NULL PRIMARY KEY,
    processed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX processed_at_idx ON processed (processed_at);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    topic            TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    data             BLOB    NOT NULL,
    attributes       TEXT    NOT NULL,
    ordering_key     TEXT    NOT NULL DEFAULT '',
    seq              INTEGER UNIQUE CHECK (seq > 0),
    hash             TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    claimed_by       TEXT    NOT NULL DEFAULT '',
    claim_expires_at INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (topic, event_id)
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE audit_chain_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE dir_users (
    id               TEXT    NOT NULL PRIMARY KEY,
    user_name        TEXT    NOT NULL,
    user_name_key    TEXT    NOT NULL UNIQUE,
    external_id      TEXT    NOT NULL DEFAULT '',
    display_name     TEXT    NOT NULL DEFAULT '',
    display_name_key TEXT    NOT NULL DEFAULT '',
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    locked           INTEGER NOT NULL CHECK (locked IN (0, 1)),
    lock_reason      TEXT    NOT NULL DEFAULT '',
    attributes       TEXT,
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX dir_users_order_idx ON dir_users (created_at, id);
CREATE INDEX dir_users_external_id_idx ON dir_users (external_id);

CREATE TABLE dir_user_emails (
    user_id    TEXT    NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    value      TEXT    NOT NULL,
    value_key  TEXT    NOT NULL,
    type       TEXT    NOT NULL DEFAULT '',
    type_key   TEXT    NOT NULL DEFAULT '',
    is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    PRIMARY KEY (user_id, position)
);
CREATE INDEX dir_user_emails_value_idx ON dir_user_emails (value_key);

CREATE TABLE dir_groups (
    id               TEXT    NOT NULL PRIMARY KEY,
    display_name     TEXT    NOT NULL,
    display_name_key TEXT    NOT NULL UNIQUE,
    external_id      TEXT    NOT NULL DEFAULT '',
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX dir_groups_order_idx ON dir_groups (created_at, id);

CREATE TABLE dir_members (
    group_id TEXT NOT NULL REFERENCES dir_groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX dir_members_user_idx ON dir_members (user_id);

CREATE TABLE decisions (
    request_key     TEXT    NOT NULL PRIMARY KEY,
    request_id      TEXT    NOT NULL,
    principal       TEXT    NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('approved', 'denied')),
    role            TEXT    NOT NULL DEFAULT '',
    service_account TEXT    NOT NULL DEFAULT '',
    policy_version  TEXT    NOT NULL DEFAULT '',
    reasons         TEXT    NOT NULL,
    decided_at      INTEGER NOT NULL
);
CREATE INDEX decisions_principal_idx ON decisions (principal, decided_at);

CREATE TABLE jobs (
    request_id          TEXT    NOT NULL PRIMARY KEY,
    request_key         TEXT    NOT NULL DEFAULT '',
    principal           TEXT    NOT NULL,
    role                TEXT    NOT NULL DEFAULT '',
    service_account     TEXT    NOT NULL DEFAULT '',
    kind                TEXT    NOT NULL CHECK (kind IN ('batch', 'job')),
    project             TEXT    NOT NULL DEFAULT '',
    region              TEXT    NOT NULL DEFAULT '',
    cluster             TEXT    NOT NULL DEFAULT '',
    dataproc_id         TEXT    NOT NULL DEFAULT '',
    dataproc_request_id TEXT    NOT NULL DEFAULT '',
    resource            TEXT    NOT NULL DEFAULT '',
    state               TEXT    NOT NULL DEFAULT '',
    ended               INTEGER NOT NULL CHECK (ended IN (0, 1)),
    next_poll_at        INTEGER NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX jobs_due_idx ON jobs (next_poll_at) WHERE NOT ended;
CREATE INDEX jobs_principal_idx ON jobs (principal, created_at) WHERE NOT ended;

CREATE TABLE grants (
    id              TEXT    NOT NULL PRIMARY KEY,
    request_id      TEXT    NOT NULL DEFAULT '',
    principal       TEXT    NOT NULL,
    role            TEXT    NOT NULL DEFAULT '',
    service_account TEXT    NOT NULL DEFAULT '',
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    revoke_reason   TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX grants_active_idx ON grants (principal, expires_at) WHERE revoked_at IS NULL;
CREATE INDEX grants_request_idx ON grants (request_id);
