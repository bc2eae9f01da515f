-- The W3C traceparent of the step that recorded a job: the watcher's state
-- changes continue the request's trace from it.
ALTER TABLE jobs ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
