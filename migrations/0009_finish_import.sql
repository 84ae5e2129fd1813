-- 0009_finish_import: what an import does once, after its last batch, so that the library it
-- leaves is ready to search at once rather than after autovacuum's next visit.
--  - The GIN indexes of file_search collect new entries in a pending list (fastupdate, see
--    0005) that every search scans in full until it is merged. Measured on 100,000 generated
--    files right after their import: 798 documents pending; merging them took no-hit searches
--    from 3.6 to 0.7 ms (docs/search.md).
--  - When the import changed a tenth of the library or more (autovacuum's own threshold: 50 rows
--    plus 10 %), the tables searches read are analyzed, so the planner knows the facets' spread:
--    facet-only searches went from 1.2 to 0.3 ms on those files. midi_files and file_analysis
--    are left to autovacuum: searches do not read them, and analyzing them was 0.09 s of the
--    corpus import's 0.8.
-- gin_clean_pending_list and ANALYZE need the owner of the tables, which the import role is not
-- (docs/roles.sql): the function runs as its owner, the role that applied this migration, with
-- the search_path of that moment, and only the roles granted it (docs/roles.sql) may call it.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0009_finish_import.sql

BEGIN;

CREATE FUNCTION midilib_finish_import(changed_files bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
DECLARE
    idx regclass;
BEGIN
    FOR idx IN SELECT i.indexrelid::regclass
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_am am ON am.oid = c.relam
               -- the table's own indexes, or its partitions' if it is partitioned (a
               -- partitioned index has no pending list of its own)
               WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('file_search'::regclass) WHERE isleaf)
                 AND am.amname = 'gin'
               ORDER BY i.indexrelid LOOP
        PERFORM gin_clean_pending_list(idx);
    END LOOP;
    IF changed_files >= 50 + 0.1 * (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'file_search'::regclass) THEN
        ANALYZE file_search, midi_file_paths; -- what searches read (the other tables: autovacuum)
    END IF;
END
$fn$;

REVOKE ALL ON FUNCTION midilib_finish_import(bigint) FROM PUBLIC;

INSERT INTO schema_migrations (version, name) VALUES (9, 'finish_import');

COMMIT;
