// docs/schema.sql is the schema that migrations/ build, so that a reader of the docs sees the current one.

#include "tests/common/pg_test_db.hpp"
#include "tests/common/process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace midilib::testing {
namespace {

std::vector<std::string> lines_of(std::string const &text)
{
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

/// "line N: committed / built" for the first line where the two texts differ.
std::string first_difference(std::string const &committed, std::string const &built)
{
    auto const a = lines_of(committed);
    auto const b = lines_of(built);
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) {
        ++i;
    }
    auto const at = [](std::vector<std::string> const &v, std::size_t n) {
        return n < v.size() ? "'" + v[n] + "'" : std::string{"(end of file)"};
    };
    return "first difference at line " + std::to_string(i + 1) + ":\n  docs/schema.sql:   " + at(a, i) +
           "\n  from migrations/: " + at(b, i);
}

// docs/schema.sql equals the dump of a fresh database with every migration applied.
TEST(schema_dump, docs_schema_sql_is_current)
{
    temp_database db;
    auto const [code, built] = run({MIDILIB_SOURCE_DIR "/tools/dump-schema.sh", "--from", db.name()});
    ASSERT_EQ(code, 0) << "tools/dump-schema.sh --from " << db.name() << " failed";
    std::filesystem::path const committed_file = MIDILIB_SOURCE_DIR "/docs/schema.sql";
    std::ifstream in{committed_file, std::ios::binary};
    ASSERT_TRUE(in) << committed_file << " is missing: run tools/dump-schema.sh and commit docs/schema.sql";
    std::ostringstream committed;
    committed << in.rdbuf();
    if (committed.str() != built) {
        ADD_FAILURE() << "docs/schema.sql is not the schema that migrations/ build: run tools/dump-schema.sh and "
                         "commit docs/schema.sql\n"
                      << first_difference(committed.str(), built);
    }
}

} // namespace
} // namespace midilib::testing
