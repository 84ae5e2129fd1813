#pragma once
/// Faults injected into a real server for tests: an INSERT held mid-transaction, sessions
/// terminated, an embedded cluster stopped in immediate mode, a data directory's disk filled.

#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace midilib::testing {

/// Longest a midilib command may take before a fault test calls it hung. A clean run takes ~1 s,
/// but under ThreadSanitizer with ctest -j2 a one-thread worker over ~3,000 files took 30-45 s
/// (a 30 s limit failed CI: the clean run's worker was killed at 2,980 of 3,135 jobs, still
/// going), so the limit is far above what a working run needs and only catches real hangs.
constexpr std::chrono::seconds HANG_LIMIT{180};

/// Runs @p args to completion with both streams captured, killed as hung after HANG_LIMIT.
finished run_to_end(std::vector<std::string> const &args);

/// The failure the user sees: a non-zero exit (not a signal), and exactly one line on stderr
/// (midilib runs with -q: errors only), which says what happened: it contains one of @p any_of.
void expect_one_clear_line(finished const &r, std::vector<std::string> const &any_of);

/// The first column of the first row of @p sql, as a number.
long scalar_long(pqxx::connection &cx, std::string const &sql);

/**
 * Lets the first INSERT statement into a table through and holds every later one, inside its
 * transaction, until release() (or until the test's connection ends): a statement-level trigger
 * that waits on an advisory lock the gate keeps. The trigger adds no rows.
 */
class insert_gate
{
public:
    static constexpr long KEY = 61'772'001;

    /** Creates the trigger on @p table in the database at @p conninfo and takes the lock. \throws pqxx::failure */
    insert_gate(std::string conninfo, std::string table);
    insert_gate(insert_gate const &) = delete;
    insert_gate &operator=(insert_gate const &) = delete;
    insert_gate(insert_gate &&) = delete;
    insert_gate &operator=(insert_gate &&) = delete;
    ~insert_gate() = default;

    /// Statements waiting at the gate.
    long held(pqxx::connection &observer) const;

    /// Lets the held statements go on (nothing when the server took the lock away).
    void release();

    /// Drops the trigger (through a new connection: after a restart the old one is gone).
    void remove();

private:
    std::string m_conninfo;
    std::string m_table;
    std::unique_ptr<pqxx::connection> m_holder;
};

/// Waits (at most HANG_LIMIT) until @p committed_sql counts some committed rows and a statement is held at @p gate.
bool caught_mid_run(std::string const &conninfo, insert_gate const &gate, std::string const &committed_sql);

/// Ends with pg_terminate_backend the sessions of this database whose application_name is like
/// @p pattern; returns how many. Only this database's: other tests run their own midilib
/// sessions on the same server at the same time (ctest -j), and must not lose them.
long terminate_sessions(std::string const &conninfo, std::string const &pattern);

/// A midilib embedded cluster in @p dir (--data-dir), stopped in immediate mode at the end.
class embedded_server
{
public:
    explicit embedded_server(std::filesystem::path dir);
    embedded_server(embedded_server const &) = delete;
    embedded_server &operator=(embedded_server const &) = delete;
    embedded_server(embedded_server &&) = delete;
    embedded_server &operator=(embedded_server &&) = delete;
    ~embedded_server();

    /// `midilib -q --data-dir <dir> <args...>`.
    [[nodiscard]] std::vector<std::string> cli(std::vector<std::string> const &args) const;

    /// Database "midilib".
    [[nodiscard]] std::string conninfo() const;

    /// A new, empty database beside "midilib", for a clean run; returns its conninfo.
    [[nodiscard]] std::string create_database(std::string const &name) const;

    /// pg_ctl stop -m immediate: every backend is killed, no shutdown checkpoint (as a crash).
    void stop_immediately() const;

private:
    std::filesystem::path m_dir;
};

/// A temporary folder the postgres user can enter (the server runs as postgres under root).
struct shared_temp_dir : temp_dir
{
    shared_temp_dir();
};

/// A tmpfs mounted for the test's lifetime (lazily unmounted at the end, also on failure); needs root.
class tmpfs_mount
{
public:
    explicit tmpfs_mount(std::filesystem::path dir);
    tmpfs_mount(tmpfs_mount const &) = delete;
    tmpfs_mount &operator=(tmpfs_mount const &) = delete;
    tmpfs_mount(tmpfs_mount &&) = delete;
    tmpfs_mount &operator=(tmpfs_mount &&) = delete;
    ~tmpfs_mount();

    /// Mounts, or remounts with the new size; "" or the reason it failed.
    std::string resize(std::uint64_t mib);

    /// MiB in use, rounded up.
    [[nodiscard]] std::uint64_t used_mib() const;

private:
    std::filesystem::path m_dir;
    bool m_mounted = false;
};

} // namespace midilib::testing
