#pragma once
/// Applies migrations/NNNN_name.sql files in order and records them in schema_migrations.

#include <pqxx/pqxx>

#include <filesystem>
#include <string>
#include <vector>

namespace midilib {

/// One migration file.
struct migration
{
    int version = 0;
    std::string name;              ///< "create_library"
    std::filesystem::path file;
    std::string sql;               ///< the file's bytes
    std::string checksum;          ///< XXH3-128 of the bytes, hex
};

/// Folder holding the migrations: $MIDILIB_MIGRATIONS_DIR, else the source tree's migrations/.
std::filesystem::path migrations_dir();

/** Reads every NNNN_name.sql in @p dir, sorted by version. \throws std::runtime_error on a bad name or duplicate version. */
std::vector<migration> load_migrations(std::filesystem::path const &dir);

/**
 * Applies the pending migrations under a session advisory lock, each in its own
 * transaction, so that concurrent callers apply each exactly once.
 * \throws std::runtime_error when the database has a version newer than @p known.
 * \returns the number of migrations applied.
 */
int migrate_up(pqxx::connection &cx, std::vector<migration> const &known);

} // namespace midilib
