-- 0003_create_file_analysis: the musical analysis of each content (key, tempo, chords, drums,
-- note statistics), one row per midi_files row, written in the same batch as the file.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0003_create_file_analysis.sql

BEGIN;

CREATE TABLE file_analysis (
    file_id                  bigint      PRIMARY KEY REFERENCES midi_files (id) ON DELETE CASCADE,
    analyzer_version         integer     NOT NULL,  -- ANALYZER_VERSION of analyzers/analysis.hpp
    -- Key from duration-weighted pitch classes (drums excluded); NULL when no pitched note.
    key_tonic                smallint    CHECK (key_tonic BETWEEN 0 AND 11),  -- 0 = C
    key_mode                 text        CHECK (key_mode IN ('major', 'minor')),
    key_name                 text,                  -- 'A minor'
    key_confidence           real,                  -- best minus runner-up correlation
    key_clear                boolean,
    key_runner_up            text,
    modulations              text[]      NOT NULL,  -- 'E minor@32.5s'
    -- Tempo: declared by Set Tempo events, or estimated from onsets when nothing (or only
    -- the default 120 at tick 0) is declared. tempo_bpm is the one to show and filter on.
    tempo_declared           boolean     NOT NULL,
    tempo_bpm                real,
    tempo_estimated_bpm      real,
    tempo_estimate_confidence real,
    tempo_changes            integer     NOT NULL,
    -- Chords per bar ('Am7', '-' for no chord) and their summary.
    chord_progression        text[]      NOT NULL,
    chords_distinct          integer     NOT NULL,
    chord_changes_per_minute real        NOT NULL,
    -- Drums: channel 10, or a channel that only plays GM percussion.
    has_drums                boolean     NOT NULL,
    drum_kit                 text[]      NOT NULL,  -- GM percussion names used
    drum_hits_per_bar        real        NOT NULL,
    groove                   real[]      NOT NULL,  -- mean hits on each 16th step of a bar
    swing                    real,                  -- long/short ratio of 8th pairs; NULL unknown
    -- Note statistics.
    note_count               bigint      NOT NULL,
    pitch_min                smallint,
    pitch_max                smallint,
    velocity_mean            real        NOT NULL,
    velocity_stdev           real        NOT NULL,
    polyphony_max            integer     NOT NULL,
    polyphony_mean           real        NOT NULL,
    notes_per_second         real        NOT NULL,
    monophonic               boolean     NOT NULL,
    instruments              text[]      NOT NULL,  -- GM program names of the channels with notes
    instrument_families      text[]      NOT NULL,  -- their GM families (distinct), 'Drums' included
    bars                     integer     NOT NULL,
    analyzed_at              timestamptz NOT NULL DEFAULT now()
);
-- Re-analysis after an analyzer improves finds the old rows by version.
CREATE INDEX file_analysis_version_idx ON file_analysis (analyzer_version);

-- The import session gets a staging table for analysis rows (keyed by content hash).
CREATE OR REPLACE FUNCTION midilib_prepare_import_session() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.stage_analysis') IS NOT NULL THEN
        RETURN;
    END IF;
    IF to_regclass('pg_temp.stage_files') IS NULL THEN
        CREATE TEMP TABLE stage_files (LIKE midi_files INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
        ALTER TABLE stage_files DROP COLUMN id, DROP COLUMN imported_at;
        CREATE TEMP TABLE stage_paths (
            path text, hash bytea, size_bytes bigint, mtime_us bigint
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE stage_errors (
            path text, size_bytes bigint, mtime_us bigint, stage text, reason text
        ) ON COMMIT DELETE ROWS;
    END IF;
    CREATE TEMP TABLE stage_analysis (LIKE file_analysis INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
    ALTER TABLE stage_analysis DROP COLUMN file_id, DROP COLUMN analyzed_at, ADD COLUMN hash bytea;
END
$fn$;

INSERT INTO schema_migrations (version, name) VALUES (3, 'create_file_analysis');

COMMIT;
