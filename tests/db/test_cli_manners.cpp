// What a user meets at the command line: --version, usage errors (exit 2, "error:", the command or
// option meant), a search without a hit (exit 1, as grep), `db status` and `migrate status` in
// JSON, and `show` with the analysis in sections and typed JSON.

#include "tests/common/midilib_cli.hpp"
#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace midilib::testing {
namespace {

using nlohmann::json;

finished cli(temp_database const &db, std::vector<std::string> const &args)
{
    return run_captured(with_timeout(120, midilib_command(db.conninfo(), args)));
}

/// A wrong command line: exit 2, "error: " first, and @p part in what it says.
void expect_usage(finished const &a, std::string const &part)
{
    EXPECT_EQ(a.code, 2) << a.err;
    EXPECT_TRUE(a.err.starts_with("error: ")) << a.err;
    EXPECT_NE(a.err.find(part), std::string::npos) << a.err;
    EXPECT_TRUE(a.out.empty()) << a.out;
}

// --version prints the project version (and git describe when built from a clone) and exits 0.
TEST(cli_manners, version_prints_the_project_version)
{
    temp_database db;
    auto const a = cli(db, {"--version"});
    EXPECT_EQ(a.code, 0) << a.err;
    EXPECT_TRUE(a.out.starts_with("midilib " MIDILIB_VERSION)) << a.out;
    EXPECT_EQ(a.out.find('\n'), a.out.size() - 1) << a.out; // one line
}

// Usage errors exit 2 with "error:", and a near miss of a command or an option names the one meant.
TEST(cli_manners, usage_errors_exit_2_and_suggest_the_name_meant)
{
    temp_database db;
    expect_usage(cli(db, {"serach", "drum"}), "'serach' is not a midilib command; did you mean 'search'?");
    expect_usage(cli(db, {"stat"}), "did you mean 'status'?"); // a prefix
    expect_usage(cli(db, {"frobnicate"}), "'frobnicate' is not a midilib command");
    EXPECT_EQ(cli(db, {"frobnicate"}).err.find("did you mean"), std::string::npos);
    expect_usage(cli(db, {"search", "--jsno", "drum"}),
                 "no option --jsno for `midilib search`; did you mean '--json'?");
    expect_usage(cli(db, {"show", "--jsn", "1"}), "did you mean '--json'?");
    expect_usage(cli(db, {"--verbsoe", "status"}), "did you mean '--verbose'?");
    expect_usage(cli(db, {}), "error: a subcommand is required");
    expect_usage(cli(db, {"search", "--limit=0", "x"}), "--limit");
    expect_usage(cli(db, {"db", "stauts"}), "stauts");
    // A value the command itself refuses is a usage error too; a missing file is not.
    expect_usage(cli(db, {"search", "--bpm=fast"}), "--bpm: expected a number");
    expect_usage(cli(db, {"show", "abc"}), "show: expected a file id");
    auto const missing = cli(db, {"show", "123456789"});
    EXPECT_EQ(missing.code, 1) << missing.err;
    EXPECT_TRUE(missing.err.starts_with("error: no file with id")) << missing.err;
}

class cli_library : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        s_db = new temp_database;
        ASSERT_EQ(cli(*s_db, {"import", "--no-analyze", MIDILIB_SOURCE_DIR "/samples"}).code,
                  0); // show before analysis
    }
    static void TearDownTestSuite() { delete s_db; }
    static std::string id_of(std::string const &like)
    {
        return s_db->scalar<std::string>("SELECT file_id::text FROM midi_file_paths WHERE path LIKE '" + like + "'");
    }
    static void analyze_all()
    {
        auto const w = cli(*s_db, {"worker", "--once"});
        ASSERT_EQ(w.code, 0) << w.err;
        ASSERT_EQ(s_db->count_rows("file_analysis"), s_db->count_rows("midi_files"));
    }
    static inline temp_database *s_db = nullptr;
};

// A search without a hit exits 1 with one line on stderr, on a pipe and on a terminal; a hit exits 0.
TEST_F(cli_library, search_without_a_hit_exits_1_as_grep)
{
    auto const none = cli(*s_db, {"search", "--bpm=1e300"});
    EXPECT_EQ(none.code, 1) << none.err;
    EXPECT_EQ(none.err, "no file matches\n");
    EXPECT_TRUE(none.out.empty()) << none.out;
    auto const next = cli(*s_db, {"search", "--bpm=1e300", "--after=v:1.5:1"});
    EXPECT_EQ(next.code, 1) << next.err;
    EXPECT_EQ(next.err, "no more files match\n");
    auto const table = run_on_terminal(with_timeout(60, midilib_command(s_db->conninfo(), {"search", "--bpm=1e300"})));
    EXPECT_EQ(table.code, 1) << table.out;
    EXPECT_NE(table.out.find("no file matches"), std::string::npos) << table.out;
    auto const hit = cli(*s_db, {"search", "funk"});
    EXPECT_EQ(hit.code, 0) << hit.err;
    EXPECT_NE(hit.out.find("funk"), std::string::npos) << hit.out;
}

// `migrate status --json` is one typed object; --json elsewhere in migrate is refused as usage.
TEST_F(cli_library, migrate_status_json_is_typed)
{
    auto const a = cli(*s_db, {"migrate", "status", "--json"});
    ASSERT_EQ(a.code, 0) << a.err;
    auto const j = json::parse(a.out);
    ASSERT_TRUE(j["schema_version"].is_number_integer()) << a.out;
    ASSERT_TRUE(j["migrations"].is_array());
    ASSERT_FALSE(j["migrations"].empty());
    EXPECT_EQ(j["migrations"].back()["version"], j["schema_version"]);
    for (auto const &m : j["migrations"]) {
        EXPECT_TRUE(m["version"].is_number_integer()) << m;
        EXPECT_TRUE(m["name"].is_string()) << m;
        EXPECT_EQ(m["state"], "applied") << m;
        EXPECT_TRUE(m["transactional"].is_boolean()) << m;
        EXPECT_TRUE(m["applied_at"].is_string()) << m;
        EXPECT_EQ(m["checksum_matches"], true) << m;
    }
    EXPECT_TRUE(j["drift"].is_array() && j["drift"].empty()) << a.out;
    expect_usage(cli(*s_db, {"migrate", "verify", "--json"}), "--json");
}

// `db status --json` on a folder without a cluster: typed facts, exit 3 as the text form.
TEST(cli_manners, db_status_json_is_typed)
{
    temp_dir dir;
    auto const a = run_captured(
        with_timeout(60, midilib_data_dir_command(dir.path() / "pg", {"db", "status", "--json"})));
    EXPECT_EQ(a.code, 3) << a.err;
    auto const j = json::parse(a.out);
    EXPECT_EQ(j["initialized"], false) << a.out;
    EXPECT_EQ(j["running"], false) << a.out;
    EXPECT_TRUE(j["pid"].is_null()) << a.out;
    EXPECT_EQ(j["data_dir"], (dir.path() / "pg").string()) << a.out;
    EXPECT_TRUE(j["conninfo"].is_string()) << a.out;
}

// `show` before and after the analysis: sections on a terminal, typed JSON, the hash in hex, and
// the facets under the names `search --json` gives them, with the same values.
TEST_F(cli_library, show_prints_the_analysis_and_typed_json)
{
    auto const id = id_of("%123_funk_95_fill_4-4.mid");
    auto const before = cli(*s_db, {"show", "--json", id});
    ASSERT_EQ(before.code, 0) << before.err;
    EXPECT_TRUE(json::parse(before.out)["analysis"].is_null()) << before.out;
    EXPECT_NE(cli(*s_db, {"show", id}).out.find("analysis: not yet"), std::string::npos);

    analyze_all();
    auto const shown = cli(*s_db, {"show", "--json", id});
    ASSERT_EQ(shown.code, 0) << shown.err;
    auto const j = json::parse(shown.out);
    EXPECT_EQ(j["id"], std::stoll(id)) << shown.out;
    auto const hash = j["hash"].get<std::string>();
    EXPECT_EQ(hash.size(), 32U) << hash;
    EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos) << hash;
    EXPECT_TRUE(j["size_bytes"].is_number_integer());
    EXPECT_TRUE(j["duration_seconds"].is_number());
    EXPECT_TRUE(j["channels_used"].is_array() && j["channels_used"][0].is_number_integer()) << j["channels_used"];
    EXPECT_EQ(j["channels_used"], json::array({10})) << "a drum loop plays channel 10";
    EXPECT_TRUE(j["time_signatures"].is_array() && j["time_signatures"][0].is_string());
    EXPECT_TRUE(j["missing_since"].is_null());
    auto const &a = j["analysis"];
    ASSERT_TRUE(a.is_object()) << shown.out;
    EXPECT_EQ(a["has_drums"], true);
    EXPECT_TRUE(a["tempo_declared"].is_boolean());
    EXPECT_TRUE(a["groove"].is_array() && a["groove"][0].is_number());
    EXPECT_TRUE(a["instruments"].is_array());
    ASSERT_EQ(j["paths"].size(), 1U);
    EXPECT_TRUE(j["paths"][0]["archive"].is_null());
    EXPECT_TRUE(j["paths"][0]["size_bytes"].is_number_integer());

    // The fields search --json prints: the same names, types and values.
    auto const found = cli(*s_db, {"search", "--json", "123_funk_95_fill"});
    ASSERT_EQ(found.code, 0) << found.err;
    auto const hit = json::parse(found.out.substr(0, found.out.find('\n')));
    ASSERT_EQ(hit["id"], j["id"]) << found.out;
    for (auto const *name : {"tracks", "drums", "time_signature"}) {
        EXPECT_EQ(j[name], hit[name]) << name;
    }
    EXPECT_EQ(j["key"].is_null() ? json("") : j["key"], hit["key"]);
    EXPECT_NEAR(j["tempo_bpm"].get<double>(), hit["tempo_bpm"].get<double>(), 0.01);
    EXPECT_NEAR(j["duration_seconds"].get<double>(), hit["duration_seconds"].get<double>(), 0.01);

    // A pitched file: the key with its confidence and runner-up, in a section of its own.
    auto const text = cli(*s_db, {"show", id_of("%test-c-major-scale.mid")});
    ASSERT_EQ(text.code, 0) << text.err;
    for (auto const *part :
         {"file ", "hash: ", "analysis (analyzer version", "key: C major (confidence", "runner-up",
          "tempo: ", "declared", "chords: ", "drums: no", "instruments: ", "notes: ", "seen at 1 path"}) {
        EXPECT_NE(text.out.find(part), std::string::npos) << part << "\nin:\n" << text.out;
    }
    EXPECT_EQ(text.out.find("\\x"), std::string::npos) << "the hash is hex, not bytea text:\n" << text.out;
}

} // namespace
} // namespace midilib::testing
