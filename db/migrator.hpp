#pragma once
/// Applies migrations/NNNN_verb_noun.sql files in order and records them in schema_migrations.

#include <pqxx/pqxx>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace midilib {

/// First line of a migration that must run outside a transaction (CREATE INDEX CONCURRENTLY).
/// Such a file is run statement by statement; each statement ends with ";" at the end of a line.
constexpr char const *NO_TRANSACTION_HEADER = "-- midilib:no-transaction";

/// One migration file.
struct migration
{
    int version = 0;
    std::string name; ///< "create_library"
    std::filesystem::path file;
    std::string sql;           ///< the file's bytes
    std::string checksum;      ///< XXH3-128 of the bytes, hex
    bool transactional = true; ///< false when the file starts with NO_TRANSACTION_HEADER
};

/// A row of schema_migrations.
struct applied_migration
{
    int version = 0;
    std::string name;
    std::optional<std::string> checksum; ///< empty when applied by hand with psql and not yet adopted
    std::string applied_at;
    std::string applied_by;
    std::optional<double> duration_ms;
};

/// Folder holding the migrations: $MIDILIB_MIGRATIONS_DIR, else the source tree's migrations/.
std::filesystem::path migrations_dir();

/** Reads every NNNN_name.sql in @p dir, sorted by version. \throws std::runtime_error on a bad name or duplicate version. */
std::vector<migration> load_migrations(std::filesystem::path const &dir);

/// The rows of schema_migrations, by version; empty when the ledger does not exist yet.
std::vector<applied_migration> applied_migrations(pqxx::connection &cx);

/**
 * Applies the pending migrations under a session advisory lock, so that
 * concurrent callers apply each exactly once. A transactional file brings its
 * own BEGIN/COMMIT and records itself (as it does under psql); midilib then adds
 * the checksum and duration. Rows recorded by psql without a checksum are
 * adopted: the current file's checksum is recorded.
 * \throws std::runtime_error when the database has a version newer than @p known.
 * \returns the number of migrations applied.
 */
int migrate_up(pqxx::connection &cx, std::vector<migration> const &known);

/// One finding of verify_migrations().
struct migration_drift
{
    int version = 0;
    std::string what; ///< one sentence naming the file
};

/// Applied files whose bytes changed, applied versions without a file, versions unknown to this binary.
std::vector<migration_drift> verify_migrations(std::vector<migration> const &known,
                                               std::vector<applied_migration> const &applied);

/// The SQL of the pending migrations, ready for `psql -v ON_ERROR_STOP=1`.
std::string pending_sql(std::vector<migration> const &known, std::vector<applied_migration> const &applied);

/// Splits a no-transaction migration into statements (each ends with ";" at the end of a line).
std::vector<std::string> split_statements(std::string const &sql);

} // namespace midilib
