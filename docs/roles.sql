-- midilib roles: an import role that writes rows but cannot change or drop tables, and a
-- read-only search role. Run as the owner of the midilib tables, after `midilib migrate up`:
--     psql -v ON_ERROR_STOP=1 -d midilib -f docs/roles.sql
-- then give people logins that inherit one of them, e.g.
--     CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE midilib_import;
-- Safe to run again (after every migration, for the new tables). Tested by
-- tests/db/test_migrations.cpp (roles_can_do_their_job_and_no_more).

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'midilib_import') THEN
        CREATE ROLE midilib_import NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'midilib_search') THEN
        CREATE ROLE midilib_search NOLOGIN;
    END IF;
    -- TEMPORARY: the importer stages each batch in session temp tables.
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO midilib_import', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO midilib_search', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO midilib_import, midilib_search;

-- Import: rows only. Not the owner, so no DROP, ALTER or TRUNCATE; no CREATE on the schema.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO midilib_import;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO midilib_import;
GRANT EXECUTE ON FUNCTION midilib_prepare_import_session() TO midilib_import;
-- Runs as the owner (0009): merges the GIN pending lists and refreshes statistics after an import.
GRANT EXECUTE ON FUNCTION midilib_finish_import(bigint) TO midilib_import;
-- The migration ledger is the DBA's: the importer reads it (to check the schema version) only.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM midilib_import;

-- Search: read only.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO midilib_search;
