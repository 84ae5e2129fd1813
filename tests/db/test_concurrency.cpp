// Import under concurrency and crashes: two importers at once, SIGKILL half-way.

#include "tests/common/library_fingerprint.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <thread>

namespace midilib::testing {
namespace {

/// `midilib -q --db <db> import --no-progress <extra...> <corpus>`.
std::vector<std::string> import_command(temp_database const &db, std::vector<std::string> extra = {})
{
    extra.insert(extra.begin(), {"import", "--no-progress"});
    extra.push_back(corpus_dir().string());
    return midilib_command(db.conninfo(), extra);
}

class concurrency_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }
};

// Two imports of the same corpus started at once leave one midi_files row per distinct hash.
TEST_F(concurrency_test, two_importers_at_once_store_each_content_once)
{
    temp_database reference;
    ASSERT_EQ(run(import_command(reference)).first, 0);

    temp_database db;
    auto const a = spawn(import_command(db));
    auto const b = spawn(import_command(db));
    EXPECT_EQ(wait_for(a), 0);
    EXPECT_EQ(wait_for(b), 0);
    EXPECT_EQ(db.count_rows("midi_files"), db.scalar<long>("SELECT count(DISTINCT hash) FROM midi_files"));
    EXPECT_EQ(db.count_rows("midi_files"), reference.count_rows("midi_files"));
    EXPECT_EQ(paths_fingerprint(db), paths_fingerprint(reference));
    EXPECT_EQ(errors_fingerprint(db), errors_fingerprint(reference));
}

// The same contents under different names, imported by three importers at once: each content's
// search document holds the words of all its paths. The importers write the same file_search
// rows; without the batch's lock on its midi_files rows, the second to commit overwrote the
// first's document with one built before the first's paths were visible (a lost update).
TEST_F(concurrency_test, three_importers_of_copies_keep_every_path_in_the_search_document)
{
    temp_dir dir;
    for (char const *copy : {"alpha", "beta", "gamma"}) { // nottingham's ~3,100 files, three times
        copy_writable(corpus_dir() / "nottingham" / "MIDI", dir.path() / copy);
    }
    temp_database db;
    auto importer = [&](char const *copy) {
        return midilib_command(db.conninfo(), {"import", "--no-progress", (dir.path() / copy).string()});
    };
    auto const a = spawn(importer("alpha"));
    auto const b = spawn(importer("beta"));
    auto const c = spawn(importer("gamma"));
    EXPECT_EQ(wait_for(a), 0);
    EXPECT_EQ(wait_for(b), 0);
    EXPECT_EQ(wait_for(c), 0);
    auto const files = db.count_rows("file_search");
    EXPECT_GT(files, 2000);
    EXPECT_EQ(files, db.count_rows("midi_files"));
    EXPECT_EQ(db.count_rows("file_search", "NOT document @@ 'alpha & beta & gamma'::tsquery"), 0)
        << "documents that lost the words of one copy's paths";
    // And every document is the one a refresh computes now, from the committed paths.
    db.exec("CREATE TABLE stored_search AS SELECT file_id, document FROM file_search");
    db.exec("SELECT midilib_refresh_search(ARRAY(SELECT file_id FROM file_search))");
    EXPECT_EQ(db.scalar<long>("SELECT count(*) FROM stored_search o JOIN file_search s USING (file_id)"
                              " WHERE s.document IS DISTINCT FROM o.document"),
              0);
}

// Killing the importer with SIGKILL mid-run, then re-running, gives the rows of one clean run.
TEST_F(concurrency_test, sigkill_then_rerun_equals_clean_run)
{
    temp_database reference;
    ASSERT_EQ(run(import_command(reference)).first, 0);
    auto const total = reference.count_rows("midi_file_paths") + reference.count_rows("import_errors");

    temp_database db;
    // One connection makes the run slow enough to be caught between batches.
    auto const victim = spawn(import_command(db, {"--connections", "1"}));
    wait_until([&] { return db.count_rows("midi_file_paths") > 0; }); // the first batch is committed
    ::kill(victim.pid, SIGKILL);
    EXPECT_EQ(wait_for(victim), 128 + SIGKILL);
    auto const after_kill = db.count_rows("midi_file_paths") + db.count_rows("import_errors");
    std::cout << "killed after " << after_kill << " of " << total << " paths were committed\n";
    EXPECT_GT(after_kill, 0);

    ASSERT_EQ(run(import_command(db)).first, 0);
    EXPECT_EQ(db.count_rows("midi_files"), reference.count_rows("midi_files"));
    EXPECT_EQ(paths_fingerprint(db), paths_fingerprint(reference));
    EXPECT_EQ(errors_fingerprint(db), errors_fingerprint(reference));
}

// Ctrl-C (SIGINT) stops after the batches in flight are committed: exit 130, a summary that
// matches what is in the database, and a re-run that completes the library.
TEST_F(concurrency_test, sigint_commits_what_is_in_flight_and_rerun_completes)
{
    temp_database reference;
    ASSERT_EQ(run(import_command(reference)).first, 0);

    temp_database db;
    auto const victim = spawn(import_command(db, {"--connections", "1", "--json"}));
    wait_until([&] { return db.count_rows("midi_file_paths") > 0; }); // the first batch is committed
    ::kill(victim.pid, SIGINT);
    int const code = wait_for(victim);
    std::string const out = stdout_of(victim);
    if (code == 0) {
        GTEST_SKIP() << "the import finished before the signal arrived";
    }
    ASSERT_EQ(code, 130) << out;
    auto const summary = nlohmann::json::parse(out);
    EXPECT_TRUE(summary["interrupted"].get<bool>());
    // Everything the summary reports was committed, and nothing else; the files left unread
    // are counted, so every file found is accounted for.
    auto const reported = summary["imported"].get<long>() + summary["duplicates"].get<long>() +
                          summary["failed"].get<long>();
    EXPECT_EQ(db.count_rows("midi_file_paths") + db.count_rows("import_errors"), reported);
    EXPECT_EQ(reported + summary["stopped"].get<long>() + summary["skipped"].get<long>(),
              summary["scanned"].get<long>());
    std::cout << "stopped with " << reported << " files committed, " << summary["stopped"] << " left unread\n";

    ASSERT_EQ(run(import_command(db)).first, 0);
    EXPECT_EQ(paths_fingerprint(db), paths_fingerprint(reference));
    EXPECT_EQ(errors_fingerprint(db), errors_fingerprint(reference));
}

} // namespace
} // namespace midilib::testing
