#pragma once
/// Which database a command talks to.

#include <filesystem>
#include <optional>
#include <string>

namespace midilib {

/// The database chosen by the user's options and environment.
struct database_choice
{
    std::string conninfo;           ///< libpq conninfo or URI ("" = libpq defaults from PG* variables)
    bool embedded = false;          ///< true: the private cluster under data_dir
    std::filesystem::path data_dir; ///< for the embedded cluster
    std::string source;             ///< where the choice came from, for messages ("--db", "MIDILIB_DB", ...)
};

/**
 * Resolves the database: --db, else the embedded cluster in @p data_dir when it is
 * given (--data-dir), else MIDILIB_DB, else DATABASE_URL, else any libpq PG* variable
 * (PGHOST, PGDATABASE, PGSERVICE, ...), else the embedded cluster in its default folder.
 */
database_choice choose_database(std::optional<std::string> const &db_option,
                                std::optional<std::filesystem::path> const &data_dir);

/**
 * Returns a conninfo for @p choice, starting the embedded cluster when that is the choice.
 * \throws std::runtime_error when the embedded cluster cannot start.
 */
std::string connect_string(database_choice const &choice);

} // namespace midilib
