// What a user meets at the command line: --version.

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

// --version prints the project version (and git describe when built from a clone) and exits 0.
TEST(cli_manners, version_prints_the_project_version)
{
    temp_database db;
    auto const a = cli(db, {"--version"});
    EXPECT_EQ(a.code, 0) << a.err;
    EXPECT_TRUE(a.out.starts_with("midilib " MIDILIB_VERSION)) << a.out;
    EXPECT_EQ(a.out.find('\n'), a.out.size() - 1) << a.out; // one line
}

} // namespace
} // namespace midilib::testing
