#pragma once
/// What every subcommand of `midilib` shares: the global options, logging, the database, Ctrl-C.

#include <atomic>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace midilib {

/// Options every command shares.
struct global_options
{
    std::optional<std::string> db;
    std::optional<std::filesystem::path> data_dir;
    int verbose = 0;
    bool quiet = false;
    std::optional<std::string> log_file;
    bool log_sql = false;
};

/// Adds --db, --data-dir, -v, -q, --log-file and --log-sql to @p app, bound to @p g.
void add_global_options(CLI::App &app, global_options &g);

/// The default logger: stderr at the level of -v / -q, and the --log-file at debug level.
void setup_logging(global_options const &g);

/**
 * Resolves the database, starts the embedded one if needed, applies pending migrations.
 * \returns its conninfo. \throws std::exception when it cannot be reached or migrated.
 */
std::string open_database(global_options const &g);

/// Installs the SIGINT / SIGTERM handlers: the first signal sets the returned flag (the run
/// stops after committing the batches in flight), a second one ends the process.
std::atomic<bool> &install_stop_handlers();

/** A file id as printed by search: a whole number that fits a bigint. \throws std::invalid_argument naming @p command. */
std::int64_t parse_file_id(char const *command, std::string const &text);

/// Logs why a command failed, in one line (the full error at debug level). \returns the exit code, 1.
int report_failure(std::exception const &e);

} // namespace midilib
