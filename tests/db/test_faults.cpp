// Fault injection against a real server: the server stopped (immediate mode) mid-import and
// mid-worker-batch, the import's and a worker's connections killed with pg_terminate_backend,
// and the disk of the data directory full. Each fault must end with one clear error line or a
// retry; after recovery the library must equal a clean run of the same folders row for row.
//
// "Mid-run" is made exact with a gate: a statement-level trigger that lets the first INSERT
// into a table through and holds every later one on an advisory lock the test keeps. The test
// waits until some batch has committed and another is held inside its transaction, then
// injects the fault. The trigger adds no rows, and is dropped before the recovery run.

#include "pipeline/batcher.hpp"
#include "tests/common/fault_harness.hpp"
#include "tests/common/library_fingerprint.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <unistd.h>

#include <cstdint>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

/// ~3,160 files in 13 batches of 250 (MAX_BATCH_ROWS; so a fault lands between batches), with 24 duplicate
/// contents and 2 files that fail to parse (so import_errors is compared too).
std::vector<std::string> corpus_folders()
{
    return {(corpus_dir() / "nottingham").string(), (corpus_dir() / "jazz-soft-test-midi-files").string()};
}

std::vector<std::string> import_args(std::vector<std::string> extra = {})
{
    std::vector<std::string> args{"import", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto const folders = corpus_folders();
    args.insert(args.end(), folders.begin(), folders.end());
    return args;
}

std::vector<std::string> const WORKER_ARGS{"worker", "--once",          "--json", "--batch",         "20", "--jobs",
                                           "1",      "--lease-seconds", "3",      "--retry-base-ms", "10"};

/// The clean run to compare with: the same folders imported (or imported without analysis,
/// then analyzed by one worker) with no fault.
void clean_run(std::string const &conninfo, bool by_workers)
{
    auto const imported = run_to_end(midilib_command(
        conninfo, import_args(by_workers ? std::vector<std::string>{"--no-analyze"} : std::vector<std::string>{})));
    ASSERT_EQ(imported.code, 0) << imported.err;
    if (by_workers) {
        auto const worked = run_to_end(midilib_command(conninfo, WORKER_ARGS));
        ASSERT_EQ(worked.code, 0) << worked.err;
    }
}

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

    captured_child import{server.cli(import_args())};
    ASSERT_TRUE(caught_mid_run(conninfo, gate, "SELECT count(*) FROM midi_file_paths"));
    {
        // synchronous_commit is off in the embedded cluster: make the committed batch durable,
        // so that the resume below is certain to find it.
        pqxx::connection cx{conninfo};
        pqxx::nontransaction tx{cx};
        tx.exec0("CHECKPOINT");
    }
    server.stop_immediately();
    expect_one_clear_line(import.finish(HANG_LIMIT), LOST_CONNECTION);

    auto const started = run_to_end(server.cli({"db", "start"}));
    ASSERT_EQ(started.code, 0) << started.err;
    gate.remove();
    auto const again = run_to_end(server.cli(import_args()));
    ASSERT_EQ(again.code, 0) << again.err;
    auto const summary = nlohmann::json::parse(again.out);
    EXPECT_GE(summary["skipped"].get<long>(), static_cast<long>(MAX_BATCH_ROWS))
        << again.out; // the batch committed before the stop
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

    std::vector<captured_child> workers;
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
        auto const r = w.finish(HANG_LIMIT);
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
    captured_child import{midilib_command(db.conninfo(), import_args())};
    ASSERT_TRUE(caught_mid_run(db.conninfo(), gate, "SELECT count(*) FROM midi_file_paths"));
    EXPECT_GT(terminate_sessions(db.conninfo(), "midilib.import/%"), 0);
    gate.release();
    expect_one_clear_line(import.finish(HANG_LIMIT), LOST_CONNECTION);

    gate.remove();
    auto const again = run_to_end(midilib_command(db.conninfo(), import_args()));
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
    auto const imported = run_to_end(midilib_command(db.conninfo(), import_args({"--no-analyze"})));
    ASSERT_EQ(imported.code, 0) << imported.err;
    insert_gate gate{db.conninfo(), "file_analysis"};
    captured_child worker{midilib_command(db.conninfo(), WORKER_ARGS)};
    ASSERT_TRUE(caught_mid_run(db.conninfo(), gate, "SELECT count(*) FROM analysis_jobs WHERE state = 'done'"));
    EXPECT_GE(terminate_sessions(db.conninfo(), "midilib.worker/%"), 2);
    gate.remove();

    auto const r = worker.finish(HANG_LIMIT);
    ASSERT_FALSE(r.hung);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_GE(nlohmann::json::parse(r.out)["reconnects"].get<long>(), 1) << r.out;
    EXPECT_EQ(db.count_rows("analysis_jobs", "state <> 'done'"), 0);

    temp_database clean;
    clean_run(clean.conninfo(), true);
    expect_same_library(db.conninfo(), clean.conninfo());
}

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
