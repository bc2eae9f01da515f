-- Directory change feed. Every change to what a directory lookup reads
-- (users, their e-mail addresses, group memberships, group names) sends a
-- notification on channel iis_directory. PostgreSQL delivers it when the
-- transaction commits (and never if it rolls back), so each worker drops its
-- cached entries as soon as a lock or a membership change is visible.
--
-- The payload is JSON:
--   {"schema": S, "users": [user ids whose entries are stale],
--    "keys": [user_name_key / value_key values whose owner may have changed]}
-- or {"schema": S, "all": true} when that would not fit in a notification.
-- S is the schema of the table that changed: listeners ignore other
-- schemas, so deployments sharing a database do not invalidate each other.
-- Identical notifications of one transaction are delivered once.
--
-- The functions pin search_path to this schema so that they behave the same
-- whatever the search_path of the session that fires them.

CREATE FUNCTION iis_directory_notify(schema_name TEXT, users TEXT[], keys TEXT[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    payload TEXT;
BEGIN
    payload := json_build_object(
        'schema', schema_name,
        'users', (SELECT coalesce(array_agg(DISTINCT u ORDER BY u), '{}') FROM unnest(users) u WHERE u IS NOT NULL),
        'keys', (SELECT coalesce(array_agg(DISTINCT k ORDER BY k), '{}') FROM unnest(keys) k WHERE k IS NOT NULL))::TEXT;
    -- A payload must be shorter than 8000 bytes.
    IF octet_length(payload) > 7900 THEN
        payload := json_build_object('schema', schema_name, 'all', true)::TEXT;
    END IF;
    PERFORM pg_notify('iis_directory', payload);
END $$;

CREATE FUNCTION iis_directory_users_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[NEW.id], ARRAY[NEW.user_name_key]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.id], ARRAY[OLD.user_name_key]);
    ELSE
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.id, NEW.id], ARRAY[OLD.user_name_key, NEW.user_name_key]);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION iis_directory_emails_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[NEW.user_id], ARRAY[NEW.value_key]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.user_id], ARRAY[OLD.value_key]);
    ELSE
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.user_id, NEW.user_id], ARRAY[OLD.value_key, NEW.value_key]);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION iis_directory_members_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[NEW.user_id], '{}');
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.user_id], '{}');
    ELSE
        PERFORM iis_directory_notify(TG_TABLE_SCHEMA, ARRAY[OLD.user_id, NEW.user_id], '{}');
    END IF;
    RETURN NULL;
END $$;

-- A renamed group changes the entries of all its members.
CREATE FUNCTION iis_directory_group_renamed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM iis_directory_notify(TG_TABLE_SCHEMA,
        ARRAY(SELECT user_id FROM dir_members WHERE group_id = NEW.id), '{}');
    RETURN NULL;
END $$;

-- TRUNCATE fires no row trigger: everything may have changed.
CREATE FUNCTION iis_directory_truncated() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM pg_notify('iis_directory', json_build_object('schema', TG_TABLE_SCHEMA, 'all', true)::TEXT);
    RETURN NULL;
END $$;

CREATE TRIGGER dir_users_notify AFTER INSERT OR UPDATE OR DELETE ON dir_users
    FOR EACH ROW EXECUTE FUNCTION iis_directory_users_changed();
CREATE TRIGGER dir_user_emails_notify AFTER INSERT OR UPDATE OR DELETE ON dir_user_emails
    FOR EACH ROW EXECUTE FUNCTION iis_directory_emails_changed();
CREATE TRIGGER dir_members_notify AFTER INSERT OR UPDATE OR DELETE ON dir_members
    FOR EACH ROW EXECUTE FUNCTION iis_directory_members_changed();
-- Group versions change with every membership change; only a new name
-- matters here (a deleted group's memberships are deleted row by row).
CREATE TRIGGER dir_groups_notify AFTER UPDATE OF display_name ON dir_groups
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION iis_directory_group_renamed();
CREATE TRIGGER dir_users_truncate_notify AFTER TRUNCATE ON dir_users
    FOR EACH STATEMENT EXECUTE FUNCTION iis_directory_truncated();
CREATE TRIGGER dir_user_emails_truncate_notify AFTER TRUNCATE ON dir_user_emails
    FOR EACH STATEMENT EXECUTE FUNCTION iis_directory_truncated();
CREATE TRIGGER dir_members_truncate_notify AFTER TRUNCATE ON dir_members
    FOR EACH STATEMENT EXECUTE FUNCTION iis_directory_truncated();
CREATE TRIGGER dir_groups_truncate_notify AFTER TRUNCATE ON dir_groups
    FOR EACH STATEMENT EXECUTE FUNCTION iis_directory_truncated();
