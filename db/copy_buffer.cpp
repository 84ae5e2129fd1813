#include "db/copy_buffer.hpp"

#include "db/sql_text.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cmath>

namespace midilib {

namespace {

/// Size of one PQputCopyData call. 64 KiB: large enough that per-call overhead
/// vanishes, small enough to stay in cache (psycopg3 measured 32-128 KiB best, 1 MiB slower).
constexpr std::size_t COPY_CHUNK_BYTES = 64 * 1024;

/// libpqxx 6.4 keeps the raw PGconn private; largeobject exposes it to subclasses.
struct raw_connection_access : pqxx::largeobject
{
    static PGconn *get(pqxx::dbtransaction const &tx) { return raw_connection(tx); }
};

char const HEX[] = "0123456789abcdef";

} // namespace

void copy_buffer::separator()
{
    if (m_row_open) {
        m_buf += '\t';
    }
    m_row_open = true;
}

void copy_buffer::escaped(std::string_view value)
{
    // Copy runs of ordinary characters at once; only the four special ones are escaped.
    while (!value.empty()) {
        auto const i = std::find_if(value.begin(), value.end(),
                                    [](char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; });
        m_buf.append(value.begin(), i);
        if (i == value.end()) {
            return;
        }
        m_buf += '\\';
        m_buf += *i == '\\' ? '\\' : *i == '\t' ? 't' : *i == '\n' ? 'n' : 'r';
        value.remove_prefix(static_cast<std::size_t>(i - value.begin()) + 1);
    }
}

void copy_buffer::text(std::string_view value)
{
    separator();
    escaped(value);
}

void copy_buffer::integer(std::int64_t value)
{
    separator();
    fmt::format_to(std::back_inserter(m_buf), "{}", value);
}

void copy_buffer::real(double value)
{
    if (!std::isfinite(value)) {
        null();
        return;
    }
    separator();
    fmt::format_to(std::back_inserter(m_buf), "{}", value);
}

void copy_buffer::real_array(std::span<double const> values)
{
    number_array(values, [](double v) { return !std::isfinite(v); });
}

void copy_buffer::null()
{
    separator();
    m_buf += "\\N";
}

void copy_buffer::bytea(std::span<std::uint8_t const> value)
{
    separator();
    m_buf += "\\\\x";
    for (auto const b : value) {
        m_buf += HEX[b >> 4U];
        m_buf += HEX[b & 0x0FU];
    }
}

void copy_buffer::text_array(std::span<std::string const> values)
{
    separator();
    m_buf += '{';
    bool first = true;
    for (auto const &v : values) {
        if (!first) {
            m_buf += ',';
        }
        first = false;
        m_buf += '"';
        for (char const c : v) {
            // Array quoting first (\" and \\), then COPY escaping of the result.
            switch (c) {
            case '"': m_buf += "\\\\\""; break;
            case '\\': m_buf += "\\\\\\\\"; break;
            case '\t': m_buf += "\\t"; break;
            case '\n': m_buf += "\\n"; break;
            case '\r': m_buf += "\\r"; break;
            default: m_buf += c;
            }
        }
        m_buf += '"';
    }
    m_buf += '}';
}

void copy_buffer::int_array(std::span<std::int16_t const> values, bool negative_is_null)
{
    number_array(values, [negative_is_null](std::int16_t v) { return negative_is_null && v < 0; });
}

void copy_buffer::int32_array(std::span<std::int32_t const> values)
{
    number_array(values, [](std::int32_t) { return false; });
}

void copy_buffer::bigint_array(std::span<std::int64_t const> values)
{
    number_array(values, [](std::int64_t) { return false; });
}

void copy_buffer::cube_point(std::span<float const> values)
{
    separator();
    m_buf += '(';
    bool first = true;
    for (float const v : values) {
        if (!first) {
            m_buf += ',';
        }
        first = false;
        fmt::format_to(std::back_inserter(m_buf), "{}", std::isfinite(v) ? v : 0.0F);
    }
    m_buf += ')';
}

void copy_buffer::end_row()
{
    m_buf += '\n';
    ++m_rows;
    m_row_open = false;
}

copy_stream::copy_stream(pqxx::dbtransaction &tx, std::string target) : m_tx(tx), m_target(std::move(target))
{
    std::string const sql = "COPY " + m_target + " FROM STDIN";
    log_sql("copy", sql);
    m_tx.exec0(sql);
}

copy_stream::~copy_stream()
{
    if (m_open) {
        // Leave the connection usable; the transaction is rolled back by its owner.
        PGconn *conn = raw_connection_access::get(m_tx);
        if (PQputCopyEnd(conn, "aborted by midilib") == 1) {
            while (PGresult *res = PQgetResult(conn)) {
                PQclear(res);
            }
        }
    }
}

void copy_stream::put(std::string_view data)
{
    PGconn *conn = raw_connection_access::get(m_tx);
    while (!data.empty()) {
        auto const n = std::min(data.size(), COPY_CHUNK_BYTES);
        if (PQputCopyData(conn, data.data(), static_cast<int>(n)) != 1) {
            throw pqxx::broken_connection{fmt::format("COPY into {} failed: {}", m_target, PQerrorMessage(conn))};
        }
        constexpr std::size_t SHOWN = 300;
        m_last_sent.assign(data.substr(0, std::min(n, SHOWN)));
        data.remove_prefix(n);
    }
}

void copy_stream::end_row()
{
    m_buf.end_row();
    row_done();
}

void copy_stream::add_row(std::string_view encoded)
{
    m_buf.append_rows(encoded, 1);
    row_done();
}

void copy_stream::row_done()
{
    ++m_rows;
    if (m_buf.size() >= COPY_CHUNK_BYTES) {
        put(m_buf.data());
        m_buf.clear();
    }
}

void copy_stream::send(copy_buffer const &rows)
{
    put(rows.data());
    m_rows += rows.rows();
}

std::size_t copy_stream::complete()
{
    put(m_buf.data());
    m_buf.clear();
    m_open = false;
    PGconn *conn = raw_connection_access::get(m_tx);
    if (PQputCopyEnd(conn, nullptr) != 1) {
        throw pqxx::broken_connection{fmt::format("COPY into {} failed: {}", m_target, PQerrorMessage(conn))};
    }
    std::string error;
    std::string sqlstate;
    while (PGresult *res = PQgetResult(conn)) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && error.empty()) {
            error = PQresultErrorMessage(res);
            char const *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            sqlstate = state != nullptr ? state : "";
        }
        PQclear(res);
    }
    if (!error.empty()) {
        auto const what = fmt::format("COPY into {} rejected: {} (last data sent starts: {:?})", m_target, error,
                                      m_last_sent);
        if (PQstatus(conn) == CONNECTION_BAD) { // the server went away (stopped, or closed this connection)
            throw pqxx::broken_connection{what};
        }
        // The SQLSTATE tells a caller what happened (e.g. 57P01: the server is shutting down).
        throw pqxx::sql_error{what, "COPY " + m_target + " FROM STDIN", sqlstate.empty() ? nullptr : sqlstate.c_str()};
    }
    return m_rows;
}

void copy_rows(pqxx::dbtransaction &tx, std::string const &target, copy_buffer const &rows)
{
    copy_stream stream{tx, target};
    stream.send(rows);
    stream.complete();
}

} // namespace midilib
