-- The digest of what was processed under each dedupe key: a second event
-- with the same source and id but another body is then audited as a
-- conflict instead of being dropped as a duplicate.
ALTER TABLE processed ADD COLUMN digest TEXT NOT NULL DEFAULT '';
