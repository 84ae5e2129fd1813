-- 0012_backfill_search_rows: search rows for the contents that have none.
-- 0005 created file_search empty, and since then only an import batch or a worker's ack builds
-- a content's row. A library imported before 0005 therefore found nothing after the upgrade,
-- and importing its folders again did not help: unchanged files are skipped unread. Found by
-- running the README demo on a library kept from the first version (schema 0001): 28 files,
-- no search row. This builds the missing rows once, with the function every import uses.
-- On a library whose rows are all there it reads the primary keys once (a few seconds at
-- 1,000,000 files) and changes nothing.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0012_backfill_search_rows.sql

BEGIN;

DO $$
BEGIN
    PERFORM midilib_refresh_search(ARRAY(
        SELECT f.id FROM midi_files f
        WHERE NOT EXISTS (SELECT 1 FROM file_search s WHERE s.file_id = f.id)
        ORDER BY f.id));
END
$$;

INSERT INTO schema_migrations (version, name) VALUES (12, 'backfill_search_rows');

COMMIT;
