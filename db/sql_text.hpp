#pragma once
/// Small helpers for building parameters and logging statements.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pqxx {
class connection_base;
}

namespace midilib {

/// A PostgreSQL array literal ("{...}") of text elements, each quoted and escaped.
std::string text_array_literal(std::span<std::string const> items);

/// A bytea value in its hex input form (\x6869), for a text parameter cast to bytea.
std::string bytea_literal(std::string_view bytes);

/// A PostgreSQL array literal of bytea elements ($1::bytea[]).
std::string bytea_array_literal(std::span<std::string const> items);

/// Bytes from their hex text (encode(..., 'hex')).
std::string bytes_of_hex(std::string_view hex);

/// A PostgreSQL array literal of integers.
std::string int_array_literal(std::span<std::int64_t const> items);

/// Turns on --log-sql: every statement run through log_sql() is logged at debug level.
void set_log_sql(bool on) noexcept;

/// Logs @p sql with the connection's label when --log-sql is on.
void log_sql(std::string_view label, std::string_view sql);

} // namespace midilib
