-- 0010_create_search_words: the vocabulary of file names, for the typo fallback.
-- When a text search finds nothing, midilib looked for file names similar to the whole text
-- (pg_trgm word_similarity over the name of every file). Its cost grew with the library and with
-- how common the text's trigrams are: at 1,000,000 generated files a phrase with no match such
-- as "kick house" took 4 s, "kick -kick" 8 s. Now each word of the text is compared with the
-- distinct words of all file names (about 26,000 at 1,000,000 files, with a trigram index), and
-- the library is searched for the similar words found, through the full-text index like any
-- other search: the cost follows the vocabulary, not the library (docs/search.md).
-- Words are added by every refresh of the search rows (midilib_refresh_search, below); a word
-- whose files are gone stays, which costs nothing but a guess that finds no file.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0010_create_search_words.sql
-- The backfill reads every name once: about 10-20 s at 1,000,000 files.

BEGIN;

-- The trigram index on every file's name served only the old fallback: at 1,000,000 files it
-- was 96 MB that every import batch had to maintain. The vocabulary's index replaces it.
DROP INDEX file_search_name_trgm_idx;

CREATE TABLE search_words (
    word text PRIMARY KEY  -- lower case, letters and digits only, at most 64 characters
);
CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops);

INSERT INTO search_words (word)
SELECT DISTINCT w
FROM file_search s, regexp_split_to_table(lower(s.name_words), '[^[:alnum:]]+') AS w
WHERE w <> '' AND length(w) <= 64;

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

INSERT INTO schema_migrations (version, name) VALUES (10, 'create_search_words');

COMMIT;
