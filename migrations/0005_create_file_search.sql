-- 0005_create_file_search: full-text search over normalized name tokens, with facets.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0005_create_file_search.sql
-- Needs the contrib extensions pg_trgm and unaccent (package postgresql-15; both are trusted
-- extensions, so the database owner can create them).

BEGIN;

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Names are not prose: 'simple' keeps every word as written (no stemming that would turn
-- "kicks" into "kick" but also "bass" into "bas", no stop words that would drop "a" from
-- "A minor"), and unaccent lets "Für Elise" be found by "fur elise".
-- Only words with non-ASCII letters go through unaccent (an ASCII word has no accent to
-- strip, and the dictionary lookup was a quarter of the cost of building a document).
CREATE TEXT SEARCH CONFIGURATION midilib_names (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION midilib_names
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple;

-- Words of a name: split at camelCase and letter/digit boundaries and at anything that is
-- not a letter or digit ("DeepHouse_Kick128-C" -> "Deep House Kick 128 C"), followed by the
-- words as written ("DeepHouse Kick128 C"), so that both "house" and "deephouse" match.
CREATE FUNCTION midilib_split_words(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT regexp_replace(
           regexp_replace(regexp_replace(regexp_replace(regexp_replace(coalesce(t, ''),
               '([[:lower:]])([[:upper:]])', '\1 \2', 'g'),
               '([[:upper:]])([[:upper:]][[:lower:]])', '\1 \2', 'g'),
               '([[:alpha:]])([[:digit:]])', '\1 \2', 'g'),
               '([[:digit:]])([[:alpha:]])', '\1 \2', 'g'),
           '[^[:alnum:]]+', ' ', 'g')
       || ' ' || regexp_replace(coalesce(t, ''), '[^[:alnum:]]+', ' ', 'g')
$fn$;

-- Name tokens of a stored path: the file name (without its MIDI extension) and the three
-- folders above it (for archive members, the archive's name counts as a folder).
CREATE FUNCTION midilib_path_words(path text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT string_agg(midilib_split_words(part), ' ')
FROM (SELECT part
      FROM regexp_split_to_table(regexp_replace(path, '\.(midi?|kar|rmi|smf)$', '', 'i'), '!?/')
           WITH ORDINALITY AS t(part, n)
      ORDER BY n DESC LIMIT 4) AS last_parts
$fn$;

-- One row per content: its search document and the facets, denormalized from midi_files,
-- file_analysis and midi_file_paths so that every filter is answered by one index.
CREATE TABLE file_search (
    file_id          bigint      PRIMARY KEY REFERENCES midi_files (id) ON DELETE CASCADE,
    path             text        NOT NULL,  -- the first of its paths, shown in results
    name_words       text        NOT NULL,  -- words of that file name, for the typo fallback
    document         tsvector    NOT NULL,  -- A: file and folder names; B: track, instrument
                                            -- and GM names; C: text, lyrics, copyright, markers
    tempo_bpm        real        NOT NULL,  -- analysis (declared, else estimated), else the mean
    key_tonic        smallint,              -- 0 = C; NULL: no key (drums only, not analyzed)
    key_mode         text,
    key_name         text,
    time_signature   text,                  -- the first one, '4/4'
    duration_seconds real        NOT NULL,
    has_drums        boolean,
    track_count      integer     NOT NULL,
    instrument_words text[]      NOT NULL   -- lower-case words of GM program and family names
);

-- The text index. fastupdate (the default) collects new entries in a pending list that is
-- merged in bulk by vacuum or when it reaches gin_pending_list_limit: imports append
-- thousands of documents per batch, and merging them one by one would make every COPY
-- batch wait on GIN page splits; the cost is a slower search while the list is long.
-- Measured on the corpus in docs/search.md.
CREATE INDEX file_search_document_idx ON file_search USING gin (document) WITH (gin_pending_list_limit = 4096);
CREATE INDEX file_search_name_trgm_idx ON file_search USING gin (name_words gin_trgm_ops);
CREATE INDEX file_search_instruments_idx ON file_search USING gin (instrument_words);

-- Facets: one covering btree per leading filter, with the other filter columns included,
-- so a facet-only query is an index(-only) scan in result order.
CREATE INDEX file_search_tempo_idx ON file_search (tempo_bpm, file_id)
    INCLUDE (key_tonic, key_mode, time_signature, duration_seconds, has_drums, track_count);
CREATE INDEX file_search_key_idx ON file_search (key_tonic, key_mode, file_id)
    INCLUDE (tempo_bpm, time_signature, duration_seconds, has_drums, track_count);
CREATE INDEX file_search_meter_idx ON file_search (time_signature, file_id)
    INCLUDE (tempo_bpm, key_tonic, key_mode, duration_seconds, has_drums, track_count);
CREATE INDEX file_search_duration_idx ON file_search (duration_seconds, file_id)
    INCLUDE (tempo_bpm, key_tonic, key_mode, time_signature, has_drums, track_count);
CREATE INDEX file_search_drums_idx ON file_search (has_drums, file_id)
    INCLUDE (tempo_bpm, key_tonic, key_mode, time_signature, duration_seconds, track_count);
CREATE INDEX file_search_tracks_idx ON file_search (track_count, file_id)
    INCLUDE (tempo_bpm, key_tonic, key_mode, time_signature, duration_seconds, has_drums);

-- (Re)builds the search rows of the given contents; called by every batch of an import and
-- by every worker ack, in their transactions.
-- jit = off: the planner's cost estimate for a batch of 2,000 crosses jit_above_cost, and
-- compiling the expressions took 300 ms per batch, three times the work itself.
CREATE FUNCTION midilib_refresh_search(ids bigint[]) RETURNS void
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
CROSS JOIN LATERAL (SELECT min(path) AS first_path, string_agg(midilib_path_words(path), ' ') AS words
                    FROM midi_file_paths WHERE file_id = f.id) AS p
WHERE f.id = ANY (ids) AND p.first_path IS NOT NULL
ON CONFLICT (file_id) DO UPDATE SET
    path = EXCLUDED.path, name_words = EXCLUDED.name_words, document = EXCLUDED.document,
    tempo_bpm = EXCLUDED.tempo_bpm, key_tonic = EXCLUDED.key_tonic, key_mode = EXCLUDED.key_mode,
    key_name = EXCLUDED.key_name, time_signature = EXCLUDED.time_signature,
    duration_seconds = EXCLUDED.duration_seconds, has_drums = EXCLUDED.has_drums,
    track_count = EXCLUDED.track_count, instrument_words = EXCLUDED.instrument_words
$fn$;

INSERT INTO schema_migrations (version, name) VALUES (5, 'create_file_search');

COMMIT;
