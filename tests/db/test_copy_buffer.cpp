// The COPY text encoder: whatever bytes go in come back out of PostgreSQL unchanged.

#include "db/copy_buffer.hpp"
#include "tests/common/pg_test_db.hpp"

#include <gtest/gtest.h>

namespace midilib::testing {
namespace {

// Text and text[] fields with tabs, newlines, backslashes, quotes and braces round-trip through COPY.
TEST(copy_buffer, special_characters_round_trip)
{
    temp_database db;
    std::vector<std::string> const values{"plain",       "tab\there",  "new\nline", "cr\rhere",
                                          "back\\slash", "\"quoted\"", "{braces}",  "comma,semi;",
                                          "NULL",        "\\N",        "",          "é€ 漢字"};
    copy_buffer buf;
    for (auto const &v : values) {
        buf.text(v);
        buf.text_array(std::vector<std::string>{v, v + "!"});
        buf.end_row();
    }
    pqxx::connection cx{db.conninfo()};
    pqxx::work tx{cx};
    tx.exec0("CREATE TEMP TABLE t (s text, a text[])");
    copy_rows(tx, "t (s, a)", buf);
    auto const r = tx.exec("SELECT s, a[1], a[2], cardinality(a) FROM t");
    ASSERT_EQ(r.size(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(r[i][0].as<std::string>(), values[i]);
        EXPECT_EQ(r[i][1].as<std::string>(), values[i]);
        EXPECT_EQ(r[i][2].as<std::string>(), values[i] + "!");
        EXPECT_EQ(r[i][3].as<int>(), 2);
    }
}

// Numbers, NULLs, bytea and int arrays (with NULL entries) encode as PostgreSQL reads them.
TEST(copy_buffer, numbers_bytes_and_nulls)
{
    temp_database db;
    copy_buffer buf;
    std::vector<std::uint8_t> const bytes{0x00, 0x5c, 0xff, 0x09};
    std::vector<std::int16_t> const ints{1, -1, 127};
    buf.integer(-42);
    buf.real(0.1);
    buf.real(std::numeric_limits<double>::infinity());
    buf.null();
    buf.bytea(bytes);
    buf.int_array(ints, true);
    buf.end_row();
    pqxx::connection cx{db.conninfo()};
    pqxx::work tx{cx};
    tx.exec0("CREATE TEMP TABLE t (i bigint, d float8, inf float8, n text, b bytea, a smallint[])");
    copy_rows(tx, "t", buf);
    auto const row = tx.exec1("SELECT i, d, inf IS NULL, n IS NULL, encode(b, 'hex'), a::text FROM t");
    EXPECT_EQ(row[0].as<long>(), -42);
    EXPECT_DOUBLE_EQ(row[1].as<double>(), 0.1);
    EXPECT_TRUE(row[2].as<bool>());
    EXPECT_TRUE(row[3].as<bool>());
    EXPECT_EQ(row[4].as<std::string>(), "005cff09");
    EXPECT_EQ(row[5].as<std::string>(), "{1,NULL,127}");
}

// Data the server rejects raises an exception that names the target and shows the data.
TEST(copy_buffer, rejected_data_is_a_clear_exception)
{
    temp_database db;
    copy_buffer buf;
    buf.text("not a number");
    buf.end_row();
    pqxx::connection cx{db.conninfo()};
    pqxx::work tx{cx};
    tx.exec0("CREATE TEMP TABLE t (i bigint)");
    try {
        copy_rows(tx, "t", buf);
        FAIL() << "COPY should have failed";
    } catch (pqxx::sql_error const &e) {
        EXPECT_NE(std::string{e.what()}.find("COPY into t rejected"), std::string::npos) << e.what();
        EXPECT_NE(std::string{e.what()}.find("not a number"), std::string::npos) << e.what();
    }
}

// A stream sends chunk after chunk while rows are encoded: every row arrives, in order.
TEST(copy_stream, many_chunks_arrive_whole)
{
    temp_database db;
    pqxx::connection cx{db.conninfo()};
    pqxx::work tx{cx};
    tx.exec0("CREATE TEMP TABLE t (i bigint, s text)");
    copy_stream stream{tx, "t (i, s)"};
    constexpr int ROWS = 20000; // ~1.2 MB: about 20 chunks
    for (int i = 0; i < ROWS; ++i) {
        stream.row().integer(i);
        stream.row().text(std::string(50, static_cast<char>('a' + i % 26)) + "\t\n");
        stream.end_row();
    }
    EXPECT_EQ(stream.complete(), static_cast<std::size_t>(ROWS));
    auto const r = tx.exec1("SELECT count(*), sum(i), count(DISTINCT s), min(length(s)) FROM t");
    EXPECT_EQ(r[0].as<int>(), ROWS);
    EXPECT_EQ(r[1].as<std::int64_t>(), std::int64_t{ROWS} * (ROWS - 1) / 2);
    EXPECT_EQ(r[2].as<int>(), 26);
    EXPECT_EQ(r[3].as<int>(), 52); // the tab and newline survive
}

// A stream dropped half-way (an exception while encoding) leaves the connection usable.
TEST(copy_stream, abandoned_stream_leaves_the_connection_usable)
{
    temp_database db;
    pqxx::connection cx{db.conninfo()};
    try {
        pqxx::work tx{cx};
        tx.exec0("CREATE TEMP TABLE t (i bigint)");
        copy_stream stream{tx, "t"};
        for (int i = 0; i < 30000; ++i) {
            stream.row().integer(i);
            stream.end_row();
        }
        throw std::runtime_error{"encoding failed"};
    } catch (std::runtime_error const &) {
    }
    pqxx::work tx{cx};
    EXPECT_EQ(tx.exec1("SELECT 41 + 1")[0].as<int>(), 42);
}

} // namespace
} // namespace midilib::testing
