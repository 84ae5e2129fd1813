-- 0011_partition_file_search: file_search in 16 hash partitions of file_id.
-- A text search ranks the first 300 documents that match (docs/search.md). With one GIN index,
-- a word in an eighth of the library had its whole posting list decoded before the first match
-- was returned (7 ms for 125,000 files, 40 ms for "piano" in 750,000), and that is most of what
-- searches cost at 1,000,000 files. Each partition holds an even sixteenth of the library (a
-- hash of file_id), with its own GIN index; PostgreSQL reads the partitions one after the other
-- and stops as soon as 300 matches are found, so a common word costs a sixteenth of its list.
-- Measured on 1,000,000 generated files, 8 clients (build/bench/search_bench): p50 60 -> 9.5 ms,
-- 76 -> 506 queries/s (docs/search.md). A word in no partition costs 16 small index probes.
-- Facet-only searches read the 16 partitions' covering indexes merged in order.
-- The copy takes an exclusive lock on file_search: about 20 s at 1,000,000 files, during which
-- imports and searches wait.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0011_partition_file_search.sql

BEGIN;

CREATE TABLE file_search_partitioned (
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

DO $$
BEGIN
    FOR r IN 0..15 LOOP
        EXECUTE format('CREATE TABLE file_search_p%s PARTITION OF file_search_partitioned'
                       ' FOR VALUES WITH (MODULUS 16, REMAINDER %s)', r, r);
    END LOOP;
END
$$;

INSERT INTO file_search_partitioned
SELECT file_id, path, name_words, document, tempo_bpm, key_tonic, key_mode, key_name, time_signature,
       duration_seconds, has_drums, track_count, instrument_words
FROM file_search;

DROP TABLE file_search;
ALTER TABLE file_search_partitioned RENAME TO file_search;
ALTER TABLE file_search RENAME CONSTRAINT file_search_partitioned_pkey TO file_search_pkey;
ALTER TABLE file_search RENAME CONSTRAINT file_search_partitioned_file_id_fkey TO file_search_file_id_fkey;

-- The indexes of 0005 (less the name trigrams, dropped by 0010), now one per partition.
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

-- midilib_finish_import (0009) merges the pending lists of the partitions' GIN indexes.

INSERT INTO schema_migrations (version, name) VALUES (11, 'partition_file_search');

COMMIT;
