// The column lists of db/library_columns.hpp against the migrated tables, and the rows
// pipeline/row_encoder.cpp encodes against the lists: a column added by a migration and not
// encoded, or encoded out of step with its list, fails here.

#include "analyzers/analysis.hpp"
#include "db/copy_buffer.hpp"
#include "db/library_columns.hpp"
#include "pipeline/row_encoder.hpp"
#include "pipeline/stages.hpp"
#include "tests/common/pg_test_db.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace midilib::testing {
namespace {

/// A column of a table, and whether an import must fill it (no default, not an identity).
struct table_column
{
    std::string name;
    bool must_fill = false;
};

/// The columns of @p table: of this session's temporary tables when @p temporary, else of the schema.
std::vector<table_column> columns_of(pqxx::dbtransaction &tx, std::string const &table, bool temporary)
{
    auto const r = tx.exec_params(
        "SELECT column_name, column_default IS NULL AND is_identity = 'NO' AND is_generated = 'NEVER'"
        " FROM information_schema.columns WHERE table_name = $1"
        " AND table_schema = CASE WHEN $2 THEN pg_my_temp_schema()::regnamespace::text ELSE current_schema() END"
        " ORDER BY ordinal_position",
        table, temporary);
    std::vector<table_column> columns;
    for (auto const &row : r) {
        columns.push_back({row[0].as<std::string>(), row[1].as<bool>()});
    }
    return columns;
}

/**
 * Every name of @p list is a column of @p table, once; every column of @p table that an import
 * must fill is in @p list, except those in @p filled_otherwise (the writer's SQL fills them).
 */
void expect_list_covers(pqxx::dbtransaction &tx, std::string const &table, bool temporary,
                        std::span<std::string_view const> list, std::set<std::string> const &filled_otherwise = {})
{
    SCOPED_TRACE(table);
    auto const columns = columns_of(tx, table, temporary);
    ASSERT_FALSE(columns.empty()) << "no table " << table;
    std::set<std::string> named;
    for (auto const name : list) {
        EXPECT_TRUE(named.emplace(name).second) << name << " is listed twice";
        EXPECT_TRUE(std::any_of(columns.begin(), columns.end(), [&](auto const &c) { return c.name == name; }))
            << name << " is listed but is not a column of " << table;
    }
    for (auto const &c : columns) {
        if (c.must_fill && !filled_otherwise.contains(c.name)) {
            EXPECT_TRUE(named.contains(c.name)) << c.name << " of " << table << " has no default and is not listed";
        }
    }
}

/// A migrated database, and a transaction in which the import session's staging tables exist.
class library_columns : public ::testing::Test
{
protected:
    library_columns() { m_tx.exec("SELECT midilib_prepare_import_session()"); }

    temp_database m_db;
    pqxx::connection m_cx{m_db.conninfo()};
    pqxx::work m_tx{m_cx};
};

TEST_F(library_columns, file_columns_are_those_of_midi_files)
{
    // missing_since is NULL while a path holds the content: midilib_refresh_search() sets it.
    expect_list_covers(m_tx, "midi_files", false, FILE_COLUMNS, {"missing_since"});
    expect_list_covers(m_tx, "stage_files", true, FILE_COLUMNS, {"missing_since"});
}

TEST_F(library_columns, analysis_columns_are_those_of_file_analysis)
{
    expect_list_covers(m_tx, "file_analysis", false, ANALYSIS_COLUMNS, {"file_id"}); // from the content's hash
    std::vector<std::string_view> staged{"hash"};
    staged.insert(staged.end(), ANALYSIS_COLUMNS.begin(), ANALYSIS_COLUMNS.end());
    expect_list_covers(m_tx, "stage_analysis", true, staged);
}

TEST_F(library_columns, path_and_error_columns_are_those_of_their_staging_tables)
{
    expect_list_covers(m_tx, "stage_paths", true, PATH_COLUMNS);
    expect_list_covers(m_tx, "stage_errors", true, ERROR_COLUMNS);
}

/// Fields of one COPY text row (tabs inside values are escaped, so every tab separates two).
std::size_t field_count(std::string const &row)
{
    return static_cast<std::size_t>(std::count(row.begin(), row.end(), '\t')) + 1;
}

// A file's rows as the parse stage encodes them: one field per column, and they land in their columns.
TEST_F(library_columns, encoded_rows_have_a_field_per_column)
{
    auto const dir = std::filesystem::path{MIDILIB_SOURCE_DIR} / "samples";
    for (auto const *name : {"giantmidi-piano/Handel, George Frideric, Air in E major, HWV 425, bNzVz5byPqk.mid",
                             "groove-midi/123_funk_95_fill_4-4.mid"}) {
        SCOPED_TRACE(name);
        file_item item;
        std::string error;
        ASSERT_TRUE(read_file((dir / name).string(), item.bytes, error)) << error;
        item.stored.size = item.bytes.size();
        item.stored.hash = content_hash(item.bytes);
        parse_stage(item, true);
        ASSERT_EQ(item.stored.state, file_state::parsed) << item.stored.error_reason;

        auto const &file_row = item.stored.file_row;
        auto const &analysis_row = item.stored.analysis_row;
        ASSERT_EQ(std::count(file_row.begin(), file_row.end(), '\n'), 1);
        ASSERT_EQ(std::count(analysis_row.begin(), analysis_row.end(), '\n'), 1);
        EXPECT_EQ(field_count(file_row), FILE_COLUMNS.size());
        EXPECT_EQ(field_count(analysis_row), 1 + ANALYSIS_COLUMNS.size()); // the hash first

        copy_buffer files;
        files.append_rows(file_row, 1);
        copy_rows(m_tx, "stage_files (" + column_list(FILE_COLUMNS) + ")", files);
        copy_buffer analyses;
        analyses.append_rows(analysis_row, 1);
        copy_rows(m_tx, "stage_analysis (hash, " + column_list(ANALYSIS_COLUMNS) + ")", analyses);
        auto const f = m_tx.exec1("SELECT size_bytes, division, cardinality(programs) FROM stage_files");
        EXPECT_EQ(f[0].as<std::uint64_t>(), item.stored.size);
        EXPECT_EQ(f[1].as<std::string>(), "ppq");
        EXPECT_EQ(f[2].as<int>(), 16);
        auto const a = m_tx.exec1("SELECT analyzer_version, length(hash), bars > 0 FROM stage_analysis");
        EXPECT_EQ(a[0].as<int>(), ANALYZER_VERSION);
        EXPECT_EQ(a[1].as<int>(), 16);
        EXPECT_TRUE(a[2].as<bool>());
        m_tx.exec0("TRUNCATE stage_files, stage_analysis");
    }
}

} // namespace
} // namespace midilib::testing
