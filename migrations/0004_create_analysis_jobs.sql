-- 0004_create_analysis_jobs: the queue that `midilib worker` processes take analysis jobs from.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0004_create_analysis_jobs.sql

BEGIN;

-- One row per job; narrow, because workers update every row two or three times
-- (claim, then ack or retry). Done rows are kept (finished_at feeds `midilib status`).
CREATE TABLE analysis_jobs (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id       bigint      NOT NULL REFERENCES midi_files (id) ON DELETE CASCADE,
    kind          text        NOT NULL DEFAULT 'analyze',
    state         text        NOT NULL DEFAULT 'queued'
                              CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      integer     NOT NULL DEFAULT 0,   -- claims so far
    run_after     timestamptz NOT NULL DEFAULT now(), -- not claimed before (retry backoff)
    lease_owner   text,                           -- 'host:pid' of the worker holding it
    lease_expires timestamptz,                    -- after this, another worker may take it
    last_error    text,
    enqueued_at   timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
)
-- fillfactor 70: each claim and ack writes a new row version; free space on the page keeps it
-- next to the old one (fewer pages touched, less bloat between vacuums). Aggressive
-- autovacuum: the table churns, and dead tuples slow the SKIP LOCKED scans of the claim.
WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02,
      autovacuum_vacuum_cost_delay = 0);

-- The claim scans only available jobs, oldest first.
CREATE INDEX analysis_jobs_available_idx ON analysis_jobs (run_after, id) WHERE state = 'queued';
-- Expired leases are found without scanning done jobs.
CREATE INDEX analysis_jobs_leased_idx ON analysis_jobs (lease_expires) WHERE state = 'running';
-- At most one pending job per file and kind (enqueuing twice is a no-op).
CREATE UNIQUE INDEX analysis_jobs_pending_idx ON analysis_jobs (file_id, kind) WHERE state IN ('queued', 'running');
-- `midilib status`: jobs finished in the last minute.
CREATE INDEX analysis_jobs_finished_idx ON analysis_jobs (finished_at) WHERE state = 'done';

INSERT INTO schema_migrations (version, name) VALUES (4, 'create_analysis_jobs');

COMMIT;
