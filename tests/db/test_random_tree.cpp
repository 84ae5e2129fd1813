// A tree of loose files and archives, with Latin-1 and UTF-8 names and the same content under
// several names, is changed at random over 20 rounds (files added, deleted, rewritten with other
// content, renamed, damaged, archives rewritten or deleted) and imported again after each round.
// After every round the library holds exactly what is on disk: every path with its size, one
// search row per content that a path holds, no search row for the others, and an error row for
// each file that fails now and no other.

#include "pipeline/file_source.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;

constexpr int ROUNDS = 20;
constexpr std::size_t CONTENTS = 40;     ///< distinct MIDI contents the files are made of
constexpr std::size_t START_FILES = 300; ///< loose files at the start
constexpr std::size_t ARCHIVES = 6;

class random_tree : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (corpus_dir().empty()) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
        std::vector<fs::path> sources;
        for (auto const &e : fs::directory_iterator{corpus_dir() / "nottingham" / "MIDI"}) {
            sources.push_back(e.path());
        }
        std::sort(sources.begin(), sources.end());
        for (std::size_t i = 0; i < CONTENTS && i < sources.size(); ++i) {
            std::ifstream in{sources[i], std::ios::binary};
            m_contents.emplace_back(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
        }
        fs::create_directories(tree());
        fs::create_directories(m_dir.path() / "stage");
    }

    [[nodiscard]] fs::path tree() const { return m_dir.path() / "tree"; }

    /// A file name: ASCII, UTF-8 or Latin-1 (not valid UTF-8), never one that converts to another's.
    std::string new_name()
    {
        static constexpr char const *STEMS[] = {"song",
                                                "caf\xc3\xa9",
                                                "na\xefve",
                                                "tune",
                                                "\xc3\xbc"
                                                "ber",
                                                "re\xe7u"};
        return fmt_name(STEMS[m_rng() % std::size(STEMS)], m_serial++);
    }
    static std::string fmt_name(std::string const &stem, int n) { return stem + "_" + std::to_string(n) + ".mid"; }

    std::string random_folder()
    {
        static constexpr char const *FOLDERS[] = {"", "a/", "a/b/", "c/", "d\xe9j\xe0/", "Techno/"};
        return FOLDERS[m_rng() % std::size(FOLDERS)];
    }

    /// Writes a MIDI content (or, one time in 15, a damaged file) at @p path.
    void write_file(fs::path const &path)
    {
        fs::create_directories(path.parent_path());
        std::ofstream out{path, std::ios::binary | std::ios::trunc};
        if (m_rng() % 15 == 0) {
            out << "MThd damaged " << m_serial++;
        } else {
            out << m_contents[m_rng() % m_contents.size()];
        }
    }

    /// The loose files on disk (not the archives).
    [[nodiscard]] std::vector<fs::path> loose_files() const
    {
        std::vector<fs::path> files;
        for (auto const &e : fs::recursive_directory_iterator{tree()}) {
            if (e.is_regular_file() && e.path().extension() == ".mid") {
                files.push_back(e.path());
            }
        }
        std::sort(files.begin(), files.end());
        return files;
    }

    /// Builds tree()/<name>.zip from a few new members (one a copy of another's content).
    void write_archive(std::string const &name)
    {
        auto const stage = m_dir.path() / "stage";
        fs::remove_all(stage);
        fs::create_directories(stage);
        auto const members = 2 + m_rng() % 6;
        for (std::size_t i = 0; i < members; ++i) {
            write_file(stage / fmt_name("member", m_serial++));
        }
        auto const zip = tree() / (name + ".zip");
        fs::remove(zip);
        auto const [code, out] = run({"sh", "-c", "cd \"$0\" && zip -q \"$1\" *.mid", stage.string(), zip.string()});
        ASSERT_EQ(code, 0) << out;
        fs::last_write_time(zip, fs::file_time_type::clock::now() - std::chrono::hours{m_serial});
    }

    void mutate()
    {
        auto files = loose_files();
        auto const changes = 5 + m_rng() % 25;
        for (std::size_t i = 0; i < changes; ++i) {
            auto const what = m_rng() % 6;
            if (what == 0 || files.empty()) {
                write_file(tree() / (random_folder() + new_name()));
            } else {
                auto const &victim = files[m_rng() % files.size()];
                if (!fs::exists(victim)) {
                    continue;
                }
                if (what == 1) {
                    fs::remove(victim);
                } else if (what == 2) { // rewritten: other content, another mtime
                    write_file(victim);
                    fs::last_write_time(victim, fs::file_time_type::clock::now() - std::chrono::hours{m_serial++});
                } else if (what == 3) {
                    auto const target = tree() / (random_folder() + new_name());
                    fs::create_directories(target.parent_path());
                    fs::rename(victim, target);
                } else if (what == 4) { // the same content under a second name
                    auto const target = tree() / (random_folder() + new_name());
                    fs::create_directories(target.parent_path());
                    fs::copy_file(victim, target);
                } else {
                    fs::remove_all(victim.parent_path() == tree() ? victim : victim.parent_path());
                }
            }
        }
        auto const archive = m_rng() % (ARCHIVES + 2);
        if (archive < ARCHIVES) {
            write_archive("pack" + std::to_string(archive));
        } else if (archive == ARCHIVES) {
            fs::remove(tree() / ("pack" + std::to_string(m_rng() % ARCHIVES) + ".zip"));
        }
    }

    /// What must be in the library: stored path -> size, and the paths that must be errors.
    void expected(std::map<std::string, std::uint64_t> &paths, std::set<std::string> &errors) const
    {
        auto const classify = [&](std::string const &stored, std::string const &bytes) {
            if (bytes.rfind("MThd damaged", 0) == 0) {
                errors.insert(stored);
            } else {
                paths[stored] = bytes.size();
            }
        };
        for (auto const &file : loose_files()) {
            std::ifstream in{file, std::ios::binary};
            classify(path_to_utf8(file.string()),
                     {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}});
        }
        for (auto const &e : fs::directory_iterator{tree()}) {
            if (e.path().extension() != ".zip") {
                continue;
            }
            auto const [code, out] = run({"sh", "-c", "unzip -Z1 \"$0\"", e.path().string()});
            ASSERT_EQ(code, 0) << out;
            std::istringstream names{out};
            for (std::string name; std::getline(names, name);) {
                auto const [c, bytes] = run({"unzip", "-p", e.path().string(), name});
                ASSERT_EQ(c, 0);
                classify(e.path().string() + "!/" + name, bytes);
            }
        }
    }

    void check_round(int round)
    {
        SCOPED_TRACE("round " + std::to_string(round));
        std::map<std::string, std::uint64_t> want;
        std::set<std::string> want_errors;
        expected(want, want_errors);
        pqxx::connection cx{m_db.conninfo()};
        pqxx::read_transaction tx{cx};
        std::map<std::string, std::uint64_t> got;
        for (auto const &row : tx.exec("SELECT path, size_bytes FROM midi_file_paths")) {
            got[row[0].as<std::string>()] = row[1].as<std::uint64_t>();
        }
        std::set<std::string> got_errors;
        for (auto const &row : tx.exec("SELECT path FROM import_errors")) {
            got_errors.insert(row[0].as<std::string>());
        }
        EXPECT_EQ(got, want);
        EXPECT_EQ(got_errors, want_errors);
        EXPECT_EQ(tx.exec1("SELECT count(*) FROM midi_files f WHERE (missing_since IS NULL) <>"
                           " EXISTS (SELECT 1 FROM midi_file_paths p WHERE p.file_id = f.id)")[0]
                      .as<long>(),
                  0);
        EXPECT_EQ(tx.exec1("SELECT count(*) FROM midi_files f WHERE (missing_since IS NULL) <>"
                           " EXISTS (SELECT 1 FROM file_search s WHERE s.file_id = f.id)")[0]
                      .as<long>(),
                  0);
    }

    temp_dir m_dir;
    temp_database m_db;
    std::vector<std::string> m_contents;
    std::mt19937 m_rng{20261207};
    int m_serial = 0;
};

TEST_F(random_tree, the_library_equals_the_disk_after_every_round)
{
    for (std::size_t i = 0; i < START_FILES; ++i) {
        write_file(tree() / (random_folder() + new_name()));
    }
    for (std::size_t i = 0; i < ARCHIVES; ++i) {
        write_archive("pack" + std::to_string(i));
    }
    for (int round = 0; round <= ROUNDS; ++round) {
        if (round > 0) {
            mutate();
        }
        auto const [code, out] = run_midilib(m_db.conninfo(), {"import", "--json", tree().string()});
        ASSERT_EQ(code, 0) << out;
        check_round(round);
        if (HasFailure()) {
            break; // the first round that differs says it all
        }
    }
}

} // namespace
} // namespace midilib::testing
