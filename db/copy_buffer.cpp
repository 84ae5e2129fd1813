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
        auto const i = std::find_if(value.begin(), value.end(), [](char c) {
            return c == '\\' || c == '\t' || c == '\n' || c == '\r';
        });
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
    separator();
    m_buf += '{';
    bool first = true;
    for (auto const v : values) {
        if (!first) {
            m_buf += ',';
        }
        first = false;
        if (negative_is_null && v < 0) {
            m_buf += "NULL";
        } else {
            fmt::format_to(std::back_inserter(m_buf), "{}", v);
        }
    }
    m_buf += '}';
}

void copy_buffer::end_row()
{
    m_buf += '\n';
    ++m_rows;
    m_row_open = false;
}

void copy_rows(pqxx::dbtransaction &tx, std::string const &target, copy_buffer const &rows)
{
    std::string const sql = "COPY " + target + " FROM STDIN";
    log_sql("copy", sql);
    tx.exec0(sql);
    PGconn *conn = raw_connection_access::get(tx);
    std::string_view data = rows.data();
    while (!data.empty()) {
        auto const n = std::min(data.size(), COPY_CHUNK_BYTES);
        if (PQputCopyData(conn, data.data(), static_cast<int>(n)) != 1) {
            throw pqxx::broken_connection{fmt::format("COPY into {} failed: {}", target, PQerrorMessage(conn))};
        }
        data.remove_prefix(n);
    }
    if (PQputCopyEnd(conn, nullptr) != 1) {
        throw pqxx::broken_connection{fmt::format("COPY into {} failed: {}", target, PQerrorMessage(conn))};
    }
    std::string error;
    while (PGresult *res = PQgetResult(conn)) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && error.empty()) {
            error = PQresultErrorMessage(res);
        }
        PQclear(res);
    }
    if (!error.empty()) {
        auto const all = rows.data();
        constexpr std::size_t SHOWN = 300;
        throw pqxx::sql_error{fmt::format("COPY into {} rejected: {} (data starts: {:?} … ends: {:?})", target, error,
                                          all.substr(0, SHOWN), all.substr(all.size() > SHOWN ? all.size() - SHOWN : 0)),
                              sql};
    }
}

} // namespace midilib
