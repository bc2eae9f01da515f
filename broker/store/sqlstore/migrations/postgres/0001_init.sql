-- Initial schema. Times are TIMESTAMPTZ (microsecond precision).
-- No column holds a token or a password.

CREATE TABLE processed (
    event_key    TEXT    NOT NULL PRIMARY KEY,
    processed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX processed_at_idx ON processed (processed_at);

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic            TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    data             BYTEA   NOT NULL,
    attributes       TEXT    NOT NULL,
    ordering_key     TEXT    NOT NULL DEFAULT '',
    seq              BIGINT  UNIQUE CHECK (seq > 0),
    hash             TEXT    NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    claimed_by       TEXT    NOT NULL DEFAULT '',
    claim_expires_at TIMESTAMPTZ,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (topic, event_id)
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE audit_chain_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
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
    active           BOOLEAN NOT NULL,
    locked           BOOLEAN NOT NULL,
    lock_reason      TEXT    NOT NULL DEFAULT '',
    attributes       TEXT,
    version          BIGINT  NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX dir_users_order_idx ON dir_users (created_at, id);
CREATE INDEX dir_users_external_id_idx ON dir_users (external_id);

CREATE TABLE dir_user_emails (
    user_id    TEXT    NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    position   BIGINT  NOT NULL,
    value      TEXT    NOT NULL,
    value_key  TEXT    NOT NULL,
    type       TEXT    NOT NULL DEFAULT '',
    type_key   TEXT    NOT NULL DEFAULT '',
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX dir_user_emails_value_idx ON dir_user_emails (value_key);

CREATE TABLE dir_groups (
    id               TEXT    NOT NULL PRIMARY KEY,
    display_name     TEXT    NOT NULL,
    display_name_key TEXT    NOT NULL UNIQUE,
    external_id      TEXT    NOT NULL DEFAULT '',
    version          BIGINT  NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
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
    decided_at      TIMESTAMPTZ NOT NULL
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
    ended               BOOLEAN NOT NULL,
    next_poll_at        TIMESTAMPTZ NOT NULL,
    attempts            BIGINT  NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_due_idx ON jobs (next_poll_at) WHERE NOT ended;
CREATE INDEX jobs_principal_idx ON jobs (principal, created_at) WHERE NOT ended;

CREATE TABLE grants (
    id              TEXT    NOT NULL PRIMARY KEY,
    request_id      TEXT    NOT NULL DEFAULT '',
    principal       TEXT    NOT NULL,
    role            TEXT    NOT NULL DEFAULT '',
    service_account TEXT    NOT NULL DEFAULT '',
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    revoke_reason   TEXT    NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX grants_active_idx ON grants (principal, expires_at) WHERE revoked_at IS NULL;
CREATE INDEX grants_request_idx ON grants (request_id);
