-- 0013_tier_file_search: file_search in 9 partitions of growing size, the smallest read first.
-- A text search ranks the first 300 documents that match (docs/search.md), reading the
-- partitions in order and stopping at the 300th. With 16 even partitions (0011) a common word
-- still had a sixteenth of its posting list decoded into a bitmap and sorted before its first
-- match: 7,905 entries for "house" (an eighth of the library), 47,000 for "piano" at 1,000,000
-- files. Now the first partition holds 1/256 of the library, the next 1/256, then 1/128, 1/64,
-- ... 1/4 and 1/2: a word in 2 % of the library or more finds its 300 in the first (490
-- entries for "house"), a rarer word reads the next ones until it has them, and a word in no
-- file costs 9 probes instead of 16.
-- The partitions are nested hash partitions of file_id: file_search holds 1/2 as a leaf and
-- the other half as a partitioned table, which holds 1/4 as a leaf and the rest, and so on.
-- PostgreSQL reads each level's partitions in the order of their bounds, the "remainder 0"
-- subtree first, so the leaves are read smallest first (file_search_t0, t1, ..., t8).
-- Measured on 1,000,000 generated files, 8 clients (build-release/bench/search_bench URL 8 1000,
-- docs/search.md): p50 6.0-6.5 -> 3.9-4.2 ms, 1,024-1,129 -> 1,427-1,444 queries/s.
-- The copy takes an exclusive lock on file_search: about 20 s at 1,000,000 files, during which
-- imports and searches wait.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0013_tier_file_search.sql

BEGIN;

CREATE TABLE file_search_tiered (
    file_id          bigint      NOT NULL REFERENCES midi_files (id) ON DELETE CASCADE,
    path             text        NOT NULL,
    name_words       text        NOT NULL,
    document         tsvector    NOT NULL,
    tempo_bpm        real        NOT NULL,
    key_tonic        smallint,
    key_mode         text,
    key_name         text,
    time_signature   text,
    duration_seconds real        NOT NULL,
    has_drums        boolean,
    track_count      integer     NOT NULL,
    instrument_words text[]      NOT NULL,
    PRIMARY KEY (file_id)
) PARTITION BY HASH (file_id);

-- Level k (1..8) splits what its parent holds in two by the hash modulo 2^k: remainder 2^(k-1)
-- is the leaf file_search_t(9-k), remainder 0 the next level (file_search_r<k>), or at the
-- last level the leaf file_search_t0. Every level hashes file_id the same way, so a row in
-- the remainder-0 half always finds its partition below.
DO $$
DECLARE
    parent text := 'file_search_tiered';
    modulus int;
BEGIN
    FOR k IN 1..8 LOOP
        modulus := 1 << k;
        EXECUTE format('CREATE TABLE file_search_t%s PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                       9 - k, parent, modulus, modulus / 2);
        IF k < 8 THEN
            EXECUTE format('CREATE TABLE file_search_r%s PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER 0)'
                           ' PARTITION BY HASH (file_id)', k, parent, modulus);
            parent := 'file_search_r' || k;
        ELSE
            EXECUTE format('CREATE TABLE file_search_t0 PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER 0)',
                           parent, modulus);
        END IF;
    END LOOP;
END
$$;

INSERT INTO file_search_tiered
SELECT file_id, path, name_words, document, tempo_bpm, key_tonic, key_mode, key_name, time_signature,
       duration_seconds, has_drums, track_count, instrument_words
FROM file_search;

DROP TABLE file_search;
ALTER TABLE file_search_tiered RENAME TO file_search;
ALTER TABLE file_search RENAME CONSTRAINT file_search_tiered_pkey TO file_search_pkey;
ALTER TABLE file_search RENAME CONSTRAINT file_search_tiered_file_id_fkey TO file_search_file_id_fkey;

-- The indexes of 0011, one per leaf.
CREATE INDEX file_search_document_idx ON file_search USING gin (document) WITH (gin_pending_list_limit = 4096);
CREATE INDEX file_search_instruments_idx ON file_search USING gin (instrument_words);
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

ANALYZE file_search;

INSERT INTO schema_migrations (version, name) VALUES (13, 'tier_file_search');

COMMIT;
