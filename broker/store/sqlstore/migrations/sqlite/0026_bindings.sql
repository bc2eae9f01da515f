-- Conditional IAM bindings the broker adds to its clusters for viewing
-- logs and UIs: recorded when approved (before SetIamPolicy), so that the
-- leaver cascade and the drift reconciler know every binding the broker may
-- have made; removed at expiry, by a cascade, or with their cluster.
CREATE TABLE bindings (
    id                 TEXT    NOT NULL PRIMARY KEY,
    request_id         TEXT    NOT NULL,
    request_key        TEXT    NOT NULL,
    cluster_request_id TEXT    NOT NULL,
    resource           TEXT    NOT NULL,
    principal          TEXT    NOT NULL,
    user_id            TEXT    NOT NULL DEFAULT '',
    member             TEXT    NOT NULL,
    iam_role           TEXT    NOT NULL,
    expires_at         INTEGER NOT NULL,
    state              TEXT    NOT NULL CHECK (state IN ('PENDING', 'ACTIVE', 'REMOVED')),
    removed_at         INTEGER,
    remove_reason      TEXT    NOT NULL DEFAULT '',
    event_id           TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL
);
CREATE INDEX bindings_user_idx ON bindings (user_id, created_at) WHERE state <> 'REMOVED';
CREATE INDEX bindings_principal_idx ON bindings (principal, created_at) WHERE state <> 'REMOVED';
CREATE INDEX bindings_cluster_idx ON bindings (cluster_request_id, created_at);
CREATE INDEX bindings_expiry_idx ON bindings (expires_at) WHERE state <> 'REMOVED';
