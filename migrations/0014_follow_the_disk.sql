-- 0014_follow_the_disk: the library follows the disk, and an error is about now.
-- A content whose last path is gone (deleted, rewritten with other content, now failing) leaves
-- search at once and is marked missing (midi_files.missing_since); `midilib prune` deletes what
-- has been missing long enough. midilib_refresh_search(ids) is the one place that decides it: it
-- refreshes the search rows of contents that have paths and removes those of contents without.
-- import_errors keeps the latest error of each path, with how often and since when it failed; a
-- path that imports cleanly loses its error. An archive with a failed member is read again when the
-- member size limit that refused it changes.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0014_follow_the_disk.sql

BEGIN;

ALTER TABLE midi_files ADD COLUMN missing_since timestamptz;
COMMENT ON COLUMN midi_files.missing_since IS 'when the content lost its last path (NULL while a path holds it); prune deletes it later';
CREATE INDEX midi_files_missing_idx ON midi_files (missing_since) WHERE missing_since IS NOT NULL;

-- An archive read with a member that failed is read again when the member size limit changes.
ALTER TABLE archives ADD COLUMN failed_under_limit bigint;
COMMENT ON COLUMN archives.failed_under_limit IS 'the member size limit (bytes) of a reading in which a member failed; NULL when none failed';

-- The latest error of each path, counted.
DELETE FROM import_errors e USING import_errors newer
WHERE newer.path = e.path AND (newer.at, newer.id) > (e.at, e.id);
ALTER TABLE import_errors DROP CONSTRAINT import_errors_path_size_bytes_mtime_key;
ALTER TABLE import_errors ADD CONSTRAINT import_errors_path_key UNIQUE (path);
ALTER TABLE import_errors ADD COLUMN failures integer NOT NULL DEFAULT 1;
ALTER TABLE import_errors ADD COLUMN first_at timestamptz;
UPDATE import_errors SET first_at = at;
ALTER TABLE import_errors ALTER COLUMN first_at SET NOT NULL, ALTER COLUMN first_at SET DEFAULT now();
COMMENT ON COLUMN import_errors.at IS 'when the path last failed';
COMMENT ON COLUMN import_errors.first_at IS 'when the path first failed in a row of failing imports';
COMMENT ON COLUMN import_errors.failures IS 'imports in a row that found the path failing';

CREATE OR REPLACE FUNCTION midilib_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql SET jit = off AS $fn$
SELECT 1 FROM midi_files WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
-- A content with no path left leaves search at once and is missing from now on; one that has a
-- path again is no longer missing.
DELETE FROM file_search s
WHERE s.file_id = ANY (ids) AND NOT EXISTS (SELECT 1 FROM midi_file_paths p WHERE p.file_id = s.file_id);
UPDATE midi_files f SET missing_since = CASE WHEN f.missing_since IS NULL THEN now() END
WHERE f.id = ANY (ids)
  AND (f.missing_since IS NULL) = NOT EXISTS (SELECT 1 FROM midi_file_paths p WHERE p.file_id = f.id);
INSERT INTO file_search AS s (file_id, path, name_words, document, tempo_bpm, key_tonic, key_mode, key_name,
                              time_signature, duration_seconds, has_drums, track_count, instrument_words)
SELECT f.id, p.first_path,
       midilib_split_words(regexp_replace(regexp_replace(p.first_path, '^.*/', ''), '\.[^.]*$', '')),
       setweight(to_tsvector('midilib_names', p.words), 'A')
       || setweight(to_tsvector('midilib_names',
              midilib_split_words(array_to_string(f.track_names, ' ')) || ' '
              || coalesce(array_to_string(a.instruments || a.instrument_families, ' '), '')), 'B')
       || setweight(to_tsvector('midilib_names',
              left(array_to_string(f.texts || f.lyrics || f.copyrights || f.markers, ' '), 65536)), 'C'),
       coalesce(a.tempo_bpm, f.tempo_mean_bpm),
       a.key_tonic, a.key_mode, a.key_name,
       split_part(f.time_signatures[1], '@', 1),
       f.duration_seconds, a.has_drums, f.track_count,
       coalesce(ARRAY(SELECT DISTINCT w FROM unnest(a.instruments || a.instrument_families) AS i(x),
                      regexp_split_to_table(lower(i.x), '[^[:alnum:]]+') AS w WHERE w <> '' ORDER BY w), '{}')
FROM midi_files f
LEFT JOIN file_analysis a ON a.file_id = f.id
CROSS JOIN LATERAL (SELECT min(path) AS first_path, string_agg(midilib_path_words(path), ' ' ORDER BY path) AS words
                    FROM midi_file_paths WHERE file_id = f.id) AS p
WHERE f.id = ANY (ids) AND p.first_path IS NOT NULL
ON CONFLICT (file_id) DO UPDATE SET
    path = EXCLUDED.path, name_words = EXCLUDED.name_words, document = EXCLUDED.document,
    tempo_bpm = EXCLUDED.tempo_bpm, key_tonic = EXCLUDED.key_tonic, key_mode = EXCLUDED.key_mode,
    key_name = EXCLUDED.key_name, time_signature = EXCLUDED.time_signature,
    duration_seconds = EXCLUDED.duration_seconds, has_drums = EXCLUDED.has_drums,
    track_count = EXCLUDED.track_count, instrument_words = EXCLUDED.instrument_words;
-- New words of the refreshed names, in word order: two sessions adding the same new words wait
-- for each other in one order, never in a circle.
INSERT INTO search_words (word)
SELECT DISTINCT w
FROM file_search s, regexp_split_to_table(lower(s.name_words), '[^[:alnum:]]+') AS w
WHERE s.file_id = ANY (ids) AND w <> '' AND length(w) <= 64
ORDER BY w
ON CONFLICT (word) DO NOTHING
$fn$;

-- Contents that have no path today leave search and are missing.
DO $$
BEGIN
    PERFORM midilib_refresh_search(ARRAY(
        SELECT f.id FROM midi_files f
        WHERE NOT EXISTS (SELECT 1 FROM midi_file_paths p WHERE p.file_id = f.id)
        ORDER BY f.id));
END
$$;

INSERT INTO schema_migrations (version, name) VALUES (14, 'follow_the_disk');

COMMIT;
