// Every archive member is accounted for: archives inside archives are read to any depth; a
// damaged entry or member is an error row of its own and the members after it are still read;
// a file that looks like an archive and yields nothing, and an archive that expands beyond its
// bound, are error rows; none of these archives is recorded as complete.
// The archives are built here with zip, tar and gzip.

#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

/// Three MIDI files the parser reads, copied as a.mid, b.mid, c.mid.
constexpr char const *SOURCE_FOLDER = "openttd-openmsx";
constexpr std::array<char const *, 3> SOURCES{"flying_scotsman.mid", "careless_perc_redfarn.mid", "busy_schedule.mid"};

class archive_accounting : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
        char name = 'a';
        for (auto const *source : SOURCES) {
            copy_writable(corpus_dir() / SOURCE_FOLDER / source, m_dir.path() / (std::string{name++} + ".mid"));
        }
    }

    /// Runs @p command in the temp folder (a shell line: these are the user's tools).
    void sh(std::string const &command) const
    {
        auto const [code, out] = run({"sh", "-c", "cd '" + m_dir.path().string() + "' && " + command});
        ASSERT_EQ(code, 0) << command << "\n" << out;
    }

    nlohmann::json import_json(std::string const &file, std::vector<std::string> const &extra = {}) const
    {
        std::vector<std::string> args{"import", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(path(file));
        auto const [code, out] = run_midilib(m_db.conninfo(), args);
        EXPECT_EQ(code, 0) << out;
        return nlohmann::json::parse(out);
    }

    [[nodiscard]] std::string path(std::string const &file) const { return (m_dir.path() / file).string(); }

    [[nodiscard]] std::string errors() const
    {
        return m_db.scalar<std::string>(
            "SELECT coalesce(string_agg(path || ' [' || stage || '] ' || reason, E'\\n' ORDER BY path), '')"
            " FROM import_errors");
    }

    temp_dir m_dir;
    temp_database m_db;
};

TEST_F(archive_accounting, archives_nested_five_deep_are_read)
{
    sh("zip -q l5.zip a.mid && zip -q l4.zip l5.zip && zip -q l3.zip l4.zip && zip -q l2.zip l3.zip && "
       "zip -q l1.zip l2.zip");
    auto const summary = import_json("l1.zip");
    EXPECT_EQ(summary["imported"], 1) << summary.dump();
    EXPECT_EQ(summary["failed"], 0) << summary.dump();
    EXPECT_EQ(
        m_db.count_rows("midi_file_paths", "path = '" + path("l1.zip") + "!/l2.zip!/l3.zip!/l4.zip!/l5.zip!/a.mid'"),
        1);
    EXPECT_EQ(m_db.count_rows("import_errors"), 0) << errors();
    EXPECT_EQ(m_db.count_rows("archives", "path = '" + path("l1.zip") + "' AND members = 1"), 1);
}

TEST_F(archive_accounting, a_damaged_tar_gz_entry_is_an_error_row_and_the_rest_is_read)
{
    // One byte changed in the second member's header (the tar reader skips to the next valid header).
    sh("tar --format=ustar -cf damaged.tar a.mid b.mid c.mid && "
       "printf X | dd of=damaged.tar bs=1 seek=$(( 512 + ($(stat -c %s a.mid) + 511) / 512 * 512 )) conv=notrunc "
       "2>/dev/null && gzip -n damaged.tar");
    auto const archive = path("damaged.tar.gz");
    auto const summary = import_json("damaged.tar.gz");
    EXPECT_EQ(summary["imported"], 2) << summary.dump();
    EXPECT_GE(summary["failed"], 1) << summary.dump();
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path IN ('" + archive + "!/a.mid', '" + archive + "!/c.mid')"), 2);
    EXPECT_EQ(m_db.count_rows("import_errors", "starts_with(path, '" + archive +
                                                   "!/') AND stage = 'archive' AND reason LIKE '%damaged%'"),
              1)
        << errors();
    EXPECT_EQ(m_db.count_rows("archives"), 0); // not complete: a re-run reads it again
    auto const again = import_json("damaged.tar.gz");
    EXPECT_EQ(again["skipped"], 0) << again.dump();
}

TEST_F(archive_accounting, a_zip_member_with_a_bad_crc_is_an_error_row_and_the_rest_is_read)
{
    // Stored, no extra fields: b.mid's data starts at 2 × (30 + 5) + the size of a.mid.
    sh("zip -q -0 -X crc.zip a.mid b.mid c.mid && "
       "printf X | dd of=crc.zip bs=1 seek=$(( 70 + $(stat -c %s a.mid) + 1000 )) conv=notrunc 2>/dev/null");
    auto const archive = path("crc.zip");
    auto const summary = import_json("crc.zip");
    EXPECT_EQ(summary["imported"], 2) << summary.dump();
    EXPECT_EQ(summary["failed"], 1) << summary.dump();
    EXPECT_EQ(m_db.count_rows("import_errors", "path = '" + archive + "!/b.mid' AND reason LIKE '%CRC%'"), 1)
        << errors();
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path = '" + archive + "!/c.mid'"), 1);
    EXPECT_EQ(m_db.count_rows("archives"), 0);
}

TEST_F(archive_accounting, a_rar_signature_followed_by_garbage_is_an_error_row)
{
    sh(R"(printf 'Rar!\032\007\001\000garbage' > junk.rar)");
    auto const summary = import_json("junk.rar");
    EXPECT_EQ(summary["failed"], 1) << summary.dump();
    EXPECT_EQ(m_db.count_rows("import_errors", "path = '" + path("junk.rar") + "' AND stage = 'archive'"), 1)
        << errors();
    EXPECT_EQ(m_db.count_rows("archives"), 0);
}

TEST_F(archive_accounting, an_archive_expanding_beyond_its_bound_is_an_error_row)
{
    // With 1 MiB members the bound is 256 MiB: 300 small zips each holding 1,000,000 bytes.
    sh("(printf 'MThd'; head -c 999996 /dev/zero) > big.mid && zip -q inner.zip big.mid && mkdir many && "
       "for i in $(seq 1 300); do cp inner.zip many/$i.zip; done && cd many && zip -q ../bomb.zip *.zip");
    auto const summary = import_json("bomb.zip", {"--max-member-mb", "1"});
    EXPECT_GE(summary["failed"], 1) << summary.dump();
    EXPECT_EQ(m_db.count_rows("import_errors",
                              "path = '" + path("bomb.zip") + "' AND reason LIKE '%256 MiB limit for one archive%'"),
              1);
    EXPECT_EQ(m_db.count_rows("archives"), 0);
}

} // namespace
} // namespace midilib::testing
