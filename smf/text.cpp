#include "smf/text.hpp"

#include <algorithm>
#include <array>

namespace midilib {

namespace {

/// Windows-1252 code points for bytes 0x80-0x9F (unassigned bytes keep their Latin-1 value).
constexpr std::array<char16_t, 32> CP1252_HIGH{0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                               0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                               0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                               0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void append_code_point(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6U));
        out += static_cast<char>(0x80 | (cp & 0x3FU));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12U));
        out += static_cast<char>(0x80 | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80 | (cp & 0x3FU));
    }
}

/// Length of the valid UTF-8 sequence at @p i, or 0 when invalid.
std::size_t utf8_sequence_length(std::span<std::uint8_t const> b, std::size_t i) noexcept
{
    std::uint8_t const c = b[i];
    if (c < 0x80) {
        return 1;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    if ((c & 0xE0U) == 0xC0U) {
        len = 2;
        cp = c & 0x1FU;
    } else if ((c & 0xF0U) == 0xE0U) {
        len = 3;
        cp = c & 0x0FU;
    } else if ((c & 0xF8U) == 0xF0U) {
        len = 4;
        cp = c & 0x07U;
    } else {
        return 0;
    }
    if (i + len > b.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        if ((b[i + k] & 0xC0U) != 0x80U) {
            return 0;
        }
        cp = (cp << 6U) | (b[i + k] & 0x3FU);
    }
    static constexpr std::array<char32_t, 5> MIN{0, 0, 0x80, 0x800, 0x10000};
    if (cp < MIN[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

} // namespace

bool is_valid_utf8(std::span<std::uint8_t const> bytes) noexcept
{
    for (std::size_t i = 0; i < bytes.size();) {
        auto const n = utf8_sequence_length(bytes, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string to_utf8(std::span<std::uint8_t const> bytes, std::size_t max_bytes)
{
    std::string out;
    out.reserve(std::min(bytes.size(), max_bytes));
    if (is_valid_utf8(bytes)) {
        for (std::size_t i = 0; i < bytes.size();) {
            auto const n = utf8_sequence_length(bytes, i);
            if (out.size() + n > max_bytes) {
                break;
            }
            if (bytes[i] != 0) {
                out.append(reinterpret_cast<char const *>(bytes.data() + i), n);
            }
            i += n;
        }
        return out;
    }
    std::string cp_bytes;
    for (auto const b : bytes) {
        if (b == 0) {
            continue;
        }
        cp_bytes.clear();
        append_code_point(cp_bytes, b >= 0x80 && b < 0xA0 ? CP1252_HIGH[b - 0x80] : b);
        if (out.size() + cp_bytes.size() > max_bytes) {
            break;
        }
        out += cp_bytes;
    }
    return out;
}

std::string to_utf8(std::string_view bytes, std::size_t max_bytes)
{
    return to_utf8(std::span{reinterpret_cast<std::uint8_t const *>(bytes.data()), bytes.size()}, max_bytes);
}

std::string terminal_safe(std::string_view text)
{
    static constexpr char HEX[] = "0123456789abcdef";
    auto const bytes = std::span{reinterpret_cast<std::uint8_t const *>(text.data()), text.size()};
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < bytes.size();) {
        auto const b = bytes[i];
        auto const n = utf8_sequence_length(bytes, i);
        if (n > 1 && b == 0xC2 && bytes[i + 1] < 0xA0) { // U+0080-U+009F: C1 controls (CSI, OSC, ...)
            out += "\\u00";
            out += HEX[bytes[i + 1] >> 4U];
            out += HEX[bytes[i + 1] & 0xFU];
        } else if (n > 1) {
            out.append(text.substr(i, n));
        } else if (b == 0x1B) {
            out += "\\e";
        } else if (b == '\n') {
            out += "\\n";
        } else if (b == '\r') {
            out += "\\r";
        } else if (b == '\t') {
            out += "\\t";
        } else if (b < 0x20 || b == 0x7F || n == 0) { // n == 0: not UTF-8, e.g. a C1 byte of a Latin-1 name
            out += "\\x";
            out += HEX[b >> 4U];
            out += HEX[b & 0xFU];
        } else {
            out += static_cast<char>(b);
        }
        i += std::max<std::size_t>(n, 1);
    }
    return out;
}

} // namespace midilib
