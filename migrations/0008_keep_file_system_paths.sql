-- 0008_keep_file_system_paths: the bytes of a path whose name is not valid UTF-8.
-- A file name in Latin-1 or CP437 (common in old MIDI collections) is stored in `path` converted
-- to UTF-8, for display and search; that text no longer names the file, so an analysis worker
-- (import --no-analyze) could not open it and the job went dead. `fs_path` keeps the path as the
-- file system spells it, and only for those paths (NULL when `path` is the same bytes), so it
-- costs nothing for the usual library.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0008_keep_file_system_paths.sql

BEGIN;

ALTER TABLE midi_file_paths ADD COLUMN fs_path bytea;
COMMENT ON COLUMN midi_file_paths.fs_path IS
    'the path''s bytes as the file system has them, when they are not valid UTF-8 (path holds them converted); NULL otherwise';

-- The import session's staging table for paths gets the column too (a session that staged
-- paths before this migration gets it added on its next batch).
CREATE OR REPLACE FUNCTION midilib_prepare_import_session() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.stage_analysis') IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = to_regclass('pg_temp.stage_paths') AND attname = 'fs_path' AND NOT attisdropped) THEN
        RETURN;
    END IF;
    IF to_regclass('pg_temp.stage_files') IS NULL THEN
        CREATE TEMP TABLE stage_files (LIKE midi_files INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
        ALTER TABLE stage_files DROP COLUMN id, DROP COLUMN imported_at;
        CREATE TEMP TABLE stage_paths (
            path text, hash bytea, size_bytes bigint, mtime_us bigint, fs_path bytea
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE stage_errors (
            path text, size_bytes bigint, mtime_us bigint, stage text, reason text
        ) ON COMMIT DELETE ROWS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = to_regclass('pg_temp.stage_paths') AND attname = 'fs_path' AND NOT attisdropped) THEN
        ALTER TABLE stage_paths ADD COLUMN fs_path bytea;
    END IF;
    IF to_regclass('pg_temp.stage_analysis') IS NULL THEN
        CREATE TEMP TABLE stage_analysis (LIKE file_analysis INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
        ALTER TABLE stage_analysis DROP COLUMN file_id, DROP COLUMN analyzed_at, ADD COLUMN hash bytea;
    END IF;
END
$fn$;

INSERT INTO schema_migrations (version, name) VALUES (8, 'keep_file_system_paths');

COMMIT;
