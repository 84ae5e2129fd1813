#include "db/sql_text.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace midilib {

namespace {
std::atomic<bool> g_log_sql{false};
} // namespace

std::string text_array_literal(std::span<std::string const> items)
{
    std::string out{"{"};
    for (auto const &item : items) {
        if (out.size() > 1) {
            out += ',';
        }
        out += '"';
        for (char const c : item) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::string int_array_literal(std::span<std::int64_t const> items)
{
    std::string out{"{"};
    for (auto const v : items) {
        if (out.size() > 1) {
            out += ',';
        }
        out += std::to_string(v);
    }
    out += '}';
    return out;
}

void set_log_sql(bool on) noexcept { g_log_sql = on; }

void log_sql(std::string_view label, std::string_view sql)
{
    if (g_log_sql) {
        spdlog::debug("SQL {}: {}", label, sql);
    }
}

} // namespace midilib
