-- The digest of the request a decision was made on, so that a second event
-- reusing the request's source and id with another body (or token) is
-- refused instead of inheriting the approval.
ALTER TABLE decisions ADD COLUMN request_digest TEXT NOT NULL DEFAULT '';
