// libFuzzer target: to_utf8() and is_valid_utf8() on arbitrary bytes.
//
// Input: a cap prefix, then the text bytes. First byte 0xFF: no cap (SIZE_MAX); 0x80..0xFE: the
// cap is ((b0 & 0x7F) << 8 | b1), 0..32767; 0x00..0x7F: the cap is b0 itself.
//
// Checks: the output is valid UTF-8 without NUL and at most the cap long; it is the longest
// prefix (on a character boundary) of the uncapped output that fits; the string_view overload
// agrees; valid UTF-8 input comes back unchanged (less NULs); anything else is decoded one code
// point per non-NUL byte (Windows-1252). is_valid_utf8 is checked against an independent
// validator written from the Unicode standard's table of well-formed byte sequences.

#include "smf/text.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace {

using bytes = std::span<std::uint8_t const>;

bytes as_bytes(std::string const &s) { return {reinterpret_cast<std::uint8_t const *>(s.data()), s.size()}; }

/// Length of the well-formed sequence at @p i (Unicode 15, table 3-7), 0 when ill-formed.
std::size_t reference_sequence_length(bytes b, std::size_t i)
{
    auto const in = [&](std::size_t k, unsigned lo, unsigned hi) {
        return i + k < b.size() && b[i + k] >= lo && b[i + k] <= hi;
    };
    unsigned const c = b[i];
    if (c <= 0x7F) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return in(1, 0x80, 0xBF) ? 2 : 0;
    }
    if (c == 0xE0) {
        return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
        return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c == 0xED) {
        return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c == 0xF0) {
        return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    if (c >= 0xF1 && c <= 0xF3) {
        return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    if (c == 0xF4) {
        return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

bool reference_valid(bytes b)
{
    for (std::size_t i = 0; i < b.size();) {
        auto const n = reference_sequence_length(b, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

/// Code point of the (valid) sequence at @p i.
char32_t decode(bytes b, std::size_t i, std::size_t n)
{
    static constexpr unsigned LEAD_MASK[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    char32_t cp = b[i] & LEAD_MASK[n];
    for (std::size_t k = 1; k < n; ++k) {
        cp = (cp << 6U) | (b[i + k] & 0x3FU);
    }
    return cp;
}

void check_windows_1252(bytes input, std::string const &out)
{
    auto const o = as_bytes(out);
    std::size_t at = 0;
    for (auto const b : input) {
        if (b == 0) {
            continue;
        }
        FUZZ_CHECK(at < o.size());
        auto const n = reference_sequence_length(o, at);
        char32_t const cp = decode(o, at, n);
        at += n;
        if (b < 0x80 || b >= 0xA0) {
            FUZZ_CHECK(cp == b); // ASCII and Latin-1 are their own code points
        } else {
            FUZZ_CHECK(cp == b || cp >= 0x100); // 0x80-0x9F: a Windows-1252 character, or unassigned (kept)
        }
    }
    FUZZ_CHECK(at == o.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    std::size_t cap = SIZE_MAX;
    std::size_t skip = 1;
    if (data[0] < 0x80) {
        cap = data[0];
    } else if (data[0] < 0xFF) {
        cap = size >= 2 ? ((std::size_t{data[0] & 0x7FU} << 8U) | data[1]) : 0;
        skip = size >= 2 ? 2 : 1;
    }
    bytes const input{data + skip, size - skip};

    bool const valid = reference_valid(input);
    FUZZ_CHECK(midilib::is_valid_utf8(input) == valid);

    std::string const full = midilib::to_utf8(input);
    std::string const out = midilib::to_utf8(input, cap);
    std::string_view const view{reinterpret_cast<char const *>(input.data()), input.size()};
    FUZZ_CHECK(midilib::to_utf8(view, cap) == out);

    for (auto const *s : {&full, &out}) {
        FUZZ_CHECK(reference_valid(as_bytes(*s)) && midilib::is_valid_utf8(as_bytes(*s)));
        FUZZ_CHECK(s->find('\0') == std::string::npos);
    }
    FUZZ_CHECK(out.size() <= cap);
    // The cut keeps the longest prefix of whole characters that fits.
    FUZZ_CHECK(full.compare(0, out.size(), out) == 0);
    if (out.size() < full.size()) {
        FUZZ_CHECK(out.size() + reference_sequence_length(as_bytes(full), out.size()) > cap);
    }

    if (valid) {
        std::string without_nul;
        for (auto const b : input) {
            if (b != 0) {
                without_nul += static_cast<char>(b);
            }
        }
        FUZZ_CHECK(full == without_nul);
    } else {
        check_windows_1252(input, full);
    }
    return 0;
}
