// Workers analyzing archive members: each archive is opened once per batch and read in member
// order; the analysis equals that of the loose files; a member gone from its archive, a damaged
// member and an archive gone from the disk each end their job with a reason that names them.

#include "tests/common/library_fingerprint.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

/// Good files and a few the parser refuses (those get no job).
constexpr char const *FOLDER = "jazz-soft-test-midi-files";

std::vector<char> read_bytes(fs::path const &path)
{
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

class worker_archive_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }

    /// Runs @p command in the temp folder (a shell line: these are the user's tools).
    void sh(std::string const &command) const
    {
        auto const [code, out] = run({"sh", "-c", "cd '" + m_dir.path().string() + "' && " + command});
        ASSERT_EQ(code, 0) << command << "\n" << out;
    }

    /// `worker --once --json` with @p extra options; its summary.
    static nlohmann::json work(temp_database const &db, std::vector<std::string> const &extra)
    {
        std::vector<std::string> args{"worker", "--once", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto const [code, out] = run_midilib(db.conninfo(), args);
        EXPECT_EQ(code, 0) << out;
        return nlohmann::json::parse(out);
    }

    temp_dir m_dir;
};

// The members of one zip, in batches of 30: every job done, the zip opened once per batch (not
// once per member), and the analysis that of an import that analyzes the same files loose.
TEST_F(worker_archive_test, members_of_a_zip_are_read_once_per_batch)
{
    copy_writable(corpus_dir() / FOLDER, m_dir.path() / "loose");
    sh("cd loose && zip -qr ../pack.zip .");
    temp_database db;
    auto const [code, out] = run_midilib(db.conninfo(),
                                         {"import", "--no-analyze", (m_dir.path() / "pack.zip").string()});
    ASSERT_EQ(code, 0) << out;
    auto const files = db.count_rows("midi_files");
    ASSERT_GT(files, 60);
    ASSERT_EQ(db.count_rows("analysis_jobs", "state = 'queued'"), files);

    auto const summary = work(db, {"--batch", "30"});
    long const batches = (files + 29) / 30;
    EXPECT_EQ(summary["done"], files);
    EXPECT_EQ(summary["batches"], batches);
    EXPECT_EQ(summary["archive_opens"], batches) << summary.dump();
    EXPECT_EQ(db.count_rows("analysis_jobs", "state = 'done' AND attempts = 1"), files);

    temp_database loose;
    ASSERT_EQ(run_midilib(loose.conninfo(), {"import", (m_dir.path() / "loose").string()}).first, 0);
    EXPECT_EQ(analysis_fingerprint(db), analysis_fingerprint(loose));
}

// One batch of members of a zip (some in a tar inside it), loose files and a second zip: the
// zip is opened once; a member deleted from it, a member whose bytes were damaged, and the
// members of the zip deleted from the disk are dead jobs with their reason; every other job is done.
TEST_F(worker_archive_test, missing_and_damaged_members_end_their_jobs_with_a_reason)
{
    auto const src = corpus_dir() / "music21-testPrimitive";
    sh("mkdir -p inner pack loose gone && cp '" + src.string() + "'/test0[125].mid inner/ && cp '" + src.string() +
       "'/test0[6-9].mid '" + src.string() + "'/test1[0-2].mid pack/ && cp '" + src.string() +
       "'/test1[34].mid loose/ && cp '" + src.string() +
       "'/test15.mid gone/ && tar cf pack/inner.tar -C inner . && "
       "cd pack && zip -q0r ../pack.zip . && cd ../gone && zip -q ../gone.zip test15.mid");
    auto const dir = m_dir.path().string();
    temp_database db;
    auto const [code, out] = run_midilib(
        db.conninfo(), {"import", "--no-analyze", dir + "/pack.zip", dir + "/loose", dir + "/gone.zip"});
    ASSERT_EQ(code, 0) << out;
    auto const files = db.count_rows("midi_files");
    ASSERT_EQ(files, 3 + 7 + 2 + 1);

    // test06 deleted from the zip; one byte of test09 changed where it is stored (zip -0: as is).
    sh("zip -qd pack.zip test06.mid && rm gone.zip");
    auto zip = read_bytes(m_dir.path() / "pack.zip");
    auto const member = read_bytes(src / "test09.mid");
    auto const at = std::search(zip.begin(), zip.end(), member.begin(), member.end());
    ASSERT_NE(at, zip.end());
    *(at + 1000) = static_cast<char>(*(at + 1000) ^ 0x55);
    std::ofstream{m_dir.path() / "pack.zip", std::ios::binary}.write(zip.data(), static_cast<long>(zip.size()));

    auto const summary = work(db, {"--batch", "100", "--max-attempts", "1"});
    EXPECT_EQ(summary["batches"], 1);
    EXPECT_EQ(summary["archive_opens"], 1) << summary.dump(); // gone.zip is not there to open
    EXPECT_EQ(summary["done"], files - 3);
    EXPECT_EQ(summary["dead"], 3);
    auto const dead_with = [&](std::string const &reason) {
        return db.count_rows("analysis_jobs", "state = 'dead' AND last_error LIKE '" + reason + "'");
    };
    EXPECT_EQ(dead_with("%/pack.zip!/test06.mid: member not found in its archive any more"), 1);
    EXPECT_EQ(dead_with("%/pack.zip!/test09.mid: damaged member: %"), 1);
    EXPECT_EQ(dead_with("%/gone.zip!/test15.mid: archive %/gone.zip: No such file or directory"), 1);
    EXPECT_EQ(db.count_rows("file_analysis a JOIN midi_file_paths p USING (file_id)", "p.path LIKE '%!/inner.tar!/%'"),
              3);
    EXPECT_EQ(db.count_rows("file_analysis"), files - 3);
}

} // namespace
} // namespace midilib::testing
