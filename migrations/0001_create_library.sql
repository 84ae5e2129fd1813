-- 0001_create_library: the file library (one row per distinct content), the paths where
-- each content was seen, and the per-file import errors.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0001_create_library.sql
-- (the file is one transaction and records itself in schema_migrations).

BEGIN;

-- The ledger of applied migrations; every file ends by recording itself here.
CREATE TABLE schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text,                       -- filled by `midilib migrate`; NULL when applied by psql
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision,
    applied_by  text        NOT NULL DEFAULT current_user
);

-- One row per distinct file content (XXH3-128 of the bytes).
CREATE TABLE midi_files (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash              bytea       NOT NULL UNIQUE CHECK (length(hash) = 16),
    size_bytes        bigint      NOT NULL,
    format            smallint    NOT NULL,
    track_count       integer     NOT NULL,  -- MTrk chunks actually present
    declared_tracks   integer     NOT NULL,  -- track count written in MThd
    division          text        NOT NULL CHECK (division IN ('ppq', 'smpte')),
    ppq               integer,               -- ticks per quarter (division = 'ppq')
    smpte_fps         smallint,              -- division = 'smpte'
    ticks_per_frame   smallint,              -- division = 'smpte'
    duration_ticks    bigint      NOT NULL,
    duration_seconds  double precision NOT NULL,
    tempo_first_bpm   double precision NOT NULL,
    tempo_min_bpm     double precision NOT NULL,
    tempo_max_bpm     double precision NOT NULL,
    tempo_mean_bpm    double precision NOT NULL, -- time-weighted over the duration
    tempo_events      integer     NOT NULL,
    time_signatures   text[]      NOT NULL,  -- '3/4@0' = 3/4 from tick 0
    key_signatures    text[]      NOT NULL,  -- 'E minor@0', as declared (not trusted as the key)
    note_count        bigint      NOT NULL,
    channels_used     smallint[]  NOT NULL,  -- 1-based MIDI channels that play notes
    programs          smallint[]  NOT NULL,  -- 16 entries: first GM program per channel, NULL if none
    track_names       text[]      NOT NULL,
    texts             text[]      NOT NULL,
    lyrics            text[]      NOT NULL,
    copyrights        text[]      NOT NULL,
    markers           text[]      NOT NULL,
    warnings          text[]      NOT NULL,  -- defects the reader recovered from
    imported_at       timestamptz NOT NULL DEFAULT now()
);

-- Every path where a content was seen; a duplicate is a second path, not a lost fact.
-- (path, size_bytes, mtime) lets a re-run skip unchanged files without reading them.
CREATE TABLE midi_file_paths (
    path        text COLLATE "C" PRIMARY KEY,  -- byte order: a re-run checks a walked range at once
    file_id     bigint      NOT NULL REFERENCES midi_files (id),
    size_bytes  bigint      NOT NULL,
    mtime       timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX midi_file_paths_file_id_idx ON midi_file_paths (file_id);

-- Files that could not be imported: one row per (path, size, mtime) attempt.
CREATE TABLE import_errors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path        text COLLATE "C" NOT NULL,
    size_bytes  bigint      NOT NULL,
    mtime       timestamptz NOT NULL,
    stage       text        NOT NULL,   -- read, hash, parse, ...
    reason      text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (path, size_bytes, mtime)
);

-- Per-session staging tables for the importer's COPY batches. Kept here so that all DDL
-- lives in migrations; temporary tables are private to the calling session and are
-- emptied at each commit.
CREATE FUNCTION midilib_prepare_import_session() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.stage_files') IS NOT NULL THEN
        RETURN;
    END IF;
    CREATE TEMP TABLE stage_files (LIKE midi_files INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
    ALTER TABLE stage_files DROP COLUMN id, DROP COLUMN imported_at;
    CREATE TEMP TABLE stage_paths (
        path text, hash bytea, size_bytes bigint, mtime_us bigint
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE stage_errors (
        path text, size_bytes bigint, mtime_us bigint, stage text, reason text
    ) ON COMMIT DELETE ROWS;
END
$fn$;

INSERT INTO schema_migrations (version, name) VALUES (1, 'create_library');

COMMIT;
