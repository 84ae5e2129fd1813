-- 0007_lock_contents_on_search_refresh: a content's search row is computed by whoever commits
-- last, from everything committed before. midilib_refresh_search now first locks the contents'
-- midi_files rows (in id order, so two sessions cannot deadlock on them) and only then reads
-- their paths and analysis. The lock is held to the end of the transaction, and the second
-- statement of a VOLATILE function takes a fresh snapshot, so a session that waited sees what
-- the other one committed.
-- Before, two sessions refreshing one content at once (two imports of copies of the same
-- files under other names, or an import and a worker's ack) each built the document from
-- their own snapshot, and the later commit overwrote the earlier one's paths or analysis: a
-- lost update (tests/db/test_concurrency.cpp, three importers of copies).
-- FOR NO KEY UPDATE does not block the FOREIGN KEY checks of rows that reference midi_files
-- (they take FOR KEY SHARE), only other refreshes of the same contents.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0007_lock_contents_on_search_refresh.sql

BEGIN;

CREATE OR REPLACE FUNCTION midilib_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql SET jit = off AS $fn$
SELECT 1 FROM midi_files WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
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
    track_count = EXCLUDED.track_count, instrument_words = EXCLUDED.instrument_words
$fn$;

INSERT INTO schema_migrations (version, name) VALUES (7, 'lock_contents_on_search_refresh');

COMMIT;
