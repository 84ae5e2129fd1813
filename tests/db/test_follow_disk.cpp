// The library follows the disk: a re-import forgets the paths under its roots that are gone and
// the contents that paths no longer hold leave search; `remove` forgets what the user names,
// `prune` deletes what has been missing long enough; an error is about the file as it is now.

#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

constexpr char const *SOURCE_FOLDER = "openttd-openmsx";
constexpr std::array<char const *, 4> SOURCES{"flying_scotsman.mid", "careless_perc_redfarn.mid", "busy_schedule.mid",
                                              "be_sharp_bw_redfarn.mid"};

class follow_disk : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
        char name = 'a';
        for (auto const *source : SOURCES) { // a.mid, b.mid, c.mid, d.mid: four different contents
            copy_writable(corpus_dir() / SOURCE_FOLDER / source, m_dir.path() / (std::string{name++} + ".mid"));
        }
        fs::create_directories(lib());
    }

    /// Runs @p command in the temp folder (a shell line: these are the user's tools).
    void sh(std::string const &command) const
    {
        auto const [code, out] = run({"sh", "-c", "cd '" + m_dir.path().string() + "' && " + command});
        ASSERT_EQ(code, 0) << command << "\n" << out;
    }

    [[nodiscard]] fs::path lib() const { return m_dir.path() / "lib"; }

    nlohmann::json import_lib() const
    {
        auto const [code, out] = run_midilib(m_db.conninfo(), {"import", "--json", lib().string()});
        EXPECT_EQ(code, 0) << out;
        return nlohmann::json::parse(out);
    }

    /// `midilib search --json` lines: one object per file found.
    [[nodiscard]] std::vector<nlohmann::json> search(std::vector<std::string> args) const
    {
        args.insert(args.begin(), {"search", "--json"});
        auto const [code, out] = run_midilib(m_db.conninfo(), args);
        std::vector<nlohmann::json> hits;
        std::istringstream lines{out};
        for (std::string line; std::getline(lines, line);) {
            auto j = nlohmann::json::parse(line);
            if (j.contains("path")) {
                hits.push_back(std::move(j));
            }
        }
        EXPECT_EQ(code, hits.empty() ? 1 : 0) << out; // as grep: 1 when no file matches
        return hits;
    }

    [[nodiscard]] long paths_under(std::string const &folder) const
    {
        return m_db.count_rows("midi_file_paths", "starts_with(path, '" + (lib() / folder).string() + "')");
    }

    /// Contents without a path are missing and have no search row; those with one are neither.
    void expect_search_follows_paths() const
    {
        EXPECT_EQ(m_db.count_rows("midi_files f", "(missing_since IS NULL) <> EXISTS (SELECT 1 FROM midi_file_paths p"
                                                  " WHERE p.file_id = f.id)"),
                  0);
        EXPECT_EQ(m_db.count_rows("midi_files f", "(missing_since IS NULL) <> EXISTS (SELECT 1 FROM file_search s"
                                                  " WHERE s.file_id = f.id)"),
                  0);
    }

    temp_dir m_dir;
    temp_database m_db;
};

TEST_F(follow_disk, a_rewritten_file_has_one_search_row_of_its_new_content)
{
    sh("cp a.mid lib/song.mid");
    import_lib();
    sh("cp b.mid lib/song.mid && touch -d '2001-01-01' lib/song.mid");
    import_lib();
    auto const hits = search({"song"});
    ASSERT_EQ(hits.size(), 1U);
    EXPECT_EQ(m_db.count_rows("midi_files", "missing_since IS NOT NULL"), 1); // a.mid's content
    expect_search_follows_paths();
}

TEST_F(follow_disk, deleted_files_and_folders_leave_the_library_on_the_next_import)
{
    sh("mkdir -p lib/Techno lib/House && cp a.mid lib/Techno/one.mid && cp b.mid lib/Techno/two.mid && "
       "cp c.mid lib/House/three.mid && cp d.mid lib/song.mid");
    EXPECT_EQ(import_lib()["imported"], 4);
    sh("rm -r lib/Techno && rm lib/song.mid");
    auto const again = import_lib();
    EXPECT_EQ(again["removed"], 3) << again.dump();
    EXPECT_EQ(again["skipped"], 1) << again.dump();
    EXPECT_EQ(paths_under("Techno"), 0);
    EXPECT_EQ(paths_under("House"), 1);
    EXPECT_EQ(search({"--folder", (lib() / "Techno").string()}).size(), 0U);
    EXPECT_EQ(search({"song"}).size(), 0U);
    EXPECT_EQ(search({"three"}).size(), 1U);
    expect_search_follows_paths();
    // The content stays (missing) until pruned; prune --dry-run counts, prune deletes.
    EXPECT_EQ(m_db.count_rows("midi_files", "missing_since IS NOT NULL"), 3);
    auto const dry = run_midilib(m_db.conninfo(), {"prune", "--older-than", "0s", "--dry-run"});
    EXPECT_NE(dry.second.find("3 contents"), std::string::npos) << dry.second;
    EXPECT_EQ(m_db.count_rows("midi_files"), 4);
    auto const kept = run_midilib(m_db.conninfo(), {"prune"}); // 30 days by default
    EXPECT_NE(kept.second.find("0 contents"), std::string::npos) << kept.second;
    auto const pruned = run_midilib(m_db.conninfo(), {"prune", "--older-than", "0s"});
    EXPECT_EQ(pruned.first, 0) << pruned.second;
    EXPECT_EQ(m_db.count_rows("midi_files"), 1);
    EXPECT_EQ(m_db.count_rows("file_analysis"), 1);
}

TEST_F(follow_disk, a_file_back_on_disk_is_found_again)
{
    sh("cp a.mid lib/song.mid");
    import_lib();
    sh("mv lib/song.mid song.mid");
    EXPECT_EQ(import_lib()["removed"], 1);
    sh("mv song.mid lib/again.mid");
    EXPECT_EQ(import_lib()["duplicates"], 1);
    EXPECT_EQ(search({"again"}).size(), 1U);
    EXPECT_EQ(m_db.count_rows("midi_files", "missing_since IS NOT NULL"), 0);
    expect_search_follows_paths();
}

TEST_F(follow_disk, members_gone_from_a_rewritten_archive_and_a_deleted_archive_leave_the_library)
{
    sh("zip -q lib/pack.zip a.mid b.mid c.mid && zip -q lib/other.zip d.mid");
    EXPECT_EQ(import_lib()["imported"], 4);
    sh("rm lib/pack.zip && zip -q lib/pack.zip a.mid && touch -d '2001-01-01' lib/pack.zip && rm lib/other.zip");
    auto const again = import_lib();
    EXPECT_EQ(again["removed"], 3) << again.dump(); // b.mid and c.mid of pack.zip, d.mid of other.zip
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), 1);
    EXPECT_EQ(m_db.count_rows("archives"), 1);
    expect_search_follows_paths();
}

TEST_F(follow_disk, remove_forgets_a_folder_and_dry_run_changes_nothing)
{
    sh("mkdir -p lib/keep lib/drop && cp a.mid lib/keep/ && cp b.mid lib/drop/ && zip -q lib/drop/p.zip c.mid");
    import_lib();
    auto const before = m_db.count_rows("midi_file_paths");
    auto const dry = run_midilib(m_db.conninfo(), {"remove", "--dry-run", (lib() / "drop").string() + "/"});
    EXPECT_EQ(dry.first, 0) << dry.second;
    EXPECT_NE(dry.second.find("dry run"), std::string::npos) << dry.second;
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), before);
    auto const done = run_midilib(m_db.conninfo(), {"remove", (lib() / "drop").string()});
    EXPECT_EQ(done.first, 0) << done.second;
    EXPECT_NE(done.second.find("2 paths"), std::string::npos) << done.second;
    EXPECT_EQ(paths_under("drop"), 0);
    EXPECT_EQ(paths_under("keep"), 1);
    EXPECT_EQ(m_db.count_rows("archives"), 0);
    expect_search_follows_paths();
    // Files still on disk come back with the next import.
    EXPECT_EQ(import_lib()["duplicates"], 2);
    expect_search_follows_paths();
}

TEST_F(follow_disk, an_error_is_about_the_file_as_it_is_now)
{
    sh("printf 'MThd garbage' > lib/broken.mid");
    EXPECT_EQ(import_lib()["failed"], 1);
    sh("touch -d '2001-01-01' lib/broken.mid");
    EXPECT_EQ(import_lib()["failed"], 1);
    EXPECT_EQ(import_lib()["failed"], 1); // unchanged, and tried again
    EXPECT_EQ(m_db.count_rows("import_errors"), 1);
    EXPECT_EQ(m_db.scalar<int>("SELECT failures FROM import_errors"), 3);
    sh("cp a.mid lib/broken.mid"); // fixed
    EXPECT_EQ(import_lib()["imported"], 1);
    EXPECT_EQ(m_db.count_rows("import_errors"), 0);
    EXPECT_EQ(search({"broken"}).size(), 1U);
    sh("rm lib/broken.mid && printf 'junk' > lib/gone.mid");
    import_lib();
    sh("rm lib/gone.mid");
    import_lib();
    EXPECT_EQ(m_db.count_rows("import_errors"), 0); // an error of a deleted file goes with it
}

TEST_F(follow_disk, a_member_refused_by_a_limit_is_imported_when_the_limit_is_raised)
{
    // A 1.5 MB MIDI file: its header and one track of zeros (a parse warning, not an error).
    sh("zip -q lib/pack.zip a.mid && (printf 'MThd\\000\\000\\000\\006\\000\\000\\000\\001\\000\\140MTrk\\000\\026\\343\\140';"
       " head -c 1500000 /dev/zero) > big.mid && zip -q lib/pack.zip big.mid");
    auto const [code, out] = run_midilib(m_db.conninfo(), {"import", "--json", "--max-member-mb", "1", lib().string()});
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(nlohmann::json::parse(out)["failed"], 1) << out;
    EXPECT_EQ(m_db.count_rows("archives", "failed_under_limit = 1048576"), 1); // read again under another limit
    auto const again = import_lib();
    EXPECT_EQ(again["failed"], 0) << again.dump();
    EXPECT_EQ(m_db.count_rows("import_errors"), 0);
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), 2);
    EXPECT_EQ(m_db.count_rows("archives", "failed_under_limit IS NULL"), 1);
    EXPECT_EQ(import_lib()["skipped"], 2); // unchanged, same limit: not read
}

// Paths are identities: the bytes the file system or the archive gives, never overwritten by
// another file's row whose display text is the same.

TEST_F(follow_disk, a_latin1_name_and_the_utf8_name_it_reads_as_are_two_files)
{
    sh("cp a.mid \"lib/$(printf 'caf\\351.mid')\" && cp b.mid \"lib/$(printf 'caf\\303\\251.mid')\"");
    EXPECT_EQ(import_lib()["imported"], 2);
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path = '" + (lib() / "caf\u00e9.mid").string() + "'"), 2);
    EXPECT_EQ(search({"caf"}).size(), 2U);
    auto const ids = m_db.scalar<std::string>(
        "SELECT string_agg(file_id::text, ',' ORDER BY key) FROM midi_file_paths");
    auto const again = import_lib(); // the same two files, each where it was
    EXPECT_EQ(again["skipped"], 2) << again.dump();
    EXPECT_EQ(m_db.scalar<std::string>("SELECT string_agg(file_id::text, ',' ORDER BY key) FROM midi_file_paths"), ids);
    sh("rm \"lib/$(printf 'caf\\351.mid')\"");
    EXPECT_EQ(import_lib()["removed"], 1);
    EXPECT_EQ(search({"caf"}).size(), 1U);
    expect_search_follows_paths();
}

TEST_F(follow_disk, a_folder_named_like_an_archive_member_is_not_the_member)
{
    sh("zip -q lib/x.zip a.mid && mkdir 'lib/x.zip!' && cp b.mid 'lib/x.zip!/a.mid'");
    EXPECT_EQ(import_lib()["imported"], 2);
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "path = '" + (lib() / "x.zip!/a.mid").string() + "'"), 2);
    EXPECT_EQ(m_db.count_rows("midi_files"), 2);
    EXPECT_EQ(import_lib()["skipped"], 2);
    sh("rm -r 'lib/x.zip!'"); // the folder goes, the member stays
    EXPECT_EQ(import_lib()["removed"], 1);
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), 1);
    EXPECT_EQ(m_db.count_rows("midi_file_paths", "position('\\x00'::bytea IN key) > 0"), 1);
    expect_search_follows_paths();
}

TEST_F(follow_disk, two_members_of_one_name_in_an_archive_are_both_kept_and_analyzed)
{
    // tar appends a second member under a name the archive holds already.
    sh("cp a.mid song.mid && tar cf lib/pack.tar song.mid && cp b.mid song.mid && tar rf lib/pack.tar song.mid");
    auto const [code, out] = run_midilib(m_db.conninfo(), {"import", "--json", "--no-analyze", lib().string()});
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(nlohmann::json::parse(out)["imported"], 2) << out;
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), 2);
    EXPECT_EQ(m_db.count_rows("midi_files"), 2);
    auto const worker = run_midilib(m_db.conninfo(), {"worker", "--once"});
    EXPECT_EQ(worker.first, 0) << worker.second;
    EXPECT_EQ(m_db.count_rows("file_analysis"), 2);
    EXPECT_EQ(m_db.count_rows("analysis_jobs", "state <> 'done'"), 0);
    EXPECT_EQ(import_lib()["skipped"], 2);
    sh("tar cf lib/pack.tar song.mid && touch -d '2001-01-01' lib/pack.tar"); // only the second content now
    auto const again = import_lib();
    EXPECT_EQ(again["removed"], 1) << again.dump();
    EXPECT_EQ(m_db.count_rows("midi_file_paths"), 1);
    EXPECT_EQ(search({"song"}).size(), 1U);
    expect_search_follows_paths();
}

} // namespace
} // namespace midilib::testing
