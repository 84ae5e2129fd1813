-- 0002_create_archives: archives whose every MIDI member has been imported.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0002_create_archives.sql

BEGIN;

-- One row per archive (zip, 7z, rar, tar…) read to the end, written once all of its members'
-- rows are committed. A re-run skips an archive whose size and mtime are unchanged, without
-- opening it. Members are stored in midi_file_paths as 'archive path!/member path'.
CREATE TABLE archives (
    path        text COLLATE "C" PRIMARY KEY,
    size_bytes  bigint      NOT NULL,
    mtime       timestamptz NOT NULL,
    members     integer     NOT NULL,  -- MIDI members found (imported, duplicate or failed)
    imported_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO schema_migrations (version, name) VALUES (2, 'create_archives');

COMMIT;
