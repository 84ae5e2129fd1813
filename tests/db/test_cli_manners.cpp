// What a user meets at the command line: --version, and usage errors (exit 2, "error:", the
// command or option meant).

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

} // namespace
} // namespace midilib::testing
