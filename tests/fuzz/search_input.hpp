#pragma once
// Turns the bytes of a fuzz_search input into a search_request. Shared by tests/fuzz/fuzz_search.cpp
// and tests/unit/test_fuzz_regressions.cpp (which replays saved inputs with g++).
//
// Input: fields separated by 0x1F (ASCII unit separator), all optional:
//   text 0x1F after 0x1F folder 0x1F instrument 0x1F time_signature 0x1F key 0x1F options
// text and after (the cursor) are always set (empty = none). folder, instrument and time_signature
// are set when their field is present, even empty (which must be rejected). key goes through
// parse_key(), whose answer, if any, becomes the key facet. options is binary and runs to the end
// of the input (it may hold 0x1F): byte 0 flags (bit 0 bpm, 1 duration, 2 tracks, 3 drums,
// 4 drums=true, 5 limit from bytes 1-2), bytes 1-2 the limit (int16, host byte order), then the bpm
// and duration ranges (two raw doubles each: NaN, inf and negative included) and the track range
// (two int32). Missing bytes read as 0. A plain query ("piano sonata") is thus a valid input.

#include "db/search_request.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace midilib::fuzz {

struct search_input
{
    search_request request;
    std::optional<std::string> key_text; ///< the key field as given, when present
};

/// Reads fixed-size values from the options bytes; missing bytes are 0.
class option_reader
{
public:
    explicit option_reader(std::string_view bytes) : m_bytes(bytes) {}

    template <typename T>
    T read()
    {
        std::array<char, sizeof(T)> raw{};
        for (auto &c : raw) {
            c = m_at < m_bytes.size() ? m_bytes[m_at] : '\0';
            ++m_at;
        }
        T v{};
        std::memcpy(&v, raw.data(), sizeof v);
        return v;
    }

private:
    std::string_view m_bytes;
    std::size_t m_at = 0;
};

inline search_input decode_search_input(std::uint8_t const *data, std::size_t size)
{
    constexpr char SEPARATOR = '\x1f';
    constexpr std::size_t OPTIONS = 6; // index of the options field
    std::string_view const all{reinterpret_cast<char const *>(data), size};
    std::vector<std::string_view> fields;
    std::string_view rest = all;
    for (;;) {
        auto const at = fields.size() == OPTIONS ? std::string_view::npos : rest.find(SEPARATOR);
        fields.push_back(rest.substr(0, at));
        if (at == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(at + 1);
    }
    auto const field = [&](std::size_t i) { return std::string{fields[i]}; };

    search_input in;
    auto &r = in.request;
    r.text = field(0);
    if (fields.size() > 1) {
        r.after = field(1);
    }
    if (fields.size() > 2) {
        r.folder = field(2);
    }
    if (fields.size() > 3) {
        r.instrument = field(3);
    }
    if (fields.size() > 4) {
        r.time_signature = field(4);
    }
    if (fields.size() > 5) {
        in.key_text = field(5);
        r.key = parse_key(*in.key_text);
    }
    if (fields.size() > OPTIONS) {
        option_reader o{fields[OPTIONS]};
        auto const flags = o.read<std::uint8_t>();
        auto const limit = o.read<std::int16_t>();
        auto const bpm_lo = o.read<double>();
        auto const bpm_hi = o.read<double>();
        auto const duration_lo = o.read<double>();
        auto const duration_hi = o.read<double>();
        auto const tracks_lo = o.read<std::int32_t>();
        auto const tracks_hi = o.read<std::int32_t>();
        if ((flags & 0x01U) != 0) {
            r.bpm = {bpm_lo, bpm_hi};
        }
        if ((flags & 0x02U) != 0) {
            r.duration = {duration_lo, duration_hi};
        }
        if ((flags & 0x04U) != 0) {
            r.tracks = {tracks_lo, tracks_hi};
        }
        if ((flags & 0x08U) != 0) {
            r.drums = (flags & 0x10U) != 0;
        }
        if ((flags & 0x20U) != 0) {
            r.limit = limit;
        }
    }
    return in;
}

} // namespace midilib::fuzz
