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
    issuer     TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    user_id    TEXT        NOT NULL REFERENCES dir_users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identity_links_user_idx ON identity_links (user_id);

-- Directory caches also look users up by externalId and by identity link:
-- notify those keys ('ext:' || external_id, 'link:' || issuer || '#' ||
-- subject) so that a lookup that found nobody, or another user, is dropped.
CREATE OR REPLACE FUNCTION iis_directory_users_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[NEW.id], ARRAY[NEW.user_name_key, NULLIF('ext:' || NEW.external_id, 'ext:')]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.id], ARRAY[OLD.user_name_key, NULLIF('ext:' || OLD.external_id, 'ext:')]);
    ELSE
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.id, NEW.id],
            ARRAY[OLD.user_name_key, NEW.user_name_key, NULLIF('ext:' || OLD.external_id, 'ext:'), NULLIF('ext:' || NEW.external_id, 'ext:')]);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION iis_directory_links_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[NEW.user_id], ARRAY['link:' || NEW.issuer || '#' || NEW.subject]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.user_id], ARRAY['link:' || OLD.issuer || '#' || OLD.subject]);
    ELSE
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.user_id, NEW.user_id],
            ARRAY['link:' || OLD.issuer || '#' || OLD.subject, 'link:' || NEW.issuer || '#' || NEW.subject]);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER identity_links_notify AFTER INSERT OR UPDATE OR DELETE ON identity_links
    FOR EACH ROW EXECUTE FUNCTION iis_directory_links_changed();
CREATE TRIGGER identity_links_truncate_notify AFTER TRUNCATE ON identity_links
    FOR EACH STATEMENT EXECUTE FUNCTION iis_directory_truncated();
