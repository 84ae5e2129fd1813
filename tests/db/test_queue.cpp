// The analysis queue with real workers (midilib worker processes) against a real server:
// exactly once with 4 workers, a worker killed mid-batch, batches held past their lease, the
// server stopped for 10 s, a file deleted after import.

#include "tests/common/fault_harness.hpp"
#include "tests/common/library_fingerprint.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A corpus folder large enough for several batches, small enough for a quick test.
constexpr char const *FOLDER = "nottingham";

class queue_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }

    /// Imports @p folder without analysis: one queued job per content.
    void import_without_analysis(temp_database const &db, fs::path const &folder) const
    {
        auto const [code, out] = run_midilib(db.conninfo(), {"import", "--no-analyze", "--json", folder.string()});
        ASSERT_EQ(code, 0) << out;
        ASSERT_EQ(db.count_rows("analysis_jobs", "state = 'queued'"), db.count_rows("midi_files"));
    }

    /// The analysis of a plain import, to compare with.
    std::string clean_fingerprint() const
    {
        temp_database reference;
        EXPECT_EQ(run_midilib(reference.conninfo(), {"import", (corpus_dir() / FOLDER).string()}).first, 0);
        return analysis_fingerprint(reference);
    }
};

// 4 workers at once analyze every file exactly once: one analysis row per file, every job
// done after one attempt, and the workers' own counts add up to the number of files.
TEST_F(queue_test, four_workers_analyze_each_file_exactly_once)
{
    temp_database db;
    import_without_analysis(db, corpus_dir() / FOLDER);
    auto const files = db.count_rows("midi_files");
    std::vector<child> workers;
    for (int i = 0; i < 4; ++i) {
        workers.push_back(
            spawn_midilib(db.conninfo(), {"worker", "--once", "--json", "--batch", "100", "--jobs", "1"}));
    }
    long done_by_workers = 0;
    for (auto const &w : workers) {
        ASSERT_EQ(wait_for(w), 0);
        done_by_workers += nlohmann::json::parse(stdout_of(w))["done"].get<long>();
    }
    EXPECT_EQ(done_by_workers, files);
    EXPECT_EQ(db.count_rows("file_analysis"), files);
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'done' AND attempts = 1"), files);
    EXPECT_EQ(db.count_rows("analysis_jobs"), files);
    EXPECT_EQ(analysis_fingerprint(db), clean_fingerprint());
}

// A worker killed with SIGKILL mid-batch: its jobs come back when their lease expires and
// the other workers finish them; the result equals a clean run.
TEST_F(queue_test, killed_worker_jobs_return_after_the_lease)
{
    temp_database db;
    import_without_analysis(db, corpus_dir() / FOLDER);
    auto const files = db.count_rows("midi_files");
    auto const victim = spawn_midilib(db.conninfo(),
                                      {"worker", "--batch", "50", "--jobs", "1", "--lease-seconds", "2"});
    ASSERT_TRUE(wait_until([&] { return db.count_rows("analysis_jobs", "state = 'done'") > 0; }));
    ::kill(victim.pid, SIGKILL);
    EXPECT_EQ(wait_for(victim), 128 + SIGKILL);
    auto const orphaned = db.count_rows("analysis_jobs", "state = 'running'");
    std::cout << "killed with " << orphaned << " jobs leased, " << db.count_rows("analysis_jobs", "state = 'done'")
              << " done\n";

    // Small batches, so that each is acked well within the short lease even in a sanitizer build
    // (a batch held past its lease is claimed again by the other worker).
    std::vector<child> others;
    for (int i = 0; i < 2; ++i) {
        others.push_back(
            spawn_midilib(db.conninfo(), {"worker", "--once", "--json", "--batch", "20", "--lease-seconds", "2"}));
    }
    for (auto const &w : others) {
        ASSERT_EQ(wait_for(w), 0);
    }
    EXPECT_EQ(db.count_rows("analysis_jobs", "state <> 'done'"), 0);
    EXPECT_EQ(db.count_rows("file_analysis"), files);
    // Each orphaned job was claimed again once at most. (Fewer than `orphaned` when the
    // victim's last ack had reached the server before the kill and commits after our count.)
    EXPECT_LE(db.count_rows("analysis_jobs", "attempts = 2"), orphaned);
    EXPECT_EQ(db.count_rows("analysis_jobs", "attempts > 2"), 0);
    EXPECT_EQ(analysis_fingerprint(db), clean_fingerprint());
}

// Batches held longer than the lease (here 2 s) stay with their worker: the worker renews the
// lease while it holds them, so a second worker started after the lease ran out gets none of
// their jobs; every job is done after one attempt and each file has one analysis row.
TEST_F(queue_test, batch_longer_than_the_lease_is_not_handed_to_another_worker)
{
    temp_database db;
    import_without_analysis(db, corpus_dir() / FOLDER);
    auto const files = db.count_rows("midi_files");
    // Slow for a real reason: the database holds the worker's second ack (as behind a long lock),
    // so the batches it claimed after that one wait for their ack, leased, past the lease.
    insert_gate gate{db.conninfo(), "file_analysis"};
    auto const slow = spawn_midilib(
        db.conninfo(), {"worker", "--once", "--json", "--batch", "50", "--jobs", "1", "--lease-seconds", "2"});
    ASSERT_TRUE(caught_mid_run(db.conninfo(), gate, "SELECT count(*) FROM analysis_jobs WHERE state = 'done'"));
    auto const held = db.count_rows("analysis_jobs", "state = 'running'");
    EXPECT_GT(held, 50) << "only the held ack's batch is claimed";
    std::this_thread::sleep_for(3s); // the leases of the batches claimed after it are over
    auto const other = spawn_midilib(db.conninfo(), {"worker", "--once", "--json", "--batch", "50"});
    std::this_thread::sleep_for(2s); // it looks for expired leases at its start and every second
    gate.release();

    ASSERT_EQ(wait_for(slow), 0);
    ASSERT_EQ(wait_for(other), 0);
    auto const slow_done = nlohmann::json::parse(stdout_of(slow))["done"].get<long>();
    auto const other_done = nlohmann::json::parse(stdout_of(other))["done"].get<long>();
    EXPECT_EQ(slow_done + other_done, files);
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'done' AND attempts = 1"), files);
    EXPECT_EQ(db.count_rows("file_analysis"), files);
}

// A file deleted after the import: its job is retried, then dead with a reason naming the
// file; every other job is done.
TEST_F(queue_test, deleted_file_ends_as_a_dead_job_with_its_reason)
{
    temp_dir dir;
    copy_writable(corpus_dir() / "music21-testPrimitive", dir.path() / "songs");
    temp_database db;
    import_without_analysis(db, dir.path() / "songs");
    fs::path victim;
    for (auto const &e : fs::directory_iterator{dir.path() / "songs"}) {
        if (e.path().extension() == ".mid") {
            victim = e.path();
            break;
        }
    }
    ASSERT_FALSE(victim.empty());
    // Only if its content is not also at another path (then the job would still succeed).
    auto const copies = db.scalar<long>("SELECT count(*) FROM midi_file_paths WHERE file_id = (SELECT file_id FROM "
                                        "midi_file_paths WHERE path = '" +
                                        victim.string() + "')");
    ASSERT_EQ(copies, 1);
    fs::remove(victim);

    auto const w = spawn_midilib(db.conninfo(),
                                 {"worker", "--once", "--json", "--max-attempts", "3", "--retry-base-ms", "10"});
    ASSERT_EQ(wait_for(w), 0);
    auto const summary = nlohmann::json::parse(stdout_of(w));
    EXPECT_EQ(summary["dead"], 1);
    EXPECT_EQ(summary["retried"], 2);
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'dead' AND attempts = 3 AND last_error LIKE '%" +
                                                 victim.filename().string() + "%No such file%'"),
              1);
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'done'"), db.count_rows("midi_files") - 1);
    EXPECT_EQ(db.count_rows("file_analysis"), db.count_rows("midi_files") - 1);
    auto const status = run_midilib(db.conninfo(), {"status", "--json"});
    EXPECT_EQ(nlohmann::json::parse(status.second)["dead"], 1);
}

// File and folder names that are not UTF-8 (Latin-1, as old collections have them): the library
// shows them converted, and a worker still opens the files by their own bytes.
TEST_F(queue_test, workers_open_files_whose_names_are_not_utf8)
{
    temp_dir dir;
    std::vector<fs::path> sources;
    for (auto const &e : fs::directory_iterator{corpus_dir() / "music21-testPrimitive"}) {
        if (e.path().extension() == ".mid") {
            sources.push_back(e.path());
        }
    }
    std::sort(sources.begin(), sources.end());
    ASSERT_GE(sources.size(), 3U);
    fs::create_directories(dir.path() / "songs" / "M\xFCller"); // "Müller" in Latin-1
    copy_writable(sources[0], dir.path() / "songs" / "caf\xE9.mid");
    copy_writable(sources[1], dir.path() / "songs" / "M\xFCller" / "tune.mid");
    copy_writable(sources[2], dir.path() / "songs" / "plain.mid");
    temp_database db;
    import_without_analysis(db, dir.path() / "songs");
    ASSERT_EQ(db.count_rows("midi_files"), 3);
    EXPECT_EQ(db.count_rows("midi_file_paths", "key <> convert_to(path, 'UTF8')"), 2); // keys are the bytes
    EXPECT_EQ(db.count_rows("midi_file_paths", "path LIKE '%/café.mid' OR path LIKE '%/Müller/tune.mid'"), 2);

    auto const w = spawn_midilib(db.conninfo(), {"worker", "--once", "--json", "--max-attempts", "1"});
    ASSERT_EQ(wait_for(w), 0);
    EXPECT_EQ(nlohmann::json::parse(stdout_of(w))["done"], 3) << stdout_of(w);
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'done'"), 3);
    EXPECT_EQ(db.count_rows("file_analysis"), 3);

    // A re-run finds every path known, Latin-1 ones included, and reads nothing.
    auto const [code, out] = run_midilib(db.conninfo(),
                                         {"import", "--no-analyze", "--json", (dir.path() / "songs").string()});
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(nlohmann::json::parse(out)["skipped"], 3) << out;
}

// PostgreSQL stopped for 10 s while workers run: they reconnect and finish; nothing is lost.
TEST_F(queue_test, workers_survive_a_server_stop)
{
    temp_dir dir;
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec); // the server may run as postgres
    auto const data = (dir.path() / "pg").string();
    auto const cli = [&](std::vector<std::string> const &args) { return midilib_data_dir_command(data, args); };
    ASSERT_EQ(run(cli({"import", "--no-analyze", (corpus_dir() / FOLDER).string()})).first, 0);
    auto const url = run(cli({"db", "url"})).second;
    auto const conninfo = url.substr(0, url.find('\n'));
    auto const count = [&](std::string const &where) {
        pqxx::connection cx{conninfo};
        pqxx::nontransaction tx{cx};
        return tx.exec1("SELECT count(*) FROM analysis_jobs WHERE " + where)[0].as<long>();
    };
    auto const files = count("true");

    std::vector<child> workers;
    for (int i = 0; i < 2; ++i) {
        workers.push_back(spawn(cli({"worker", "--once", "--json", "--batch", "20", "--jobs", "1"})));
    }
    struct kill_on_failure // workers retry a lost server forever: do not leave them behind
    {
        std::vector<child> const &workers;
        ~kill_on_failure()
        {
            for (auto const &w : workers) {
                if (::testing::Test::HasFatalFailure()) { // the workers were not waited for
                    ::kill(w.pid, SIGKILL);
                }
            }
        }
    } guard{workers};
    ASSERT_TRUE(wait_until([&] { return count("state = 'done'") > 0; }));
    ASSERT_EQ(run(cli({"db", "stop"})).first, 0);
    std::this_thread::sleep_for(10s);
    auto const started = run(cli({"db", "start"}));
    ASSERT_EQ(started.first, 0) << started.second;
    long reconnects = 0;
    for (auto const &w : workers) {
        ASSERT_EQ(wait_for(w), 0);
        reconnects += nlohmann::json::parse(stdout_of(w))["reconnects"].get<long>();
    }
    EXPECT_EQ(count("state = 'done'"), files);
    {
        pqxx::connection cx{conninfo};
        pqxx::nontransaction tx{cx};
        EXPECT_EQ(tx.exec1("SELECT count(*) FROM file_analysis")[0].as<long>(), files);
    }
    EXPECT_GT(reconnects, 0);
    run(cli({"db", "stop"}));
}

// analyze --requeue queues what is missing or outdated; --all redoes everything.
TEST_F(queue_test, requeue_queues_missing_or_outdated_analysis)
{
    temp_database db;
    ASSERT_EQ(run_midilib(db.conninfo(), {"import", (corpus_dir() / "music21-testPrimitive").string()}).first, 0);
    auto const files = db.count_rows("midi_files");
    EXPECT_EQ(run_midilib(db.conninfo(), {"analyze", "--requeue"}).second, "0 analysis job(s) queued\n");
    db.exec("UPDATE file_analysis SET analyzer_version = 0 WHERE file_id IN (SELECT id FROM midi_files LIMIT 3)");
    EXPECT_EQ(run_midilib(db.conninfo(), {"analyze", "--requeue"}).second, "3 analysis job(s) queued\n");
    EXPECT_EQ(run_midilib(db.conninfo(), {"analyze", "--requeue", "--all"}).second,
              std::to_string(files - 3) + " analysis job(s) queued\n"); // the 3 are queued already
    ASSERT_EQ(run_midilib(db.conninfo(), {"worker", "--once"}).first, 0);
    EXPECT_EQ(db.count_rows("file_analysis", "analyzer_version = 0"), 0);
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'done'"), files);
}

} // namespace
} // namespace midilib::testing
