-- Clusters the broker approved for a principal: recorded with the decision,
-- before CreateCluster, so that a leaver's cascade finds a cluster however
-- far its creation got; followed by the cluster watcher until it is gone.
CREATE TABLE clusters (
    request_id          TEXT    NOT NULL PRIMARY KEY,
    request_key         TEXT    NOT NULL,
    principal           TEXT    NOT NULL,
    user_id             TEXT    NOT NULL DEFAULT '',
    role                TEXT    NOT NULL DEFAULT '',
    template            TEXT    NOT NULL DEFAULT '',
    service_account     TEXT    NOT NULL DEFAULT '',
    project             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    resource            TEXT    NOT NULL,
    uuid                TEXT    NOT NULL DEFAULT '',
    operation           TEXT    NOT NULL DEFAULT '',
    dataproc_request_id TEXT    NOT NULL DEFAULT '',
    spec                TEXT    NOT NULL DEFAULT '',
    state               TEXT    NOT NULL,
    ended               BOOLEAN NOT NULL,
    auto_delete_at      TIMESTAMPTZ,
    delete_reason       TEXT    NOT NULL DEFAULT '',
    delete_cause        TEXT    NOT NULL DEFAULT '',
    next_poll_at        TIMESTAMPTZ NOT NULL,
    attempts            BIGINT  NOT NULL DEFAULT 0,
    last_event_id       TEXT    NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX clusters_due_idx ON clusters (next_poll_at) WHERE NOT ended;
CREATE INDEX clusters_user_idx ON clusters (user_id, created_at) WHERE NOT ended;
CREATE INDEX clusters_principal_idx ON clusters (principal, created_at) WHERE NOT ended;
CREATE INDEX clusters_name_idx ON clusters (project, region, name);
