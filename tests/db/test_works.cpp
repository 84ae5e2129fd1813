// Works in the library: edited copies of corpus files imported beside their originals land in their
// originals' works; the works the database builds are exactly those the fingerprints say; and
// concurrent importers, or the workers, build the same works as one import.

#include "analyzers/fingerprint.hpp"
#include "tests/common/library_fingerprint.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"
#include "tests/unit/fingerprint_support.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <set>

namespace midilib::testing {
namespace {

/// Files sampled per corpus folder (as the fingerprint's unit test samples them).
constexpr std::size_t SAMPLE_PER_FOLDER = 40;
/// Share of copies in their original's work for the edits that lose or move notes (jitter, a part
/// dropped, everything at once); every other edit keeps every copy (docs/works.md lists the misses).
constexpr double MIN_RECALL_LOSSY = 0.93;

bool lossless(std::string const &edit) { return edit != "jitter" && edit != "drop_part" && edit != "all"; }

void write_file(std::filesystem::path const &p, test::bytes const &data)
{
    std::ofstream out{p, std::ios::binary};
    out.write(reinterpret_cast<char const *>(data.data()), static_cast<std::streamsize>(data.size()));
}

/// A folder of sampled corpus files (originals/) and their edited copies (copies/, named
/// "<n>.<edit>.mid"), built once for the tests of this file.
class works_test : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        if (corpus_dir().empty()) {
            return;
        }
        s_dir = std::make_unique<temp_dir>();
        std::filesystem::create_directories(s_dir->path() / "originals");
        std::filesystem::create_directories(s_dir->path() / "copies");
        std::size_t n = 0;
        test::for_each_corpus_sample(
            SAMPLE_PER_FOLDER, [&](std::filesystem::path const &path, smf_file const &file, std::size_t i) {
                if (analyze(file).print.kind == fingerprint_kind::none) {
                    return;
                }
                ++n;
                std::filesystem::copy_file(path, s_dir->path() / "originals" / fmt::format("{}.mid", n));
                std::uint16_t const drums = drum_channels(extract_notes(file));
                for (auto const &edit : test::edit_set(pitched_parts(file, drums), file.header.ppq, i + 1)) {
                    write_file(s_dir->path() / "copies" / fmt::format("{}.{}.mid", n, edit.name),
                               make_variant(file, edit.edits, drums));
                }
            });
        s_samples = n;
    }

    static void TearDownTestSuite() { s_dir.reset(); }

    void SetUp() override
    {
        if (!s_dir) {
            GTEST_SKIP() << "../shared/corpus not found";
        }
    }

    static std::filesystem::path root() { return s_dir->path(); }

    static inline std::unique_ptr<temp_dir> s_dir;
    static inline std::size_t s_samples = 0;
};

/// The works of the library, each as its members' hashes: equal for equal works, whatever the ids.
std::multiset<std::string> works_by_hash(std::string const &conninfo)
{
    pqxx::connection cx{conninfo};
    pqxx::nontransaction tx{cx};
    std::multiset<std::string> out;
    for (auto const &r : tx.exec("SELECT string_agg(encode(f.hash, 'hex'), ',' ORDER BY f.hash)"
                                 " FROM file_works w JOIN midi_files f ON f.id = w.file_id GROUP BY w.work_id")) {
        out.insert(r[0].as<std::string>());
    }
    return out;
}

std::size_t works_of_two_or_more(std::multiset<std::string> const &works)
{
    return static_cast<std::size_t>(
        std::count_if(works.begin(), works.end(), [](std::string const &w) { return w.find(',') != w.npos; }));
}

int import(temp_database const &db, std::vector<std::string> args)
{
    args.insert(args.begin(), {"import", "--no-progress"});
    return run(midilib_command(db.conninfo(), args)).first;
}

// Every edited copy lands in its original's work: all of them for the edits that keep each note in
// place, MIN_RECALL_LOSSY for jitter, a dropped part and all edits at once.
TEST_F(works_test, edited_copies_join_their_originals_work)
{
    temp_database db;
    ASSERT_EQ(import(db, {root().string()}), 0);
    pqxx::connection cx{db.conninfo()};
    pqxx::nontransaction tx{cx};
    std::map<std::string, std::int64_t> work_of; // path -> work
    for (auto const &r :
         tx.exec("SELECT p.path, w.work_id FROM midi_file_paths p JOIN file_works w ON w.file_id = p.file_id")) {
        work_of[r[0].as<std::string>()] = r[1].as<std::int64_t>();
    }
    std::map<std::string, std::pair<std::size_t, std::size_t>> tally; // edit -> (tried, joined)
    for (auto const &entry : std::filesystem::directory_iterator{root() / "copies"}) {
        auto const name = entry.path().filename().string();
        auto const dot = name.find('.');
        auto const edit = name.substr(dot + 1, name.size() - dot - 5);
        auto const original = (root() / "originals" / (name.substr(0, dot) + ".mid")).string();
        ASSERT_TRUE(work_of.contains(original)) << original;
        auto &t = tally[edit];
        ++t.first;
        bool const joined = work_of.contains(entry.path().string()) &&
                            work_of[entry.path().string()] == work_of[original];
        t.second += joined ? 1 : 0;
        EXPECT_TRUE(joined || !lossless(edit)) << name << " is not in the work of its original";
    }
    ASSERT_GT(s_samples, 150U);
    for (auto const &[edit, t] : tally) {
        std::cout << "[works] " << edit << ": " << t.second << "/" << t.first << " in their original's work\n";
        EXPECT_GE(static_cast<double>(t.second), MIN_RECALL_LOSSY * static_cast<double>(t.first)) << edit;
    }
}

// The works in the database are the connected groups of contents that same_work() pairs: the SQL
// lookup (GIN over band keys, midilib_print_similarity) finds exactly the pairs the analyzer defines.
TEST_F(works_test, stored_works_are_the_groups_the_fingerprints_make)
{
    temp_database db;
    ASSERT_EQ(import(db, {root().string()}), 0);
    pqxx::connection cx{db.conninfo()};
    pqxx::nontransaction tx{cx};
    std::vector<std::string> hashes;
    std::vector<fingerprint> prints;
    for (auto const &r : tx.exec("SELECT encode(f.hash, 'hex'), a.print_kind, a.print::text FROM file_analysis a"
                                 " JOIN midi_files f ON f.id = a.file_id ORDER BY f.hash")) {
        hashes.push_back(r[0].as<std::string>());
        if (r[1].is_null()) {
            prints.emplace_back();
            continue;
        }
        std::array<std::int64_t, BANDS> keys{};
        auto text = r[2].as<std::string>();
        std::replace(text.begin(), text.end(), '{', '[');
        std::replace(text.begin(), text.end(), '}', ']');
        auto const parsed = nlohmann::json::parse(text);
        ASSERT_EQ(parsed.size(), BANDS);
        for (std::size_t b = 0; b < BANDS; ++b) {
            keys[b] = parsed[b].get<std::int64_t>();
        }
        prints.push_back(fingerprint_of_keys(
            r[1].as<std::string>() == "pitched" ? fingerprint_kind::pitched : fingerprint_kind::drums, keys));
    }
    std::vector<std::size_t> parent(prints.size());
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](std::size_t i) {
        while (parent[i] != i) {
            i = parent[i] = parent[parent[i]];
        }
        return i;
    };
    for (std::size_t i = 0; i < prints.size(); ++i) {
        for (std::size_t j = i + 1; j < prints.size(); ++j) {
            if (same_work(prints[i], prints[j])) {
                parent[find(i)] = find(j);
            }
        }
    }
    std::map<std::size_t, std::vector<std::string>> groups;
    for (std::size_t i = 0; i < prints.size(); ++i) {
        groups[find(i)].push_back(hashes[i]);
    }
    std::multiset<std::string> expected;
    for (auto const &[root_index, members] : groups) {
        expected.insert(fmt::format("{}", fmt::join(members, ",")));
    }
    auto const stored = works_by_hash(db.conninfo());
    EXPECT_GT(works_of_two_or_more(stored), 100U);
    EXPECT_EQ(stored, expected);
}

// Two importers at once, one with the originals and one with the copies, and a worker analyzing what
// an import left unanalyzed: each builds the works one import of everything builds.
TEST_F(works_test, concurrent_importers_and_workers_build_the_works_of_one_import)
{
    temp_database reference;
    ASSERT_EQ(import(reference, {root().string()}), 0);
    auto const want = works_by_hash(reference.conninfo());
    ASSERT_GT(works_of_two_or_more(want), 100U);

    temp_database both;
    auto a = spawn(midilib_command(both.conninfo(), {"import", "--no-progress", (root() / "originals").string()}));
    auto b = spawn(midilib_command(both.conninfo(), {"import", "--no-progress", (root() / "copies").string()}));
    EXPECT_EQ(wait_for(a), 0);
    EXPECT_EQ(wait_for(b), 0);
    EXPECT_EQ(works_by_hash(both.conninfo()), want);

    temp_database queued;
    ASSERT_EQ(import(queued, {"--no-analyze", root().string()}), 0);
    EXPECT_EQ(queued.count_rows("file_works"), 0);
    auto w1 = spawn(midilib_command(queued.conninfo(), {"worker", "--once", "--batch", "64"}));
    auto w2 = spawn(midilib_command(queued.conninfo(), {"worker", "--once", "--batch", "64"}));
    EXPECT_EQ(wait_for(w1), 0);
    EXPECT_EQ(wait_for(w2), 0);
    EXPECT_EQ(works_by_hash(queued.conninfo()), want);
}

// dupes lists the works of several versions, biggest first, each version with what sets it apart;
// show lists the other versions of a file's work.
TEST_F(works_test, dupes_and_show_list_the_versions_of_a_work)
{
    temp_database db;
    ASSERT_EQ(import(db, {root().string()}), 0);
    auto const [rc, out] = run_midilib(db.conninfo(), {"dupes", "--limit", "5", "--json"});
    ASSERT_EQ(rc, 0) << out;
    std::vector<nlohmann::json> works;
    std::istringstream lines{out};
    for (std::string line; std::getline(lines, line);) {
        works.push_back(nlohmann::json::parse(line));
    }
    ASSERT_EQ(works.size(), 5U);
    for (std::size_t i = 1; i < works.size(); ++i) {
        EXPECT_GE(works[i - 1]["versions"].size(), works[i]["versions"].size());
    }
    auto const &top = works.front();
    EXPECT_EQ(top["versions"].size(),
              db.scalar<std::size_t>("SELECT max(n) FROM (SELECT count(*) AS n FROM file_works GROUP BY work_id) x"));
    for (auto const &v : top["versions"]) {
        EXPECT_EQ(db.scalar<std::int64_t>(
                      fmt::format("SELECT work_id FROM file_works WHERE file_id = {}", v["id"].get<std::int64_t>())),
                  top["work_id"].get<std::int64_t>());
    }
    EXPECT_EQ(top["versions"][0]["differs"], "");

    auto const id = top["versions"][1]["id"].get<std::int64_t>();
    auto const [show_rc, show] = run_midilib(db.conninfo(), {"show", "--json", std::to_string(id)});
    ASSERT_EQ(show_rc, 0);
    auto const j = nlohmann::json::parse(show);
    EXPECT_EQ(j["work_id"], top["work_id"]);
    EXPECT_EQ(j["versions"].size(), top["versions"].size() - 1);
    EXPECT_FALSE(j["analysis"].contains("print")) << "the signature is not for people";

    auto const none = run_captured(midilib_command(db.conninfo(), {"dupes", "--min-versions", "1000"}));
    EXPECT_EQ(none.code, 1);
    EXPECT_EQ(none.err, "no work has 1000 versions or more\n");
    EXPECT_EQ(run_midilib(db.conninfo(), {"dupes", "--min-versions", "1"}).first, 2);
    auto const [folder_rc, folder] = run_midilib(db.conninfo(),
                                                 {"dupes", "--json", "--folder", (root() / "originals").string()});
    EXPECT_TRUE(folder_rc == 0 || folder_rc == 1);
    EXPECT_EQ(folder.find("/copies/"), std::string::npos) << "versions outside the folder are not listed";
}

} // namespace
} // namespace midilib::testing
