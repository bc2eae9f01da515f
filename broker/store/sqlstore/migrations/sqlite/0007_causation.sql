-- The ids of the audit events that the next events of a request name as
-- their cause: the decision event (for credential.issued), the credential
-- event (for job.submitted) and the last event of a job's trail (for the
-- watcher's job.state_changed).
ALTER TABLE decisions ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN last_event_id TEXT NOT NULL DEFAULT '';
