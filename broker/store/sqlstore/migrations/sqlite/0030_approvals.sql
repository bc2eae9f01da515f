-- Approvals: a request a policy rule holds for approvers is decided as
-- pending (decisions.outcome gains 'pending', so the table is rebuilt: SQLite
-- cannot change a CHECK), waits in approval_requests with what it needs to go
-- on where it paused (never its token), and collects approvers' answers in
-- approvals (their tokens by fingerprint only).
CREATE TABLE decisions_new (
    request_key            TEXT    NOT NULL PRIMARY KEY,
    request_id             TEXT    NOT NULL,
    principal              TEXT    NOT NULL,
    outcome                TEXT    NOT NULL CHECK (outcome IN ('approved', 'denied', 'pending')),
    role                   TEXT    NOT NULL DEFAULT '',
    service_account        TEXT    NOT NULL DEFAULT '',
    policy_version         TEXT    NOT NULL DEFAULT '',
    reasons                TEXT    NOT NULL,
    decided_at             INTEGER NOT NULL,
    max_duration_ms        INTEGER NOT NULL DEFAULT 0,
    credential_lifetime_ms INTEGER NOT NULL DEFAULT 0,
    request_digest         TEXT    NOT NULL DEFAULT '',
    event_id               TEXT    NOT NULL DEFAULT '',
    user_id                TEXT    NOT NULL DEFAULT ''
);
INSERT INTO decisions_new (request_key, request_id, principal, outcome, role, service_account, policy_version,
    reasons, decided_at, max_duration_ms, credential_lifetime_ms, request_digest, event_id, user_id)
SELECT request_key, request_id, principal, outcome, role, service_account, policy_version,
    reasons, decided_at, max_duration_ms, credential_lifetime_ms, request_digest, event_id, user_id FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_principal_idx ON decisions (principal, decided_at);

CREATE TABLE approval_requests (
    request_key    TEXT    NOT NULL PRIMARY KEY,
    request_id     TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    traceparent    TEXT    NOT NULL DEFAULT '',
    principal      TEXT    NOT NULL,
    user_id        TEXT    NOT NULL DEFAULT '',
    role           TEXT    NOT NULL,
    binding        TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    request_digest TEXT    NOT NULL,
    policy_version TEXT    NOT NULL DEFAULT '',
    requester      TEXT    NOT NULL,
    facts          TEXT    NOT NULL,
    requirements   TEXT    NOT NULL,
    chain          TEXT    NOT NULL,
    window_ms      INTEGER NOT NULL DEFAULT 0,
    window_until   INTEGER,
    event_id       TEXT    NOT NULL,
    closed_by      TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    closed_at      INTEGER
);
CREATE INDEX approval_requests_pending_idx ON approval_requests (expires_at) WHERE status = 'pending';
CREATE INDEX approval_requests_user_idx ON approval_requests (user_id, status);
CREATE INDEX approval_requests_principal_idx ON approval_requests (principal, status);
CREATE INDEX approval_requests_id_idx ON approval_requests (request_id);

CREATE TABLE approvals (
    request_key       TEXT    NOT NULL REFERENCES approval_requests (request_key) ON DELETE CASCADE,
    approver_id       TEXT    NOT NULL,
    approver          TEXT    NOT NULL,
    verdict           TEXT    NOT NULL CHECK (verdict IN ('granted', 'rejected')),
    event_key         TEXT    NOT NULL,
    event_id          TEXT    NOT NULL,
    token_fingerprint TEXT    NOT NULL DEFAULT '',
    token_groups      TEXT    NOT NULL DEFAULT '[]',
    comment           TEXT    NOT NULL DEFAULT '',
    given_at          INTEGER NOT NULL,
    withdrawn_at      INTEGER,
    withdraw_reason   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (request_key, approver_id)
);
CREATE INDEX approvals_approver_idx ON approvals (approver_id) WHERE withdrawn_at IS NULL;
