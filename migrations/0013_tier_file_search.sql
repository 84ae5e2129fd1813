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
-- The table is rebuilt with the same columns, keys, indexes (a DBA's own included) and grants.
-- The copy takes an exclusive lock on file_search: about 30 s at 1,000,000 files, during which
-- imports and searches wait.
-- Apply with `midilib migrate up`, or by hand: psql -v ON_ERROR_STOP=1 -f migrations/0013_tier_file_search.sql

BEGIN;

DO $$
DECLARE
    kept text[];  -- the indexes and grants of file_search, the migrations' and any a DBA added
    statement text;
    parent text := 'file_search_tiered';
    modulus int;
BEGIN
    -- (ON ONLY, as PostgreSQL prints a partitioned index, would leave the partitions without it;
    -- the primary and foreign keys are added below)
    kept := ARRAY(
        SELECT regexp_replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')
        FROM pg_index i
        WHERE i.indrelid = 'file_search'::regclass
          AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        UNION ALL
        SELECT format('GRANT %s ON file_search TO %s%s', a.privilege_type,
                      CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END,
                      CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
        FROM pg_class t, aclexplode(t.relacl) AS a
        WHERE t.oid = 'file_search'::regclass AND a.grantee <> t.relowner);

    CREATE TABLE file_search_tiered (LIKE file_search INCLUDING ALL EXCLUDING INDEXES) PARTITION BY HASH (file_id);
    -- Level k (1..8) splits what its parent holds in two by the hash modulo 2^k: remainder
    -- 2^(k-1) is the leaf file_search_t(9-k), remainder 0 the next level (file_search_r<k>), or
    -- at the last level the leaf file_search_t0. Every level hashes file_id the same way, so a
    -- row in the remainder-0 half always finds its partition below.
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

    -- Rows first, indexes after: built in bulk, not entry by entry.
    INSERT INTO file_search_tiered SELECT * FROM file_search;
    DROP TABLE file_search;
    ALTER TABLE file_search_tiered RENAME TO file_search;
    ALTER TABLE file_search ADD PRIMARY KEY (file_id);
    ALTER TABLE file_search ADD FOREIGN KEY (file_id) REFERENCES midi_files (id) ON DELETE CASCADE;
    FOREACH statement IN ARRAY kept LOOP
        EXECUTE statement;
    END LOOP;
END
$$;

ANALYZE file_search;

INSERT INTO schema_migrations (version, name) VALUES (13, 'tier_file_search');

COMMIT;
