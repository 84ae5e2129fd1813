#include "db/sql_text.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <vector>

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

std::string bytea_literal(std::string_view bytes)
{
    static constexpr char const *DIGITS = "0123456789abcdef";
    std::string out{"\\x"};
    out.reserve(2 + 2 * bytes.size());
    for (char const c : bytes) {
        auto const b = static_cast<unsigned char>(c);
        out += DIGITS[b >> 4U];
        out += DIGITS[b & 0xFU];
    }
    return out;
}

std::string bytea_array_literal(std::span<std::string const> items)
{
    std::vector<std::string> hex;
    hex.reserve(items.size());
    for (auto const &item : items) {
        hex.push_back(bytea_literal(item));
    }
    return text_array_literal(hex);
}

std::string bytes_of_hex(std::string_view hex)
{
    auto const value = [](char c) { return static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10) & 0xFU; };
    std::string bytes(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>((value(hex[2 * i]) << 4U) | value(hex[2 * i + 1]));
    }
    return bytes;
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
