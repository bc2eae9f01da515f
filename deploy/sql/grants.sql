-- One-time grants for the broker's IAM database users. Run as `postgres` on
-- database iis (see deploy/README.md "Database grants"):
--
--   psql "host=127.0.0.1 port=5432 dbname=iis user=postgres" \
--     -v broker='iis-broker@PROJECT.iam' -v scim='iis-scim@PROJECT.iam' \
--     -f deploy/sql/grants.sql
--
-- Why a shared owner role: the worker and the SCIM service log in as
-- different users (least privilege on the Google side), but they share one
-- schema. Every session of either user starts as iis_owner, so whichever
-- service creates or migrates a table first, both can use and migrate it.
-- Idempotent: safe to run again.

\set ON_ERROR_STOP on

DO $$ BEGIN
  CREATE ROLE iis_owner NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

GRANT CONNECT, TEMPORARY ON DATABASE iis TO iis_owner;
GRANT USAGE, CREATE ON SCHEMA public TO iis_owner;

GRANT iis_owner TO :"broker", :"scim";
ALTER ROLE :"broker" SET role = 'iis_owner';
ALTER ROLE :"scim" SET role = 'iis_owner';
