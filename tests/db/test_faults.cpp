// Fault injection against a real server: the server stopped (immediate mode) mid-import and
// mid-worker-batch, the import's and a worker's connections killed with pg_terminate_backend,
// and the disk of the data directory full. Each fault must end with one clear error line or a
// retry; after recovery the library must equal a clean run of the same folders row for row.
//
// "Mid-run" is made exact with a gate: a statement-level trigger that lets the first INSERT
// into a table through and holds every later one on an advisory lock the test keeps. The test
// waits until some batch has committed and another is held inside its transaction, then
// injects the fault. The trigger adds no rows, and is dropped before the recovery run.

#include "db/embedded_cluster.hpp"
#include "pipeline/batcher.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <fcntl.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

extern char **environ;

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// ~3,160 files in 13 batches of 250 (MAX_BATCH_ROWS; so a fault lands between batches), with 24 duplicate
/// contents and 2 files that fail to parse (so import_errors is compared too).
std::vector<std::string> corpus_folders()
{
    return {(corpus_dir() / "nottingham").string(), (corpus_dir() / "jazz-soft-test-midi-files").string()};
}

/// Longest a midilib command may take before the test calls it hung. A clean run takes ~1 s,
/// but under ThreadSanitizer with ctest -j2 a one-thread worker over these files took 30-45 s
/// (a 30 s limit failed CI: the clean run's worker was killed at 2,980 of 3,135 jobs, still
/// going), so the limit is far above what a working run needs and only catches real hangs.
constexpr auto HANG_LIMIT = 180s;

// ---------------------------------------------------------------------------------------------
// Child processes with both output streams captured.

/// What a finished command left.
struct ended
{
    int code = -1;     ///< exit code, or 128+signal
    bool hung = false; ///< killed after HANG_LIMIT
    std::string out;
    std::string err;
};

/// A running command; killed (and reaped) if the test ends before finish() was called.
class running
{
public:
    explicit running(std::vector<std::string> const &args)
    {
        m_out = temp_file();
        m_err = temp_file();
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, m_out.c_str(), O_WRONLY | O_TRUNC, 0);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, m_err.c_str(), O_WRONLY | O_TRUNC, 0);
        std::vector<char *> argv;
        for (auto const &a : args) {
            argv.push_back(const_cast<char *>(a.c_str()));
        }
        argv.push_back(nullptr);
        int const rc = posix_spawnp(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            throw std::runtime_error{"posix_spawn failed for " + args[0]};
        }
    }
    running(running &&other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_out(std::move(other.m_out)), m_err(std::move(other.m_err))
    {}
    running(running const &) = delete;
    running &operator=(running const &) = delete;
    running &operator=(running &&) = delete;
    ~running()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (!m_out.empty()) {
            ::unlink(m_out.c_str());
            ::unlink(m_err.c_str());
        }
    }

    /// Waits for the exit (at most @p limit, then kills it and reports it hung).
    ended finish(std::chrono::seconds limit = HANG_LIMIT)
    {
        ended r;
        int status = 0;
        if (!wait_until([&] { return ::waitpid(m_pid, &status, WNOHANG) == m_pid; }, limit)) {
            r.hung = true;
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
        }
        m_pid = -1;
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = slurp(m_out);
        r.err = slurp(m_err);
        return r;
    }

private:
    static std::string temp_file()
    {
        char tmpl[] = "/tmp/midilib-fault-XXXXXX";
        int const fd = ::mkstemp(tmpl);
        if (fd < 0) {
            throw std::runtime_error{"mkstemp failed"};
        }
        ::close(fd);
        return tmpl;
    }
    static std::string slurp(std::string const &file)
    {
        std::ifstream in{file};
        return {std::istreambuf_iterator<char>{in}, {}};
    }

    pid_t m_pid = -1;
    std::string m_out;
    std::string m_err;
};

ended run_to_end(std::vector<std::string> const &args) { return running{args}.finish(); }

/// The failure the user sees: a non-zero exit (not a signal), and exactly one line on stderr
/// (midilib runs with -q: errors only), which says what happened.
void expect_one_clear_line(ended const &r, std::vector<std::string> const &any_of)
{
    EXPECT_FALSE(r.hung) << "midilib did not exit within " << HANG_LIMIT.count() << " s";
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr:\n" << r.err;
    EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
    EXPECT_TRUE(std::any_of(any_of.begin(), any_of.end(),
                            [&](auto const &words) { return r.err.find(words) != std::string::npos; }))
        << r.err;
    std::cout << "midilib said: " << r.err;
}

std::vector<std::string> midilib_db(std::string const &conninfo, std::vector<std::string> const &args)
{
    std::vector<std::string> all{midilib_binary().string(), "-q", "--db", conninfo};
    all.insert(all.end(), args.begin(), args.end());
    return all;
}

std::vector<std::string> import_args(std::vector<std::string> extra = {})
{
    std::vector<std::string> args{"import", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto const folders = corpus_folders();
    args.insert(args.end(), folders.begin(), folders.end());
    return args;
}

std::vector<std::string> const WORKER_ARGS{"worker", "--once", "--json", "--batch", "20", "--jobs", "1",
                                           "--lease-seconds", "3", "--retry-base-ms", "10"};

// ---------------------------------------------------------------------------------------------
// The library, row for row.

/// One text per row of each table, without surrogate ids and timestamps (contents are named
/// by their hash), so that two databases with the same library give the same rows.
constexpr std::pair<char const *, char const *> LIBRARY_ROWS[] = {
    {"midi_files", "SELECT (to_jsonb(f) - 'id' - 'imported_at')::text FROM midi_files f"},
    {"midi_file_paths", "SELECT (to_jsonb(p) - 'file_id' - 'seen_at' || jsonb_build_object('hash', f.hash))::text"
                        " FROM midi_file_paths p JOIN midi_files f ON f.id = p.file_id"},
    {"file_analysis", "SELECT (to_jsonb(a) - 'file_id' - 'analyzed_at' || jsonb_build_object('hash', f.hash))::text"
                      " FROM file_analysis a JOIN midi_files f ON f.id = a.file_id"},
    {"import_errors", "SELECT (to_jsonb(e) - 'id' - 'at')::text FROM import_errors e"},
    {"file_search", "SELECT (to_jsonb(s) - 'file_id' || jsonb_build_object('hash', f.hash))::text"
                    " FROM file_search s JOIN midi_files f ON f.id = s.file_id"},
    {"archives", "SELECT (to_jsonb(a) - 'imported_at')::text FROM archives a"},
    {"analysis_jobs", "SELECT jsonb_build_object('hash', f.hash, 'kind', j.kind, 'state', j.state)::text"
                      " FROM analysis_jobs j JOIN midi_files f ON f.id = j.file_id"},
};

/// Per table: "<rows> rows, md5 <md5 of the sorted row texts>".
std::map<std::string, std::string> library_rows(std::string const &conninfo)
{
    pqxx::connection cx{conninfo};
    pqxx::nontransaction tx{cx};
    tx.exec0("SET TimeZone = 'UTC'"); // timestamptz as text
    std::map<std::string, std::string> out;
    for (auto const &[table, rows] : LIBRARY_ROWS) {
        out[table] = tx.exec1(fmt::format("SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(r, E'\\n'"
                                          " ORDER BY r COLLATE \"C\"), '')) FROM ({}) t(r)",
                                          rows))[0]
                         .as<std::string>();
    }
    return out;
}

/// Compares table by table, so that a failure names the table.
void expect_same_library(std::string const &recovered, std::string const &clean)
{
    auto const got = library_rows(recovered);
    auto const want = library_rows(clean);
    for (auto const &[table, rows] : want) {
        EXPECT_EQ(got.at(table), rows) << "table " << table << " differs from a clean run";
    }
    // The clean run is not empty where it matters (else equality would prove little).
    for (char const *table : {"midi_files", "midi_file_paths", "file_analysis", "import_errors", "file_search"}) {
        EXPECT_FALSE(want.at(table).starts_with("0 rows")) << table;
    }
}

/// The clean run to compare with: the same folders imported (or imported without analysis,
/// then analyzed by one worker) with no fault.
void clean_run(std::string const &conninfo, bool by_workers)
{
    auto const imported =
        run_to_end(midilib_db(conninfo, import_args(by_workers ? std::vector<std::string>{"--no-analyze"}
                                                               : std::vector<std::string>{})));
    ASSERT_EQ(imported.code, 0) << imported.err;
    if (by_workers) {
        auto const worked = run_to_end(midilib_db(conninfo, WORKER_ARGS));
        ASSERT_EQ(worked.code, 0) << worked.err;
    }
}

// ---------------------------------------------------------------------------------------------
// Holding a batch mid-transaction.

long scalar_long(pqxx::connection &cx, std::string const &sql)
{
    pqxx::nontransaction tx{cx};
    return tx.exec1(sql)[0].as<long>();
}

/**
 * Lets the first INSERT statement into a table through and holds every later one, inside its
 * transaction, until release() (or until the test's connection ends).
 */
class insert_gate
{
public:
    static constexpr long KEY = 61'772'001;

    insert_gate(std::string conninfo, std::string table) : m_conninfo(std::move(conninfo)), m_table(std::move(table))
    {
        {
            pqxx::connection cx{m_conninfo};
            pqxx::nontransaction tx{cx};
            tx.exec0("CREATE SEQUENCE fault_gate_seq");
            tx.exec0(fmt::format("CREATE FUNCTION fault_gate() RETURNS trigger LANGUAGE plpgsql AS $$"
                                 " BEGIN IF nextval('fault_gate_seq') > 1 THEN PERFORM pg_advisory_xact_lock_shared({});"
                                 " END IF; RETURN NULL; END $$",
                                 KEY));
            tx.exec0("CREATE TRIGGER fault_gate AFTER INSERT ON " + m_table +
                     " FOR EACH STATEMENT EXECUTE FUNCTION fault_gate()");
        }
        m_holder = std::make_unique<pqxx::connection>(m_conninfo);
        pqxx::nontransaction tx{*m_holder};
        tx.exec(fmt::format("SELECT pg_advisory_lock({})", KEY));
    }
    insert_gate(insert_gate const &) = delete;
    insert_gate &operator=(insert_gate const &) = delete;
    insert_gate(insert_gate &&) = delete;
    insert_gate &operator=(insert_gate &&) = delete;
    ~insert_gate() = default;

    /// Statements waiting at the gate.
    long held(pqxx::connection &observer) const
    {
        return scalar_long(observer, fmt::format("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                                 " AND NOT granted AND objid = {}",
                                                 KEY));
    }

    /// Lets the held statements go on (nothing when the server took the lock away).
    void release()
    {
        if (!m_holder) {
            return;
        }
        try {
            pqxx::nontransaction tx{*m_holder};
            tx.exec(fmt::format("SELECT pg_advisory_unlock({})", KEY));
        } catch (pqxx::broken_connection const &) {
        }
        m_holder.reset();
    }

    /// Drops the trigger (through a new connection: after a restart the old one is gone).
    void remove()
    {
        release();
        pqxx::connection cx{m_conninfo};
        pqxx::nontransaction tx{cx};
        tx.exec0("DROP TRIGGER fault_gate ON " + m_table);
        tx.exec0("DROP FUNCTION fault_gate()");
        tx.exec0("DROP SEQUENCE fault_gate_seq");
    }

private:
    std::string m_conninfo;
    std::string m_table;
    std::unique_ptr<pqxx::connection> m_holder;
};

/// Waits until some rows of @p table are committed and a statement is held at @p gate.
bool caught_mid_run(std::string const &conninfo, insert_gate const &gate, std::string const &committed_sql)
{
    pqxx::connection observer{conninfo};
    return wait_until([&] { return scalar_long(observer, committed_sql) > 0 && gate.held(observer) > 0; }, HANG_LIMIT);
}

/// Ends with pg_terminate_backend the sessions of this database whose application_name is like
/// @p pattern; returns how many. Only this database's: other tests run their own midilib
/// sessions on the same server at the same time (ctest -j), and must not lose them.
long terminate_sessions(std::string const &conninfo, std::string const &pattern)
{
    pqxx::connection cx{conninfo};
    pqxx::nontransaction tx{cx};
    return tx
        .exec_params1("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                      " WHERE application_name LIKE $1 AND datname = current_database() AND pid <> pg_backend_pid()",
                      pattern)[0]
        .as<long>();
}

// ---------------------------------------------------------------------------------------------
// The embedded cluster, stopped the hard way.

constexpr char const *PG_BIN = "/usr/lib/postgresql/15/bin";

/// A midilib embedded cluster in @p dir (--data-dir), stopped in immediate mode at the end.
class embedded_server
{
public:
    explicit embedded_server(fs::path dir) : m_dir(std::move(dir)) {}
    embedded_server(embedded_server const &) = delete;
    embedded_server &operator=(embedded_server const &) = delete;
    embedded_server(embedded_server &&) = delete;
    embedded_server &operator=(embedded_server &&) = delete;
    ~embedded_server()
    {
        if (fs::exists(m_dir / "data" / "postmaster.pid")) {
            stop_immediately();
        }
    }

    std::vector<std::string> cli(std::vector<std::string> const &args) const
    {
        std::vector<std::string> all{midilib_binary().string(), "-q", "--data-dir", m_dir.string()};
        all.insert(all.end(), args.begin(), args.end());
        return all;
    }

    /// Database "midilib".
    std::string conninfo() const { return embedded_cluster{m_dir}.conninfo(); }

    /// A new, empty database beside "midilib", for the clean run.
    std::string create_database(std::string const &name) const
    {
        {
            pqxx::connection cx{conninfo()};
            pqxx::nontransaction tx{cx};
            tx.exec0("CREATE DATABASE " + name);
        }
        auto info = conninfo();
        info.replace(info.find("dbname=midilib"), std::strlen("dbname=midilib"), "dbname=" + name);
        return info;
    }

    /// pg_ctl stop -m immediate: every backend is killed, no shutdown checkpoint (as a crash).
    void stop_immediately() const
    {
        std::vector<std::string> args{(fs::path{PG_BIN} / "pg_ctl").string(), "stop", "-m", "immediate", "-w",
                                      "-D", (m_dir / "data").string()};
        if (::geteuid() == 0) { // pg_ctl refuses root; the server runs as postgres
            args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
        }
        auto const r = run_to_end(args);
        EXPECT_EQ(r.code, 0) << r.out << r.err;
    }

private:
    fs::path m_dir;
};

/// A temporary folder the postgres user can enter (the server runs as postgres under root).
struct shared_temp_dir : temp_dir
{
    shared_temp_dir()
    {
        fs::permissions(path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    }
};

class faults : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }
};

/// What a lost connection must be reported as.
std::vector<std::string> const LOST_CONNECTION{"connection to the database server was lost"};

// ---------------------------------------------------------------------------------------------

// The embedded server stopped in immediate mode while an import has one batch committed and
// two held in their transactions: one error line, exit 1; after a restart the same command
// resumes (the committed batch is not read again) and the library equals a clean run.
TEST_F(faults, server_stopped_mid_import)
{
    shared_temp_dir dir;
    embedded_server server{dir.path() / "pg"};
    ASSERT_EQ(run_to_end(server.cli({"migrate", "up"})).code, 0);
    auto const conninfo = server.conninfo();
    insert_gate gate{conninfo, "midi_file_paths"};

    running import{server.cli(import_args())};
    ASSERT_TRUE(caught_mid_run(conninfo, gate, "SELECT count(*) FROM midi_file_paths"));
    {
        // synchronous_commit is off in the embedded cluster: make the committed batch durable,
        // so that the resume below is certain to find it.
        pqxx::connection cx{conninfo};
        pqxx::nontransaction tx{cx};
        tx.exec0("CHECKPOINT");
    }
    server.stop_immediately();
    expect_one_clear_line(import.finish(), LOST_CONNECTION);

    auto const started = run_to_end(server.cli({"db", "start"}));
    ASSERT_EQ(started.code, 0) << started.err;
    gate.remove();
    auto const again = run_to_end(server.cli(import_args()));
    ASSERT_EQ(again.code, 0) << again.err;
    auto const summary = nlohmann::json::parse(again.out);
    EXPECT_GE(summary["skipped"].get<long>(), static_cast<long>(MAX_BATCH_ROWS)) << again.out; // the batch committed before the stop
    EXPECT_GT(summary["imported"].get<long>(), 0) << again.out;

    auto const clean = server.create_database("midilib_clean");
    clean_run(clean, false);
    expect_same_library(conninfo, clean);
}

// The embedded server stopped in immediate mode while two workers run, one batch acked and an
// ack held inside its transaction: they reconnect after the restart and finish (exit 0,
// nothing on stderr); the library equals a clean import + worker run.
TEST_F(faults, server_stopped_mid_worker_batch)
{
    shared_temp_dir dir;
    embedded_server server{dir.path() / "pg"};
    auto const imported = run_to_end(server.cli(import_args({"--no-analyze"})));
    ASSERT_EQ(imported.code, 0) << imported.err;
    auto const conninfo = server.conninfo();
    insert_gate gate{conninfo, "file_analysis"};

    std::vector<running> workers;
    for (int i = 0; i < 2; ++i) {
        workers.emplace_back(server.cli(WORKER_ARGS));
    }
    ASSERT_TRUE(caught_mid_run(conninfo, gate, "SELECT count(*) FROM analysis_jobs WHERE state = 'done'"));
    // Both workers past their start (which checks the schema on a plain connection, and fails
    // when the server is down then: seen once under the sanitizers, which start slowly) and in
    // their claim loop, where a lost connection is retried.
    {
        pqxx::connection observer{conninfo};
        ASSERT_TRUE(wait_until(
            [&] {
                return scalar_long(observer, "SELECT count(*) FROM pg_stat_activity"
                                             " WHERE application_name = 'midilib.worker/claim'"
                                             " AND datname = current_database()") >= 2;
            },
            HANG_LIMIT));
    }
    server.stop_immediately();
    auto const started = run_to_end(server.cli({"db", "start"}));
    ASSERT_EQ(started.code, 0) << started.err;
    gate.remove();

    long reconnects = 0;
    for (auto &w : workers) {
        auto const r = w.finish();
        ASSERT_FALSE(r.hung);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.err, "");
        reconnects += nlohmann::json::parse(r.out)["reconnects"].get<long>();
    }
    EXPECT_GT(reconnects, 0);

    auto const clean = server.create_database("midilib_clean");
    clean_run(clean, true);
    expect_same_library(conninfo, clean);
}

// pg_terminate_backend on the import's sessions held mid-batch (application_name
// midilib.import/C<n>): one error line, exit 1; the same command then completes, and the
// library equals a clean run.
TEST_F(faults, import_connection_terminated)
{
    temp_database db;
    insert_gate gate{db.conninfo(), "midi_file_paths"};
    running import{midilib_db(db.conninfo(), import_args())};
    ASSERT_TRUE(caught_mid_run(db.conninfo(), gate, "SELECT count(*) FROM midi_file_paths"));
    EXPECT_GT(terminate_sessions(db.conninfo(), "midilib.import/%"), 0);
    gate.release();
    expect_one_clear_line(import.finish(), LOST_CONNECTION);

    gate.remove();
    auto const again = run_to_end(midilib_db(db.conninfo(), import_args()));
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_GE(nlohmann::json::parse(again.out)["skipped"].get<long>(), static_cast<long>(MAX_BATCH_ROWS)) << again.out;

    temp_database clean;
    clean_run(clean.conninfo(), false);
    expect_same_library(db.conninfo(), clean.conninfo());
}

// pg_terminate_backend on a worker's sessions (claim and ack, the ack held mid-transaction, and
// the lease heartbeat's once it has run): the worker reconnects, retries the ack and finishes;
// the library equals a clean run.
TEST_F(faults, worker_connection_terminated)
{
    temp_database db;
    auto const imported = run_to_end(midilib_db(db.conninfo(), import_args({"--no-analyze"})));
    ASSERT_EQ(imported.code, 0) << imported.err;
    insert_gate gate{db.conninfo(), "file_analysis"};
    running worker{midilib_db(db.conninfo(), WORKER_ARGS)};
    ASSERT_TRUE(caught_mid_run(db.conninfo(), gate, "SELECT count(*) FROM analysis_jobs WHERE state = 'done'"));
    EXPECT_GE(terminate_sessions(db.conninfo(), "midilib.worker/%"), 2);
    gate.remove();

    auto const r = worker.finish();
    ASSERT_FALSE(r.hung);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_GE(nlohmann::json::parse(r.out)["reconnects"].get<long>(), 1) << r.out;
    EXPECT_EQ(db.count_rows("analysis_jobs", "state <> 'done'"), 0);

    temp_database clean;
    clean_run(clean.conninfo(), true);
    expect_same_library(db.conninfo(), clean.conninfo());
}

/// A tmpfs mounted for the test's lifetime (lazily unmounted at the end, also on failure).
class tmpfs_mount
{
public:
    explicit tmpfs_mount(fs::path dir) : m_dir(std::move(dir)) {}
    tmpfs_mount(tmpfs_mount const &) = delete;
    tmpfs_mount &operator=(tmpfs_mount const &) = delete;
    tmpfs_mount(tmpfs_mount &&) = delete;
    tmpfs_mount &operator=(tmpfs_mount &&) = delete;
    ~tmpfs_mount()
    {
        if (m_mounted && ::umount2(m_dir.c_str(), 0) != 0) {
            ::umount2(m_dir.c_str(), MNT_DETACH);
        }
    }

    /// Mounts, or remounts with the new size; "" or the reason it failed.
    std::string resize(std::uint64_t mib)
    {
        auto const options = fmt::format("size={}m,mode=0755", mib);
        if (::mount("tmpfs", m_dir.c_str(), "tmpfs", m_mounted ? MS_REMOUNT : 0, options.c_str()) != 0) {
            return std::strerror(errno);
        }
        m_mounted = true;
        return {};
    }

    std::uint64_t used_mib() const
    {
        struct statvfs s{};
        ::statvfs(m_dir.c_str(), &s);
        return ((s.f_blocks - s.f_bfree) * s.f_frsize + (1U << 20U) - 1) >> 20U;
    }

private:
    fs::path m_dir;
    bool m_mounted = false;
};

// The data directory's disk full (a tmpfs with a few MiB left after initdb and the
// migrations): the import ends with one error line (the server's "could not extend file ...
// Check free disk space", or a lost connection if PostgreSQL PANICs on its WAL), not a hang;
// with room again (and a restart if needed), the same command completes, equal to a clean run.
TEST_F(faults, disk_full)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a small tmpfs for the data directory needs root";
    }
    shared_temp_dir dir;
    fs::create_directory(dir.path() / "mnt");
    tmpfs_mount disk{dir.path() / "mnt"};
    constexpr std::uint64_t ROOMY_MIB = 256;
    if (auto const why = disk.resize(ROOMY_MIB); !why.empty()) {
        GTEST_SKIP() << "cannot mount a tmpfs here: " << why;
    }
    embedded_server server{dir.path() / "mnt" / "pg"}; // declared after the mount: stopped before the unmount
    auto const ready = run_to_end(server.cli({"migrate", "up"}));
    ASSERT_EQ(ready.code, 0) << ready.err;
    // initdb + the migrations take ~41 MiB (a 16 MiB WAL segment among them); the import
    // needs ~26 MiB more (table data, staging tables, a second WAL segment).
    constexpr std::uint64_t HEADROOM_MIB = 6;
    auto const used = disk.used_mib();
    ASSERT_EQ(disk.resize(used + HEADROOM_MIB), "");
    std::cout << "data directory on a " << used + HEADROOM_MIB << " MiB tmpfs, " << used << " MiB used\n";

    expect_one_clear_line(run_to_end(server.cli(import_args())),
                          {"No space left on device", "Check free disk space", LOST_CONNECTION.front()});

    ASSERT_EQ(disk.resize(ROOMY_MIB), "");
    auto const started = run_to_end(server.cli({"db", "start"})); // after a PANIC the server may be down
    ASSERT_EQ(started.code, 0) << started.err;
    auto const again = run_to_end(server.cli(import_args()));
    ASSERT_EQ(again.code, 0) << again.err;

    auto const clean = server.create_database("midilib_clean");
    clean_run(clean, false);
    expect_same_library(server.conninfo(), clean);
}

} // namespace
} // namespace midilib::testing
