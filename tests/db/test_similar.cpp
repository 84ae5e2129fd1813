// `midilib similar`: an edited copy is near its original, the order is the brute-force order of
// the stored vectors, facets filter, a missing content is never returned, and the errors.

#include "analyzers/features.hpp"
#include "smf/reader.hpp"
#include "smf/variant.hpp"
#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace midilib::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

/// The drum channel (10) as make_variant's kept channels.
constexpr std::uint16_t DRUM_CHANNEL = 1U << 9U;

finished cli(temp_database const &db, std::vector<std::string> const &args)
{
    return run_captured(with_timeout(120, midilib_command(db.conninfo(), args)));
}

/// The JSON lines of @p out.
std::vector<json> lines(std::string const &out)
{
    std::vector<json> rows;
    std::istringstream in{out};
    for (std::string line; std::getline(in, line);) {
        rows.push_back(json::parse(line));
    }
    return rows;
}

/// Writes a copy of @p original edited by @p edits to @p to.
void write_variant(fs::path const &original, variant_edits const &edits, fs::path const &to)
{
    std::ifstream in{original, std::ios::binary};
    std::vector<std::uint8_t> const data{std::istreambuf_iterator<char>{in}, {}};
    auto const parsed = read_smf({data.data(), data.size()});
    ASSERT_TRUE(parsed.file) << original;
    auto const bytes = make_variant(*parsed.file, edits, DRUM_CHANNEL);
    std::ofstream out{to, std::ios::binary};
    out.write(reinterpret_cast<char const *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// "(0.1, 0.2, ...)", as cube prints a point, as a feature vector.
feature_vector parse_cube(std::string const &text)
{
    feature_vector v{};
    std::istringstream in{text.substr(1)};
    for (auto &x : v) {
        char sep = 0;
        in >> x >> sep;
    }
    return v;
}

class similar_test : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        if (corpus_dir().empty()) {
            return;
        }
        s_db = new temp_database;
        s_dir = new temp_dir;
        auto const original = corpus_dir() / "opengameart-cc-by-sa";
        auto const source = original / "GerardoMarset" / "Hellin.mid";
        s_original_path = new fs::path{s_dir->path() / "originals" / "original.mid"};
        fs::create_directories(s_dir->path() / "originals");
        fs::create_directories(s_dir->path() / "copies");
        copy_writable(source, *s_original_path);
        write_variant(source, {.transpose = 3, .tempo_factor = 1.1}, s_dir->path() / "copies" / "edited.mid");
        write_variant(source, {.transpose = -2}, s_dir->path() / "copies" / "removed.mid");
        auto const import = cli(*s_db, {"import", s_dir->path().string(), original.string(),
                                        (corpus_dir() / "jazz-soft-test-midi-files").string(),
                                        (corpus_dir() / "giantmidi-piano").string()});
        ASSERT_EQ(import.code, 0) << import.err;
        // A content never analyzed: no feature vector.
        auto const pending = s_dir->path() / "pending";
        fs::create_directories(pending);
        write_variant(source, {.transpose = 7, .velocities = true}, pending / "pending.mid");
        ASSERT_EQ(cli(*s_db, {"import", "--no-analyze", pending.string()}).code, 0);
        s_ready = true;
    }
    static void TearDownTestSuite()
    {
        delete s_original_path;
        delete s_dir;
        delete s_db;
    }
    void SetUp() override
    {
        if (s_db == nullptr) {
            GTEST_SKIP() << "no corpus at ../shared/corpus";
        }
        ASSERT_TRUE(s_ready) << "the library was not imported";
    }
    static std::string id_of(std::string const &name)
    {
        return s_db->scalar<std::string>("SELECT file_id::text FROM midi_file_paths WHERE path LIKE '%/" + name + "'");
    }
    /// `similar --json ARGS...`, which must succeed.
    static std::vector<json> similar(std::vector<std::string> args)
    {
        args.insert(args.begin(), {"similar", "--json"});
        auto const r = cli(*s_db, args);
        EXPECT_EQ(r.code, 0) << r.err;
        return lines(r.out);
    }
    /// Every live content but @p id, with its distance to @p id by feature_distance() over the stored
    /// vectors, nearest first; @p where filters file_search s.
    static std::vector<std::pair<double, std::int64_t>> brute_force(std::string const &id,
                                                                    std::string const &where = "true")
    {
        pqxx::connection cx{s_db->conninfo()};
        pqxx::read_transaction tx{cx};
        auto const target = parse_cube(
            tx.exec1("SELECT features::text FROM file_analysis WHERE file_id = " + id)[0].as<std::string>());
        std::vector<std::pair<double, std::int64_t>> all;
        for (auto const &row : tx.exec("SELECT a.file_id, a.features::text FROM file_analysis a"
                                       " JOIN file_search s ON s.file_id = a.file_id"
                                       " WHERE a.features IS NOT NULL AND a.file_id <> " +
                                       id + " AND " + where)) {
            all.emplace_back(feature_distance(target, parse_cube(row[1].as<std::string>())), row[0].as<std::int64_t>());
        }
        std::sort(all.begin(), all.end());
        return all;
    }
    static bool holds(std::vector<json> const &hits, std::string const &id)
    {
        return std::any_of(hits.begin(), hits.end(),
                           [&](json const &h) { return std::to_string(h["id"].get<std::int64_t>()) == id; });
    }

    static inline temp_database *s_db = nullptr;
    static inline temp_dir *s_dir = nullptr;
    static inline fs::path *s_original_path = nullptr;
    static inline bool s_ready = false;
};

// A transposed copy at another tempo is among the five nearest of its original with --versions.
TEST_F(similar_test, edited_copy_is_near_its_original)
{
    auto const hits = similar({id_of("originals/original.mid"), "--versions", "--limit", "5"});
    ASSERT_EQ(hits.size(), 5U);
    EXPECT_TRUE(holds(hits, id_of("copies/edited.mid")));
    EXPECT_FALSE(holds(hits, id_of("originals/original.mid")));
}

// Without --versions, no content of the original's work is listed.
TEST_F(similar_test, versions_are_left_out_by_default)
{
    auto const id = id_of("originals/original.mid");
    auto const work = "(SELECT work_id FROM file_works WHERE file_id = " + id + ")";
    for (auto const &h : similar({id, "--limit", "50"})) {
        EXPECT_NE(s_db->scalar<std::string>("SELECT work_id::text FROM file_works WHERE file_id = " +
                                            std::to_string(h["id"].get<std::int64_t>())),
                  s_db->scalar<std::string>("SELECT " + work + "::text"));
    }
}

// The order is ascending distance and matches feature_distance over the stored vectors.
TEST_F(similar_test, order_matches_brute_force)
{
    for (auto const &name : {"originals/original.mid", "copies/edited.mid"}) {
        auto const id = id_of(name);
        auto const hits = similar({id, "--versions", "--limit", "30"});
        auto const expected = brute_force(id);
        ASSERT_EQ(hits.size(), std::min<std::size_t>(30, expected.size()));
        for (std::size_t i = 0; i < hits.size(); ++i) {
            EXPECT_NEAR(hits[i]["distance"].get<double>(), expected[i].first, 1e-5) << i;
            if (i > 0) {
                EXPECT_LE(hits[i - 1]["distance"].get<double>(), hits[i]["distance"].get<double>());
            }
            auto const same = std::find_if(expected.begin(), expected.end(), [&](auto const &e) {
                return e.second == hits[i]["id"].get<std::int64_t>();
            });
            ASSERT_NE(same, expected.end());
            EXPECT_NEAR(same->first, hits[i]["distance"].get<double>(), 1e-5);
        }
    }
}

// Facets filter the neighbours without changing their order: the brute-force order of the facet's rows.
TEST_F(similar_test, facets_filter)
{
    auto const id = id_of("originals/original.mid");
    auto const hits = similar({id, "--versions", "--bpm", "90-140", "--no-drums", "--limit", "10"});
    auto const expected = brute_force(id, "s.tempo_bpm BETWEEN 90 AND 140 AND s.has_drums = false");
    ASSERT_EQ(hits.size(), std::min<std::size_t>(10, expected.size()));
    ASSERT_FALSE(hits.empty());
    for (std::size_t i = 0; i < hits.size(); ++i) {
        EXPECT_GE(hits[i]["tempo_bpm"].get<double>(), 90.0);
        EXPECT_LE(hits[i]["tempo_bpm"].get<double>(), 140.0);
        EXPECT_FALSE(hits[i]["drums"].get<bool>());
        EXPECT_NEAR(hits[i]["distance"].get<double>(), expected[i].first, 1e-5) << i;
    }
    auto const folder = similar({id, "--versions", "--folder", (s_dir->path() / "copies").string()});
    ASSERT_EQ(folder.size(), 2U);
    for (auto const &h : folder) {
        EXPECT_TRUE(h["path"].get<std::string>().starts_with((s_dir->path() / "copies").string())) << h;
    }
}

// A content whose only path was removed is not returned.
TEST_F(similar_test, missing_content_is_not_returned)
{
    auto const id = id_of("originals/original.mid");
    auto const removed = id_of("copies/removed.mid");
    auto const all = similar({id, "--versions", "--limit", "10000"});
    ASSERT_TRUE(holds(all, removed));
    ASSERT_EQ(cli(*s_db, {"remove", (s_dir->path() / "copies" / "removed.mid").string()}).code, 0);
    EXPECT_FALSE(holds(similar({id, "--versions", "--limit", "10000"}), removed));
}

// A bad, unknown or unanalyzed id: the documented exit code and one line.
TEST_F(similar_test, errors_are_one_line)
{
    auto const unknown = cli(*s_db, {"similar", "987654321"});
    EXPECT_EQ(unknown.code, 1);
    EXPECT_EQ(unknown.err, "error: no file with id 987654321 in the library\n");
    auto const word = cli(*s_db, {"similar", "abc"});
    EXPECT_EQ(word.code, 2);
    EXPECT_TRUE(word.err.starts_with("error: similar: expected a file id")) << word.err;
    EXPECT_EQ(std::count(word.err.begin(), word.err.end(), '\n'), 1) << word.err;
    EXPECT_EQ(cli(*s_db, {"similar", "1", "--bpm", "fast"}).code, 2);
    EXPECT_EQ(cli(*s_db, {"similar"}).code, 2);
    auto const pending = cli(*s_db, {"similar", id_of("pending/pending.mid")});
    EXPECT_EQ(pending.code, 1);
    EXPECT_NE(pending.err.find("midilib analyze --requeue"), std::string::npos) << pending.err;
    EXPECT_EQ(std::count(pending.err.begin(), pending.err.end(), '\n'), 1) << pending.err;
    EXPECT_TRUE(pending.out.empty());
}

// --json: one object a line, typed as search --json, plus the distance.
TEST_F(similar_test, json_types)
{
    auto const hits = similar({id_of("originals/original.mid"), "--limit", "3"});
    ASSERT_EQ(hits.size(), 3U);
    for (auto const &h : hits) {
        EXPECT_TRUE(h["id"].is_number_integer()) << h;
        EXPECT_TRUE(h["distance"].is_number_float()) << h;
        EXPECT_TRUE(h["path"].is_string()) << h;
        EXPECT_TRUE(h["tempo_bpm"].is_number()) << h;
        EXPECT_TRUE(h["key"].is_string()) << h;
        EXPECT_TRUE(h["time_signature"].is_string()) << h;
        EXPECT_TRUE(h["duration_seconds"].is_number()) << h;
        EXPECT_TRUE(h["tracks"].is_number_integer()) << h;
        EXPECT_TRUE(h["drums"].is_boolean()) << h;
    }
}

} // namespace
} // namespace midilib::testing
