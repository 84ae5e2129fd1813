-- 0016_group_works: works (the same music in several files) and "similar to this file" (docs/works.md).
-- file_analysis keeps each content's fingerprint and feature vector; file_works groups contents
-- into works. Contents analyzed before this migration have neither until `midilib analyze
-- --requeue` analyzes them again (ANALYZER_VERSION 5).
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0016_group_works.sql

BEGIN;

CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS intarray;

ALTER TABLE file_analysis
    ADD COLUMN print_kind text CHECK (print_kind IN ('pitched', 'drums')),
    ADD COLUMN print bigint[] CHECK (cardinality(print) = 64),
    ADD COLUMN print_slots integer[] CHECK (cardinality(print_slots) = 128),
    ADD COLUMN features cube;
COMMENT ON COLUMN file_analysis.print_kind IS 'what the fingerprint was made from; NULL when the file is too short or too empty to identify';
COMMENT ON COLUMN file_analysis.print IS 'MinHash signature, two 32-bit slots a bigint: each element is also one LSH band key';
COMMENT ON COLUMN file_analysis.print_slots IS 'the same signature as 128 integers, each a slot''s place (7 bits) and the low 25 bits of its value, sorted: equal slots are the intersection (intarray)';
COMMENT ON COLUMN file_analysis.features IS 'the 24-dimensional vector whose Euclidean distance says how alike two files sound';

-- Candidates for a new file's work: contents sharing a band key. fastupdate is off: every batch
-- looks its new files up right after inserting them, and a pending list is read in full by every lookup.
CREATE INDEX file_analysis_print_idx ON file_analysis USING gin (print) WITH (fastupdate = off)
    WHERE print IS NOT NULL;
-- Nearest neighbours: ORDER BY features <-> $1 LIMIT k.
CREATE INDEX file_analysis_features_idx ON file_analysis USING gist (features);

-- The share of equal slots (the estimated Jaccard similarity of the two files' shingle sets), as
-- analyzers/fingerprint.cpp similarity() computes it: intarray's intersection of two sorted arrays,
-- about 3 us, where comparing the bigint arrays element by element in SQL took 30.
CREATE FUNCTION midilib_print_similarity(a integer[], b integer[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
SELECT icount(a & b)::float8 / 128
$fn$;

-- Every analyzed content belongs to one work, named by the smallest content id it has held (a
-- content alone is a work of one). Works only grow: a new content joins a work or merges several.
CREATE TABLE file_works (
    file_id bigint PRIMARY KEY REFERENCES midi_files (id) ON DELETE CASCADE,
    work_id bigint NOT NULL
);
COMMENT ON TABLE file_works IS 'the work of each analyzed content; kept by each import batch and worker ack (db/works.cpp)';
CREATE INDEX file_works_work_idx ON file_works (work_id, file_id);

-- The contents each works step placed, numbered in commit order (the step numbers its row under the
-- lock it holds to its commit). A step looks its contents up before it takes the lock, then checks
-- them against the contents of the steps numbered after the last one it saw: those committed while
-- it looked. Rows older than a day are deleted by the steps.
CREATE TABLE works_log (
    seq      bigint      PRIMARY KEY,
    file_ids bigint[]    NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE works_log IS 'the contents each works step placed, in commit order (db/works.cpp)';

INSERT INTO schema_migrations (version, name) VALUES (16, 'group_works');

COMMIT;
