-- Jobs, grants and decisions are found by the directory user id, which
-- never changes, instead of the user name at request time: a user renamed
-- by the IdP before being deactivated still loses their jobs. Rows written
-- before this migration are linked by their principal where it names a
-- user today.
ALTER TABLE decisions ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE decisions SET user_id = COALESCE((SELECT id FROM dir_users WHERE user_name_key = lower(decisions.principal)), '');
UPDATE jobs SET user_id = COALESCE((SELECT id FROM dir_users WHERE user_name_key = lower(jobs.principal)), '');
UPDATE grants SET user_id = COALESCE((SELECT id FROM dir_users WHERE user_name_key = lower(grants.principal)), '');
CREATE INDEX jobs_user_idx ON jobs (user_id, created_at) WHERE NOT ended;
CREATE INDEX grants_user_idx ON grants (user_id, expires_at) WHERE revoked_at IS NULL;

-- Explicit links from an issuer's subject (OIDC iss + sub, OIDC's own
-- unique key) to a directory user, for issuers whose tokens carry no
-- e-mail or whose subjects the directory does not hold as externalId.
CREATE TABLE identity_links (
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
CREATE INDEX identity_links_user_idx ON identity_links (user_id);
