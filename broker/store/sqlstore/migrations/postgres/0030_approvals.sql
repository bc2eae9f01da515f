-- Approvals: a request a policy rule holds for approvers is decided as
-- pending (decisions.outcome gains 'pending'), waits in approval_requests
-- with what it needs to go on where it paused (never its token), and
-- collects approvers' answers in approvals (their tokens by fingerprint
-- only).
ALTER TABLE decisions DROP CONSTRAINT decisions_outcome_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_outcome_check CHECK (outcome IN ('approved', 'denied', 'pending'));

CREATE TABLE approval_requests (
    request_key    TEXT        NOT NULL PRIMARY KEY,
    request_id     TEXT        NOT NULL,
    source         TEXT        NOT NULL,
    traceparent    TEXT        NOT NULL DEFAULT '',
    principal      TEXT        NOT NULL,
    user_id        TEXT        NOT NULL DEFAULT '',
    role           TEXT        NOT NULL,
    binding        TEXT        NOT NULL DEFAULT '',
    status         TEXT        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    request_digest TEXT        NOT NULL,
    policy_version TEXT        NOT NULL DEFAULT '',
    requester      TEXT        NOT NULL,
    facts          TEXT        NOT NULL,
    requirements   TEXT        NOT NULL,
    chain          TEXT        NOT NULL,
    window_ms      BIGINT      NOT NULL DEFAULT 0,
    window_until   TIMESTAMPTZ,
    event_id       TEXT        NOT NULL,
    closed_by      TEXT        NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    closed_at      TIMESTAMPTZ
);
CREATE INDEX approval_requests_pending_idx ON approval_requests (expires_at) WHERE status = 'pending';
CREATE INDEX approval_requests_user_idx ON approval_requests (user_id, status);
CREATE INDEX approval_requests_principal_idx ON approval_requests (principal, status);
CREATE INDEX approval_requests_id_idx ON approval_requests (request_id);

CREATE TABLE approvals (
    request_key       TEXT        NOT NULL REFERENCES approval_requests (request_key) ON DELETE CASCADE,
    approver_id       TEXT        NOT NULL,
    approver          TEXT        NOT NULL,
    verdict           TEXT        NOT NULL CHECK (verdict IN ('granted', 'rejected')),
    event_key         TEXT        NOT NULL,
    event_id          TEXT        NOT NULL,
    token_fingerprint TEXT        NOT NULL DEFAULT '',
    token_groups      TEXT        NOT NULL DEFAULT '[]',
    comment           TEXT        NOT NULL DEFAULT '',
    given_at          TIMESTAMPTZ NOT NULL,
    withdrawn_at      TIMESTAMPTZ,
    withdraw_reason   TEXT        NOT NULL DEFAULT '',
    PRIMARY KEY (request_key, approver_id)
);
CREATE INDEX approvals_approver_idx ON approvals (approver_id) WHERE withdrawn_at IS NULL;
