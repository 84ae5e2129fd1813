// Migrations: applied once, recorded, and a newer database is refused.

#include "db/migrator.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace midilib::testing {
namespace {

// Every migration file is recorded once with its checksum; applying again changes nothing.
TEST(migrations, applied_once_and_recorded)
{
    temp_database db;
    auto const known = load_migrations(migrations_dir());
    ASSERT_FALSE(known.empty());
    EXPECT_EQ(db.count_rows("schema_migrations"), static_cast<long>(known.size()));
    EXPECT_EQ(db.count_rows("schema_migrations", "checksum IS NOT NULL"), static_cast<long>(known.size()));
    pqxx::connection cx{db.conninfo()};
    EXPECT_EQ(migrate_up(cx, known), 0);
}

// A library whose contents have no search row (imported before 0005 created file_search, which
// started empty) gets them from 0012: the search finds its files again, and nothing is imported
// twice. Re-applying 0012 here stands in for upgrading such a library.
TEST(migrations, contents_without_search_rows_get_them)
{
    temp_database db;
    auto const imported = run_midilib(db.conninfo(), {"import", MIDILIB_SOURCE_DIR "/samples"});
    ASSERT_EQ(imported.first, 0) << imported.second;
    long const files = db.count_rows("midi_files");
    ASSERT_GT(files, 0);
    db.exec("DELETE FROM file_search");
    db.exec("DELETE FROM schema_migrations WHERE version = 12");
    ASSERT_EQ(db.count_rows("file_search"), 0);
    // Every command applies pending migrations first: the user's next search upgrades the library.
    auto const [code, out] = run_midilib(db.conninfo(), {"search", "--json", "funk"}, verbosity::normal);
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(db.count_rows("schema_migrations", "version = 12"), 1);
    EXPECT_NE(out.find("funk_95_fill_4-4.mid"), std::string::npos) << out;
    EXPECT_EQ(db.count_rows("file_search"), files);
    EXPECT_EQ(db.count_rows("midi_files"), files);
}

// Four processes migrating an empty database at once apply each migration exactly once.
TEST(migrations, concurrent_migrate_applies_each_once)
{
    temp_database db;
    db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    std::vector<child> children;
    for (int i = 0; i < 4; ++i) {
        children.push_back(spawn_midilib(db.conninfo(), {"migrate"}));
    }
    for (auto const &c : children) {
        EXPECT_EQ(wait_for(c), 0);
    }
    EXPECT_EQ(db.count_rows("schema_migrations"), static_cast<long>(load_migrations(migrations_dir()).size()));
}

// A database one version ahead of the binary makes a command stop with a sentence saying what to do.
TEST(migrations, newer_database_is_refused)
{
    temp_database db;
    db.exec("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')");
    pqxx::connection cx{db.conninfo()};
    try {
        migrate_up(cx, load_migrations(migrations_dir()));
        FAIL() << "a newer schema must be refused";
    } catch (std::runtime_error const &e) {
        EXPECT_NE(std::string{e.what()}.find("upgrade midilib"), std::string::npos) << e.what();
    }
    auto const [code, out] = run_midilib(db.conninfo(), {"search", "x"});
    EXPECT_EQ(code, 1);
}

std::string read_text(std::filesystem::path const &p)
{
    std::ifstream in{p, std::ios::binary};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// pg_dump --schema-only of @p db, without the lines that differ between any two dumps.
std::string schema_dump(temp_database const &db)
{
    auto const [code, out] = run({"pg_dump", "--schema-only", "--no-owner", "-d", db.name()});
    EXPECT_EQ(code, 0);
    std::istringstream in{out};
    std::string line;
    std::string kept;
    while (std::getline(in, line)) {
        if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) {
            continue; // random keys of newer pg_dump versions
        }
        kept += line + '\n';
    }
    return kept;
}

/// An empty database (no migrations applied).
void empty_out(temp_database const &db) { db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"); }

/// Sets MIDILIB_MIGRATIONS_DIR for this process and the midilib processes it starts.
class migrations_dir_override
{
public:
    explicit migrations_dir_override(std::filesystem::path const &dir)
    {
        ::setenv("MIDILIB_MIGRATIONS_DIR", dir.c_str(), 1);
    }
    ~migrations_dir_override() { ::unsetenv("MIDILIB_MIGRATIONS_DIR"); }
    migrations_dir_override(migrations_dir_override const &) = delete;
    migrations_dir_override &operator=(migrations_dir_override const &) = delete;
};

// Every file applies with plain psql in order, and gives the same schema as `midilib migrate up`;
// a second `migrate up` on either changes nothing (and adopts the psql-applied rows' checksums).
TEST(migrations, psql_and_midilib_give_the_same_schema)
{
    temp_database by_midilib;
    temp_database by_psql;
    empty_out(by_midilib);
    empty_out(by_psql);
    EXPECT_EQ(run_midilib(by_midilib.conninfo(), {"migrate", "up"}).first, 0);
    for (auto const &m : load_migrations(migrations_dir())) {
        EXPECT_EQ(run({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", by_psql.name(), "-f", m.file.string()}).first,
                  0)
            << m.file;
    }
    auto const dump = schema_dump(by_midilib);
    EXPECT_GT(dump.size(), 1000U);
    EXPECT_EQ(dump, schema_dump(by_psql));
    EXPECT_EQ(by_psql.count_rows("schema_migrations", "checksum IS NULL"), by_psql.count_rows("schema_migrations"));

    for (auto const *db : {&by_midilib, &by_psql}) {
        auto const [code, out] = run_midilib(db->conninfo(), {"migrate", "up"}, verbosity::normal);
        EXPECT_EQ(code, 0);
        EXPECT_NE(out.find("0 migration(s) applied"), std::string::npos) << out;
    }
    EXPECT_EQ(by_psql.count_rows("schema_migrations", "checksum IS NULL"), 0);
    EXPECT_EQ(schema_dump(by_midilib), schema_dump(by_psql));
}

// A library made before 0013 (16 even partitions) gets the 9 growing ones with every row, its
// keys, and the indexes and grants a DBA added to file_search, and its searches find the same files.
TEST(migrations, growing_partitions_keep_the_rows_indexes_and_grants_of_file_search)
{
    temp_dir dir;
    for (auto const &m : load_migrations(migrations_dir())) {
        if (m.version < 13) {
            std::filesystem::copy_file(m.file, dir.path() / m.file.filename());
        }
    }
    // The samples imported by today's midilib, their rows copied into a database at 0012.
    temp_database current;
    auto const [imported, log] = run_midilib(current.conninfo(), {"import", MIDILIB_SOURCE_DIR "/samples"});
    ASSERT_EQ(imported, 0) << log;
    std::unique_ptr<temp_database> db;
    {
        migrations_dir_override override{dir.path()};
        db = std::make_unique<temp_database>();
    }
    for (std::string const table : {"midi_files", "file_analysis", "midi_file_paths"}) {
        // The columns both schemas have (a later migration replaced midi_file_paths.fs_path by key).
        auto const columns_of = [&](temp_database const &d) {
            return d.scalar<std::string>("SELECT string_agg(quote_ident(column_name), ',' ORDER BY ordinal_position)"
                                         " FROM information_schema.columns WHERE table_schema = 'public'"
                                         " AND table_name = '" +
                                         table + "'");
        };
        auto const now = columns_of(current);
        std::string columns;
        std::istringstream old{columns_of(*db)};
        for (std::string c; std::getline(old, c, ',');) {
            if (("," + now + ",").find("," + c + ",") != std::string::npos) {
                columns += (columns.empty() ? "" : ", ") + c;
            }
        }
        auto const [code,
                    out] = run({"sh", "-c",
                                "psql -X -q -v ON_ERROR_STOP=1 \"$0\" -c \"\\copy (SELECT $2 FROM $3) TO STDOUT\" | "
                                "psql -X -q -v ON_ERROR_STOP=1 \"$1\" -c \"\\copy $3 ($2) FROM STDIN\"",
                                current.conninfo(), db->conninfo(), columns, table});
        ASSERT_EQ(code, 0) << table << ": " << out;
    }
    db->exec("SELECT midilib_refresh_search(ARRAY(SELECT id FROM midi_files ORDER BY id))");
    std::string const leaves = "SELECT count(*) FROM pg_partition_tree('file_search') WHERE isleaf";
    ASSERT_EQ(db->scalar<long>(leaves), 16);
    long const files = db->count_rows("file_search");
    ASSERT_GT(files, 0);
    db->exec("CREATE INDEX dba_path_idx ON file_search (path)");
    db->exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'midilib_test_auditor') THEN"
             " CREATE ROLE midilib_test_auditor NOLOGIN; END IF; END $$");
    db->exec("GRANT SELECT ON file_search TO midilib_test_auditor");

    // The user's next command applies 0013.
    auto const [code, out] = run_midilib(db->conninfo(), {"search", "--json", "funk"}, verbosity::normal);
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("funk_95_fill_4-4.mid"), std::string::npos) << out;
    EXPECT_EQ(db->count_rows("schema_migrations", "version = 13"), 1);
    EXPECT_EQ(db->scalar<long>(leaves), 9);
    EXPECT_EQ(db->count_rows("file_search"), files);
    EXPECT_EQ(db->count_rows("pg_constraint", "conrelid = 'file_search'::regclass AND contype IN ('p', 'f')"), 2);
    // Every leaf has the DBA's index and the migrations' nine (key, 2 GIN, 6 covering).
    EXPECT_EQ(
        db->scalar<long>("SELECT count(*) FROM pg_partition_tree('file_search') t JOIN pg_index i"
                         " ON i.indrelid = t.relid WHERE t.isleaf AND pg_get_indexdef(i.indexrelid) LIKE '%(path)'"),
        9);
    EXPECT_EQ(db->scalar<long>("SELECT count(*) FROM pg_partition_tree('file_search') t JOIN pg_index i"
                               " ON i.indrelid = t.relid WHERE t.isleaf"),
              9 * 10);
    EXPECT_TRUE(db->scalar<bool>("SELECT has_table_privilege('midilib_test_auditor', 'file_search', 'SELECT')"));
    EXPECT_FALSE(db->scalar<bool>("SELECT has_table_privilege('midilib_test_auditor', 'file_search', 'INSERT')"));
}

// A library made before 0015 (paths keyed by their text, fs_path beside a name that is not UTF-8)
// gets the keys today's import gives: of a Latin-1 name, of members, of members of a nested
// archive; the next import of the same folder finds every file unchanged.
TEST(migrations, path_keys_of_an_older_library_are_those_an_import_gives)
{
    temp_dir dir;
    for (auto const &m : load_migrations(migrations_dir())) {
        if (m.version < 15) {
            std::filesystem::copy_file(m.file, dir.path() / m.file.filename());
        }
    }
    temp_dir files;
    auto const lib = files.path() / "lib";
    auto const sample = std::string{MIDILIB_SOURCE_DIR "/samples"};
    auto const [made, made_out] = run(
        {"sh", "-c",
         "mkdir -p \"$1\" && cd \"$1\" && n=0 && for f in \"$0\"/*/*.mid; do n=$((n+1)); case $n in"
         " 1) cp \"$f\" \"$(printf 'caf\\351.mid')\";; 2) cp \"$f\" a.mid && zip -q pack.zip a.mid && rm a.mid;;"
         " 3) cp \"$f\" b.mid && zip -q in.zip b.mid && zip -q outer.zip in.zip && rm b.mid in.zip;; esac; done",
         sample, lib.string()});
    ASSERT_EQ(made, 0) << made_out;
    temp_database current;
    auto const [imported, log] = run_midilib(current.conninfo(), {"import", lib.string()});
    ASSERT_EQ(imported, 0) << log;
    ASSERT_EQ(current.count_rows("midi_file_paths"), 3);
    std::unique_ptr<temp_database> db;
    {
        migrations_dir_override override{dir.path()};
        db = std::make_unique<temp_database>();
    }
    // The rows as a library before 0015 held them: fs_path for a name that is not UTF-8 only.
    std::vector<std::array<std::string, 3>> const copies{
        {"midi_files", "*", ""},
        {"midi_file_paths", "path, file_id, size_bytes, mtime, seen_at, fs_path",
         "path, file_id, size_bytes, mtime, seen_at, CASE WHEN position('\\x00'::bytea IN key) = 0"
         " AND key <> convert_to(path, 'UTF8') THEN key END"},
        {"archives", "path, size_bytes, mtime, members, imported_at, failed_under_limit",
         "path, size_bytes, mtime, members, imported_at, failed_under_limit"}};
    for (auto const &[table, into, from] : copies) {
        auto const columns = into == "*"
                                 ? db->scalar<std::string>("SELECT string_agg(quote_ident(column_name), ', ' ORDER BY"
                                                           " ordinal_position) FROM information_schema.columns WHERE"
                                                           " table_schema = 'public' AND table_name = '" +
                                                           table + "'")
                                 : into;
        auto const [code,
                    out] = run({"sh", "-c",
                                "psql -X -q -v ON_ERROR_STOP=1 \"$0\" -c \"\\copy (SELECT $4 FROM $3) TO STDOUT\" | "
                                "psql -X -q -v ON_ERROR_STOP=1 \"$1\" -c \"\\copy $3 ($2) FROM STDIN\"",
                                current.conninfo(), db->conninfo(), columns, table, from.empty() ? columns : from});
        ASSERT_EQ(code, 0) << table << ": " << out;
    }
    auto const keys = "SELECT string_agg(encode(key, 'hex'), ' ' ORDER BY key) FROM midi_file_paths";
    auto const [again, again_out] = run_midilib(db->conninfo(), {"import", "--json", lib.string()});
    ASSERT_EQ(again, 0) << again_out;
    EXPECT_EQ(db->count_rows("schema_migrations", "version = 15"), 1);
    EXPECT_EQ(db->scalar<std::string>(keys), current.scalar<std::string>(keys));
    EXPECT_EQ(nlohmann::json::parse(again_out)["skipped"], 3) << again_out;
    EXPECT_EQ(db->count_rows("midi_file_paths"), 3);
}

// Each file in migrations/ follows the rules: NNNN_verb_noun.sql, its own transaction (or the
// no-transaction header and no BEGIN/COMMIT), and it records itself under its own version.
TEST(migrations, files_follow_the_rules)
{
    auto const known = load_migrations(migrations_dir());
    for (std::size_t i = 0; i < known.size(); ++i) {
        auto const &m = known[i];
        EXPECT_EQ(m.version, static_cast<int>(i) + 1) << m.file << ": versions are consecutive from 0001";
        EXPECT_NE(m.name.find('_'), std::string::npos) << m.file << ": name is verb_noun";
        std::regex const record{"INSERT INTO schema_migrations \\(version, name\\) VALUES \\(" +
                                std::to_string(m.version) + ", '" + m.name + "'\\)"};
        EXPECT_TRUE(std::regex_search(m.sql, record)) << m.file << ": must record itself";
        std::regex const begin{"^BEGIN;", std::regex::multiline};
        std::regex const commit{"^COMMIT;", std::regex::multiline};
        if (m.transactional) {
            EXPECT_TRUE(std::regex_search(m.sql, begin) && std::regex_search(m.sql, commit)) << m.file;
        } else {
            EXPECT_FALSE(std::regex_search(m.sql, begin) || std::regex_search(m.sql, commit)) << m.file;
        }
    }
}

// A file with the no-transaction header runs statement by statement (CREATE INDEX CONCURRENTLY
// would fail inside a transaction), with midilib and with psql alike.
TEST(migrations, no_transaction_file_runs_outside_a_transaction)
{
    temp_dir dir;
    for (auto const &m : load_migrations(migrations_dir())) {
        std::filesystem::copy_file(m.file, dir.path() / m.file.filename());
    }
    int const next = load_migrations(migrations_dir()).back().version + 1;
    char name[64];
    std::snprintf(name, sizeof name, "%04d_index_import_errors_at.sql", next);
    std::ofstream{dir.path() / name} << NO_TRANSACTION_HEADER << "\n"
                                     << "-- test: an index built without locking writers out\n"
                                     << "CREATE INDEX CONCURRENTLY IF NOT EXISTS import_errors_at_idx\n"
                                     << "    ON import_errors (at);\n"
                                     << "INSERT INTO schema_migrations (version, name) VALUES (" << next
                                     << ", 'index_import_errors_at');\n";
    migrations_dir_override override{dir.path()};
    temp_database db; // applies the known migrations of the overridden folder
    EXPECT_EQ(db.count_rows("pg_indexes", "indexname = 'import_errors_at_idx'"), 1);
    EXPECT_EQ(db.scalar<int>("SELECT max(version) FROM schema_migrations"), next);
    EXPECT_EQ(db.count_rows("schema_migrations", "checksum IS NULL"), 0);
    EXPECT_EQ(split_statements(read_text(dir.path() / name)).size(), 2U);
}

// Editing an applied file makes verify fail and name the file; status shows it too.
TEST(migrations, verify_names_an_edited_file)
{
    temp_dir dir;
    for (auto const &m : load_migrations(migrations_dir())) {
        std::filesystem::copy_file(m.file, dir.path() / m.file.filename());
    }
    migrations_dir_override override{dir.path()};
    temp_database db;
    auto const verify = [&] { return run_midilib(db.conninfo(), {"migrate", "verify"}, verbosity::normal); };
    EXPECT_EQ(verify().first, 0);

    auto const edited = load_migrations(dir.path()).front().file;
    std::ofstream{edited, std::ios::app} << "\n-- an innocent-looking edit\n";
    auto const [code, out] = verify();
    EXPECT_EQ(code, 1);
    EXPECT_NE(out.find(edited.string()), std::string::npos) << out;
    EXPECT_NE(out.find("changed after it was applied"), std::string::npos) << out;
    auto const status = run_midilib(db.conninfo(), {"migrate", "status"}, verbosity::normal);
    EXPECT_EQ(status.first, 1);
    EXPECT_NE(status.second.find("CHANGED SINCE APPLIED"), std::string::npos) << status.second;

    // A missing file is drift too.
    std::filesystem::remove(edited);
    db.exec("INSERT INTO schema_migrations (version, name) VALUES (0, 'baseline')");
    auto const missing = verify();
    EXPECT_EQ(missing.first, 1);
    EXPECT_NE(missing.second.find("file is missing"), std::string::npos) << missing.second;
}

// A database one version ahead stops every command that uses the library, with the sentence;
// status and verify still describe it.
TEST(migrations, every_command_refuses_a_newer_database)
{
    temp_database db;
    db.exec("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')");
    for (auto const &args : std::vector<std::vector<std::string>>{
             {"import", "--json", MIDILIB_SOURCE_DIR "/samples"}, {"search", "x"}, {"migrate", "up"}}) {
        EXPECT_EQ(run_midilib(db.conninfo(), args, verbosity::normal).first, 1) << args[0];
    }
    EXPECT_EQ(db.count_rows("midi_files"), 0);
    auto const [code, out] = run_midilib(db.conninfo(), {"migrate", "verify"}, verbosity::normal);
    EXPECT_EQ(code, 1);
    EXPECT_NE(out.find("upgrade midilib"), std::string::npos) << out;
}

// The roles of docs/roles.sql: the search role reads and cannot write; the import role imports
// and cannot drop, alter or truncate.
TEST(migrations, roles_can_do_their_job_and_no_more)
{
    temp_database db;
    auto const roles_sql = std::filesystem::path{MIDILIB_SOURCE_DIR} / "docs" / "roles.sql";
    for (int i = 0; i < 2; ++i) { // safe to run again
        ASSERT_EQ(run({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.name(), "-f", roles_sql.string()}).first,
                  0);
    }
    db.exec("DO $$ BEGIN"
            " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'midilib_test_importer') THEN"
            "  CREATE ROLE midilib_test_importer LOGIN PASSWORD 'importer-secret' IN ROLE midilib_import; END IF;"
            " IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'midilib_test_reader') THEN"
            "  CREATE ROLE midilib_test_reader LOGIN PASSWORD 'reader-secret' IN ROLE midilib_search; END IF;"
            " END $$");
    std::string const importer = db.conninfo() + " user=midilib_test_importer password=importer-secret";
    std::string const reader = db.conninfo() + " user=midilib_test_reader password=reader-secret";
    auto const denied = [](std::string const &conninfo, std::string const &sql) {
        pqxx::connection cx{conninfo};
        pqxx::work tx{cx};
        try {
            tx.exec(sql);
        } catch (pqxx::insufficient_privilege const &) {
            return true;
        }
        return false;
    };

    // The import role imports (files, paths, errors) ...
    auto const [code, out] = run_midilib(importer, {"import", "--json", MIDILIB_SOURCE_DIR "/samples"});
    ASSERT_EQ(code, 0) << out;
    EXPECT_GT(db.count_rows("midi_files"), 0);
    EXPECT_GT(db.count_rows("import_errors"), 0);
    // ... and cannot drop, alter, truncate, or create.
    EXPECT_TRUE(denied(importer, "DROP TABLE midi_files"));
    EXPECT_TRUE(denied(importer, "ALTER TABLE midi_files ADD COLUMN x int"));
    EXPECT_TRUE(denied(importer, "TRUNCATE midi_file_paths"));
    EXPECT_TRUE(denied(importer, "CREATE TABLE public.intruder (i int)"));
    EXPECT_TRUE(denied(importer, "DELETE FROM schema_migrations"));

    // The search role reads and searches, and cannot write.
    {
        pqxx::connection cx{reader};
        pqxx::work tx{cx};
        EXPECT_GT(tx.exec1("SELECT count(*) FROM midi_files")[0].as<long>(), 0);
    }
    EXPECT_EQ(run_midilib(reader, {"search", "groove"}).first, 0);
    EXPECT_TRUE(denied(reader, "INSERT INTO import_errors (path, size_bytes, mtime, stage, reason)"
                               " VALUES ('x', 0, now(), 'read', 'x')"));
    EXPECT_TRUE(denied(reader, "UPDATE midi_files SET size_bytes = 0"));
    EXPECT_TRUE(denied(reader, "DELETE FROM midi_file_paths"));
    EXPECT_TRUE(denied(reader, "DROP TABLE midi_files"));
}

} // namespace
} // namespace midilib::testing
