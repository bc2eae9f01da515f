-- The limits an approval granted, so that a redelivered request is executed
-- under the same caps after a crash between decision and submit.
ALTER TABLE decisions ADD COLUMN max_duration_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE decisions ADD COLUMN credential_lifetime_ms BIGINT NOT NULL DEFAULT 0;
