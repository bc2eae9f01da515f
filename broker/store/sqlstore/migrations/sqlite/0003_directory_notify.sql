-- Nothing to do. On PostgreSQL, migration 3 adds the triggers that notify
-- workers of directory changes (LISTEN/NOTIFY) so that their directory
-- caches drop stale entries. SQLite has no notifications across processes,
-- so a SQLite deployment reads the directory on every lookup and has no
-- cache to invalidate. This file keeps the two dialects' versions aligned.
SELECT 1;
