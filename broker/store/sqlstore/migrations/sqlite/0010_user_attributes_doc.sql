-- Nothing to do. On PostgreSQL, migration 10 adds attributes_doc, the jsonb
-- form of attributes that directory filters read; SQLite's JSON functions
-- read the attributes text directly. This file keeps the two dialects'
-- versions aligned.
SELECT 1;
