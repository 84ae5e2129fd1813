// The folder walk: which files it yields, and in which order (byte order of the path,
// which the re-run check relies on).
#include "pipeline/folder_walk.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;
using midilib::folder_walk;
using midilib::walk_entry;

namespace {

class folder_walk_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        std::random_device rd;
        m_root = fs::temp_directory_path() / ("midilib-walk-" + std::to_string(rd()));
        fs::create_directories(m_root);
    }
    void TearDown() override { fs::remove_all(m_root); }

    void touch(std::string const &rel, std::string const &content = "MThd")
    {
        auto const p = m_root / rel;
        fs::create_directories(p.parent_path());
        std::ofstream{p} << content;
    }

    std::vector<walk_entry> walk_all(std::vector<fs::path> roots, bool stat_files = true)
    {
        folder_walk w{std::move(roots), stat_files};
        std::vector<walk_entry> out;
        walk_entry e;
        while (w.next(e)) {
            out.push_back(e);
        }
        return out;
    }

    fs::path m_root;
};

} // namespace

TEST(midi_file_name, extensions_in_any_case)
{
    EXPECT_TRUE(midilib::is_midi_file_name("a.mid"));
    EXPECT_TRUE(midilib::is_midi_file_name("A.MIDI"));
    EXPECT_TRUE(midilib::is_midi_file_name("song.Kar"));
    EXPECT_TRUE(midilib::is_midi_file_name("x.rmi"));
    EXPECT_TRUE(midilib::is_midi_file_name("x.y.SMF"));
    EXPECT_FALSE(midilib::is_midi_file_name(".mid"));
    EXPECT_FALSE(midilib::is_midi_file_name("mid"));
    EXPECT_FALSE(midilib::is_midi_file_name("a.mid.txt"));
    EXPECT_FALSE(midilib::is_midi_file_name("a.midx"));
}

TEST_F(folder_walk_test, yields_midi_files_in_byte_order_of_the_path)
{
    // "a-b" < "a/" < "a0" in bytes: a sorted-by-name walk would visit folder "a" before
    // "a-b"; the walk must not, so that its paths come in the index's order.
    for (auto const *rel :
         {"a/x.mid", "a/y/z.mid", "a-b/q.mid", "a0.mid", "B.MID", "c d/e.kar", "a/y.mid", "a/ya/1.mid"}) {
        touch(rel);
    }
    touch("a/readme.txt", "not a MIDI file");
    auto const entries = walk_all({m_root});
    std::vector<std::string> paths;
    for (auto const &e : entries) {
        EXPECT_TRUE(e.error.empty()) << e.fs_path << ": " << e.error;
        EXPECT_EQ(e.size, 4U);
        EXPECT_GT(e.mtime_us, 0);
        paths.push_back(e.fs_path);
    }
    ASSERT_EQ(paths.size(), 8U);
    EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end())) << ::testing::PrintToString(paths);
    EXPECT_EQ(paths.front(), (m_root / "B.MID").string());
}

TEST_F(folder_walk_test, follows_links_to_files_not_to_folders)
{
    touch("real/a.mid");
    fs::create_symlink(m_root / "real" / "a.mid", m_root / "link.mid");
    fs::create_directory_symlink(m_root / "real", m_root / "loop");
    fs::create_directory_symlink(m_root / "real", m_root / "folder.mid");
    fs::create_symlink(m_root / "missing.mid", m_root / "dangling.mid");
    auto const entries = walk_all({m_root});
    ASSERT_EQ(entries.size(), 3U);
    EXPECT_EQ(entries[0].fs_path, (m_root / "dangling.mid").string());
    EXPECT_FALSE(entries[0].error.empty()); // reported, not silently dropped
    EXPECT_EQ(entries[1].fs_path, (m_root / "link.mid").string());
    EXPECT_TRUE(entries[1].error.empty());
    EXPECT_EQ(entries[2].fs_path, (m_root / "real/a.mid").string());
}

TEST_F(folder_walk_test, a_file_root_is_taken_whatever_its_name_and_roots_keep_their_index)
{
    touch("notes.dat");
    touch("d/one.mid");
    auto const entries = walk_all({m_root / "notes.dat", m_root / "d", m_root / "nothing-here"});
    ASSERT_EQ(entries.size(), 3U);
    EXPECT_EQ(entries[0].root, 0U);
    EXPECT_TRUE(entries[0].error.empty());
    EXPECT_EQ(entries[1].root, 1U);
    EXPECT_EQ(entries[2].root, 2U);
    EXPECT_FALSE(entries[2].error.empty());
}

TEST_F(folder_walk_test, an_unreadable_folder_is_an_entry_with_an_error)
{
    touch("ok/a.mid");
    touch("closed/b.mid");
    fs::permissions(m_root / "closed", fs::perms::none);
    auto const entries = walk_all({m_root});
    fs::permissions(m_root / "closed", fs::perms::owner_all);
    if (::geteuid() == 0) {
        ASSERT_EQ(entries.size(), 2U); // root reads it anyway
        return;
    }
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0].fs_path, (m_root / "closed").string());
    EXPECT_NE(entries[0].error.find("cannot open folder"), std::string::npos);
    EXPECT_TRUE(entries[1].error.empty());
}

TEST_F(folder_walk_test, a_midi_file_with_another_name_is_judged_by_content)
{
    touch("take1.dat", std::string{"MThd\0\0\0\6\0\0\0\1\0\x60", 14});
    touch("notes.txt", "just text");
    touch("song.rmi.bak", std::string{"RIFF\0\0\0\0RMIDdata", 16});
    touch("pack.ZIP", "PK");
    auto const entries = walk_all({m_root});
    std::vector<std::string> names;
    for (auto const &e : entries) {
        names.push_back(std::filesystem::path{e.fs_path}.filename().string());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"pack.ZIP", "song.rmi.bak", "take1.dat"}));
}

TEST_F(folder_walk_test, counting_mode_finds_the_same_files)
{
    for (int i = 0; i < 50; ++i) {
        touch("f" + std::to_string(i % 7) + "/s" + std::to_string(i) + ".mid");
    }
    EXPECT_EQ(walk_all({m_root}, false).size(), walk_all({m_root}, true).size());
    EXPECT_EQ(walk_all({m_root}, false).size(), 50U);
}
