-- 0015_path_identity: a path's identity is its bytes, not its display text.
-- `key` (bytea) is what the file system gives: a file's path bytes; for an archive member, the
-- archive's key, a NUL byte, then the member's name (NUL NUL and an ordinal follow a name the archive
-- holds more than once: the second "a.mid" of a zip is "zip\0a.mid\0\02"). A NUL is in no file name,
-- so a member cannot collide with a real path (a folder named "x.zip!"), and a Latin-1 name cannot
-- collide with the UTF-8 name it decodes to. `path` stays the UTF-8 text shown and searched
-- ("x.zip!/a.mid"); two keys may share it. The key replaces midi_file_paths.fs_path.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0015_path_identity.sql

BEGIN;

-- The key of a row stored before: its bytes, each "!/" after an archive's name read as a member
-- separator. A nested archive recognized by its first bytes only (not by its name) is not seen
-- here: the archives holding such rows are read again by the next import (see below).
CREATE FUNCTION pg_temp.path_key(path text, fs_path bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    -- encode(.., 'escape') is reversible and leaves "!/" and the ASCII of names as they are.
    rest text := encode(coalesce(fs_path, convert_to(path, 'UTF8')), 'escape');
    part text := '';
    key bytea := '';
    at integer;
BEGIN
    LOOP
        at := position('!/' IN rest);
        EXIT WHEN at = 0;
        part := part || substr(rest, 1, at - 1);
        rest := substr(rest, at + 2);
        IF part ~* '\.(zip|7z|rar|tar|tgz|tbz2|txz|tzst|tar\.gz|tar\.bz2|tar\.xz|tar\.zst|tar\.lz4)$' THEN
            key := key || decode(part, 'escape') || '\x00'::bytea;
            part := '';
        ELSE
            part := part || '!/';
        END IF;
    END LOOP;
    RETURN key || decode(part || rest, 'escape');
END
$fn$;

ALTER TABLE midi_file_paths ADD COLUMN key bytea;
UPDATE midi_file_paths SET key = pg_temp.path_key(path, fs_path);
ALTER TABLE midi_file_paths ALTER COLUMN key SET NOT NULL;
ALTER TABLE midi_file_paths DROP CONSTRAINT midi_file_paths_pkey;
ALTER TABLE midi_file_paths ADD CONSTRAINT midi_file_paths_pkey PRIMARY KEY (key);
ALTER TABLE midi_file_paths DROP COLUMN fs_path;
CREATE INDEX midi_file_paths_path_idx ON midi_file_paths (path); -- search --folder: a range of display paths
COMMENT ON COLUMN midi_file_paths.key IS
    'the identity: the path''s bytes as the file system gives them; an archive member is the archive''s key, NUL, its name (NUL NUL ordinal for a repeated name)';
COMMENT ON COLUMN midi_file_paths.path IS 'the path as UTF-8 text, shown and searched (members: "archive!/member")';

ALTER TABLE import_errors ADD COLUMN key bytea;
UPDATE import_errors SET key = pg_temp.path_key(path, NULL);
DELETE FROM import_errors e USING import_errors newer -- two texts may have had one key
WHERE newer.key = e.key AND (newer.at, newer.id) > (e.at, e.id);
ALTER TABLE import_errors ALTER COLUMN key SET NOT NULL;
ALTER TABLE import_errors DROP CONSTRAINT import_errors_path_key;
ALTER TABLE import_errors ADD CONSTRAINT import_errors_key_key UNIQUE (key);
COMMENT ON COLUMN import_errors.key IS 'the identity of the path that failed (as midi_file_paths.key)';

ALTER TABLE archives ADD COLUMN key bytea;
UPDATE archives SET key = convert_to(path, 'UTF8');
ALTER TABLE archives ALTER COLUMN key SET NOT NULL;
ALTER TABLE archives DROP CONSTRAINT archives_pkey;
ALTER TABLE archives ADD CONSTRAINT archives_pkey PRIMARY KEY (key);
COMMENT ON COLUMN archives.key IS 'the identity of the archive file (as midi_file_paths.key)';

-- An archive whose stored member rows still hold a "!/" after the archive's own separator may
-- hold an archive that was recognized by its bytes: it is read again, and that reading writes
-- the members' keys (the rows with the old ones are then forgotten as no longer in the archive).
-- An archive whose name was not UTF-8 has a key that is not its bytes (its members' keys are not
-- under it): it is read again too.
DELETE FROM archives a
WHERE EXISTS (SELECT 1 FROM midi_file_paths p
              WHERE p.key > a.key || '\x00'::bytea AND p.key < a.key || '\x01'::bytea
                AND position('!/'::bytea IN substr(p.key, length(a.key) + 2)) > 0)
   OR (a.members > 0 AND NOT EXISTS (SELECT 1 FROM midi_file_paths p
                                     WHERE p.key > a.key || '\x00'::bytea AND p.key < a.key || '\x01'::bytea));

-- The import session's staging tables carry the key (a session that staged rows before this
-- migration gets new ones: they hold no rows between transactions).
CREATE OR REPLACE FUNCTION midilib_prepare_import_session() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.stage_analysis') IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = to_regclass('pg_temp.stage_errors') AND attname = 'key' AND NOT attisdropped) THEN
        RETURN;
    END IF;
    DROP TABLE IF EXISTS pg_temp.stage_files, pg_temp.stage_paths, pg_temp.stage_errors, pg_temp.stage_analysis;
    CREATE TEMP TABLE stage_files (LIKE midi_files INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
    ALTER TABLE stage_files DROP COLUMN id, DROP COLUMN imported_at;
    CREATE TEMP TABLE stage_paths (
        path text, hash bytea, size_bytes bigint, mtime_us bigint, key bytea
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE stage_errors (
        path text, size_bytes bigint, mtime_us bigint, stage text, reason text, key bytea
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE stage_analysis (LIKE file_analysis INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
    ALTER TABLE stage_analysis DROP COLUMN file_id, DROP COLUMN analyzed_at, ADD COLUMN hash bytea;
END
$fn$;

INSERT INTO schema_migrations (version, name) VALUES (15, 'path_identity');

COMMIT;
