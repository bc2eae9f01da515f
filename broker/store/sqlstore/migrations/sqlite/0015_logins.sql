-- The login service's short-lived state: logins in progress and the replay
-- cache of one-time values. Codes are stored as SHA-256 hashes, never as
-- themselves; no column holds a token or an assertion.
CREATE TABLE login_flows (
    id                   TEXT    NOT NULL PRIMARY KEY,
    idp                  TEXT    NOT NULL,
    protocol             TEXT    NOT NULL,
    client               TEXT    NOT NULL,
    redirect_uri         TEXT    NOT NULL DEFAULT '',
    client_state         TEXT    NOT NULL DEFAULT '',
    code_challenge       TEXT    NOT NULL DEFAULT '',
    nonce                TEXT    NOT NULL DEFAULT '',
    pkce_verifier        TEXT    NOT NULL DEFAULT '',
    saml_request_id      TEXT    NOT NULL DEFAULT '',
    code_hash            TEXT    UNIQUE,
    device_code_hash     TEXT    UNIQUE,
    user_code_hash       TEXT    UNIQUE,
    status               TEXT    NOT NULL,
    reason               TEXT    NOT NULL DEFAULT '',
    user_id              TEXT    NOT NULL DEFAULT '',
    principal            TEXT    NOT NULL DEFAULT '',
    email                TEXT    NOT NULL DEFAULT '',
    subject              TEXT    NOT NULL DEFAULT '',
    evidence_fingerprint TEXT    NOT NULL DEFAULT '',
    authenticated_at     INTEGER,
    remote_ip            TEXT    NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    polled_at            INTEGER
);
CREATE INDEX login_flows_expires_idx ON login_flows (expires_at);

CREATE TABLE login_replay (
    replay_key TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX login_replay_expires_idx ON login_replay (expires_at);
