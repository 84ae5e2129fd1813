-- 0006_order_search_path_words: the words of a content's paths enter its search document in
-- path order. Without an ORDER BY, string_agg took them in the physical order of the
-- midi_file_paths rows, so the same library could get different documents (word positions,
-- hence ts_rank_cd ranks) depending on the order in which batches committed, e.g. after an
-- import was interrupted and run again. Documents already stored are rewritten by the next
-- refresh of their content.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0006_order_search_path_words.sql

BEGIN;

CREATE OR REPLACE FUNCTION midilib_refresh_search(ids bigint[]) RETURNS void
LANGUAGE sql SET jit = off AS $fn$
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

INSERT INTO schema_migrations (version, name) VALUES (6, 'order_search_path_words');

COMMIT;
