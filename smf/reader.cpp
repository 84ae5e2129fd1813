#include "smf/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace midilib {

namespace {

/// Warnings kept per file; a damaged file can repeat one defect thousands of times.
constexpr std::size_t MAX_WARNINGS = 32;

std::uint32_t be32(byte_span b, std::size_t at) noexcept
{
    return (std::uint32_t{b[at]} << 24U) | (std::uint32_t{b[at + 1]} << 16U) | (std::uint32_t{b[at + 2]} << 8U) |
           std::uint32_t{b[at + 3]};
}

std::uint32_t le32(byte_span b, std::size_t at) noexcept
{
    return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8U) | (std::uint32_t{b[at + 2]} << 16U) |
           (std::uint32_t{b[at + 3]} << 24U);
}

bool tag_is(byte_span b, std::size_t at, char const *tag) noexcept
{
    return at + 4 <= b.size() && std::memcmp(b.data() + at, tag, 4) == 0;
}

/// "MTrk" in any letter case (some writers and damaged files spell it "mTrk").
bool track_tag_any_case(byte_span b, std::size_t at) noexcept
{
    if (at + 4 > b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        if ((b[at + i] | 0x20U) != static_cast<std::uint8_t>("mtrk"[i])) {
            return false;
        }
    }
    return true;
}

void add_warning(std::vector<std::string> &warnings, std::string text)
{
    if (warnings.size() < MAX_WARNINGS) {
        warnings.push_back(std::move(text));
    } else if (warnings.size() == MAX_WARNINGS) {
        warnings.emplace_back("... more warnings suppressed");
    }
}

/// Unwraps RIFF RMID: returns the SMF inside the "data" chunk, or the input unchanged.
byte_span unwrap_riff(byte_span bytes, std::vector<std::string> &warnings)
{
    if (!tag_is(bytes, 0, "RIFF") || !tag_is(bytes, 8, "RMID")) {
        return bytes;
    }
    std::size_t pos = 12;
    while (pos + 8 <= bytes.size()) {
        std::size_t const len = le32(bytes, pos + 4);
        if (tag_is(bytes, pos, "data")) {
            std::size_t const avail = bytes.size() - (pos + 8);
            if (len > avail) {
                add_warning(warnings, "RIFF data chunk runs past end of file");
            }
            return bytes.subspan(pos + 8, std::min(len, avail));
        }
        pos += 8 + len + (len & 1U);
    }
    return bytes.subspan(bytes.size()); // RMID without data: nothing to read
}

void read_header(byte_span b, std::size_t len, smf_header &h, std::vector<std::string> &warnings)
{
    h.format = static_cast<std::uint16_t>((b[8] << 8U) | b[9]);
    h.declared_tracks = static_cast<std::uint16_t>((b[10] << 8U) | b[11]);
    std::uint8_t const hi = b[12];
    std::uint8_t const lo = b[13];
    if (len != 6) {
        add_warning(warnings, fmt::format("header length is {} (expected 6)", len));
    }
    if (h.format > 2) {
        add_warning(warnings, fmt::format("unknown SMF format {}", h.format));
    }
    if ((hi & 0x80U) != 0) {
        h.division = division_kind::smpte;
        auto const fps = static_cast<std::int8_t>(hi);
        h.smpte_fps = static_cast<std::uint8_t>(-fps);
        h.ticks_per_frame = lo;
        if (h.smpte_fps != 24 && h.smpte_fps != 25 && h.smpte_fps != 29 && h.smpte_fps != 30) {
            add_warning(warnings, fmt::format("invalid SMPTE frame rate {}: timing unusable", -int{h.smpte_fps}));
        }
        if (lo == 0) {
            add_warning(warnings, "SMPTE division with 0 ticks per frame: timing unusable");
        }
    } else {
        h.ppq = static_cast<std::uint16_t>((hi << 8U) | lo);
        if (h.ppq == 0) {
            add_warning(warnings, "division is 0 ticks per quarter note: timing unusable");
        }
    }
}

} // namespace

smf_result read_smf(byte_span input)
{
    smf_result result;
    if (input.empty()) {
        result.error = "empty file";
        return result;
    }
    smf_file file;
    byte_span const bytes = unwrap_riff(input, file.warnings);
    if (!tag_is(bytes, 0, "MThd")) {
        result.error = "not a MIDI file (no MThd header)";
        return result;
    }
    if (bytes.size() < 14) {
        result.error = "truncated MThd header";
        return result;
    }
    std::size_t const header_len = be32(bytes, 4);
    if (header_len < 6) {
        result.error = fmt::format("MThd header length {} is too short", header_len);
        return result;
    }
    read_header(bytes, header_len, file.header, file.warnings);
    // A wrong header length followed by a track at the standard offset: trust the track.
    std::size_t const body_len = (header_len != 6 && track_tag_any_case(bytes, 14)) ? 6 : header_len;
    std::size_t pos = 8 + std::min<std::size_t>(body_len, bytes.size() - 8);
    while (pos < bytes.size()) {
        if (bytes.size() - pos < 8) {
            add_warning(file.warnings,
                        fmt::format("{} bytes of trailing garbage after the last chunk", bytes.size() - pos));
            break;
        }
        std::size_t const len = be32(bytes, pos + 4);
        std::size_t const avail = bytes.size() - (pos + 8);
        bool const is_track = track_tag_any_case(bytes, pos);
        if (is_track && !tag_is(bytes, pos, "MTrk")) {
            add_warning(file.warnings,
                        fmt::format("track {}: chunk tag misspelled \"{}\"", file.tracks.size(),
                                    std::string_view{reinterpret_cast<char const *>(bytes.data() + pos), 4}));
        }
        bool const printable = std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                                           bytes.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                                           [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
        if (!is_track && !printable) {
            add_warning(file.warnings,
                        fmt::format("{} bytes of trailing garbage after the last chunk", bytes.size() - pos));
            break;
        }
        if (len > avail) {
            add_warning(file.warnings,
                        fmt::format("track {}: length runs past end of file (declared {} bytes, {} present)",
                                    file.tracks.size(), len, avail));
        }
        auto const body = bytes.subspan(pos + 8, std::min(len, avail));
        if (is_track) {
            file.tracks.push_back(body);
        } else {
            add_warning(file.warnings,
                        fmt::format("skipped unknown chunk \"{}\"",
                                    std::string_view{reinterpret_cast<char const *>(bytes.data() + pos), 4}));
        }
        pos += 8 + body.size();
    }
    if (file.tracks.empty()) {
        result.error = "no track chunk (MTrk) found";
        return result;
    }
    if (file.tracks.size() != file.header.declared_tracks) {
        add_warning(file.warnings, fmt::format("header declares {} tracks, file has {}", file.header.declared_tracks,
                                               file.tracks.size()));
    }
    result.file = std::move(file);
    return result;
}

std::uint32_t ticks_per_quarter(smf_header const &h) noexcept { return h.division == division_kind::ppq ? h.ppq : 0; }

track_cursor::track_cursor(byte_span track, std::vector<std::string> *warnings) noexcept
: m_bytes(track), m_warnings(warnings)
{}

void track_cursor::warn(char const *what)
{
    if (m_warnings == nullptr) {
        return;
    }
    // One bit per distinct message pointer hash keeps each defect to one line per track.
    auto const bit = 1U << (reinterpret_cast<std::uintptr_t>(what) % 31U);
    if ((m_warned & bit) != 0) {
        return;
    }
    m_warned |= bit;
    add_warning(*m_warnings, what);
}

bool track_cursor::next(smf_event &ev)
{
    int r = 0;
    while ((r = step(ev)) == RETRY) {
    }
    return r == 1;
}

int track_cursor::step(smf_event &ev)
{
    if (m_done) {
        return 0;
    }
    auto const end = m_bytes.size();
    auto const finish = [this](char const *why) {
        if (why != nullptr) {
            warn(why);
        }
        m_done = true;
        return 0;
    };
    if (m_pos >= end) {
        return finish(m_saw_eot ? nullptr : "track has no End-of-Track event");
    }
    // Delta time (VLQ, at most 4 bytes by the spec; longer ones are read and warned about).
    std::uint64_t delta = 0;
    int vlq_bytes = 0;
    for (;;) {
        if (m_pos >= end) {
            return finish("track ends inside a delta time");
        }
        std::uint8_t const b = m_bytes[m_pos++];
        delta = (delta << 7U) | (b & 0x7FU);
        if (++vlq_bytes == 5) {
            warn("delta time longer than 4 bytes");
        }
        if ((b & 0x80U) == 0) {
            break;
        }
        if (vlq_bytes >= 8) {
            return finish("delta time longer than 8 bytes: track abandoned");
        }
    }
    m_tick += delta;
    ev = smf_event{};
    ev.tick = m_tick;
    if (m_pos >= end) {
        return finish("track ends after a delta time");
    }
    std::uint8_t status = m_bytes[m_pos];
    if (status < 0x80) {
        if (m_running == 0) {
            warn("data byte without a running status: skipped");
            ++m_pos;
            return RETRY;
        }
        if (m_running_after_meta) {
            warn("running status used after a meta or SysEx event");
            m_running_after_meta = false;
        }
        status = m_running;
    } else {
        ++m_pos;
    }
    ev.status = status;
    auto const read_length = [&](std::size_t &len) {
        len = 0;
        for (int i = 0; i < 4; ++i) {
            if (m_pos >= end) {
                return false;
            }
            std::uint8_t const b = m_bytes[m_pos++];
            len = (len << 7U) | (b & 0x7FU);
            if ((b & 0x80U) == 0) {
                return true;
            }
        }
        return false;
    };
    if (status < 0xF0) {
        m_running = status;
        std::size_t const n = ((status & 0xF0U) == 0xC0U || (status & 0xF0U) == 0xD0U) ? 1 : 2;
        if (m_pos + n > end) {
            return finish("track ends inside a channel message");
        }
        ev.kind = event_kind::channel;
        ev.data1 = m_bytes[m_pos] & 0x7FU;
        ev.data2 = n == 2 ? (m_bytes[m_pos + 1] & 0x7FU) : 0;
        ev.payload = m_bytes.subspan(m_pos, n);
        m_pos += n;
        return 1;
    }
    if (status == 0xFF || status == 0xF0 || status == 0xF7) {
        if (status == 0xFF) {
            if (m_pos >= end) {
                return finish("track ends inside a meta event");
            }
            ev.kind = event_kind::meta;
            ev.meta_type = m_bytes[m_pos++];
        } else {
            ev.kind = event_kind::sysex;
        }
        std::size_t len = 0;
        if (!read_length(len)) {
            return finish("track ends inside an event length");
        }
        if (len > end - m_pos) {
            ev.payload = m_bytes.subspan(m_pos);
            m_pos = end;
            warn("event data runs past the end of the track");
            m_done = true;
            return 1;
        }
        ev.payload = m_bytes.subspan(m_pos, len);
        m_pos += len;
        m_running_after_meta = m_running != 0;
        if (ev.kind == event_kind::meta && ev.meta_type == 0x2F) {
            m_saw_eot = true;
            m_done = true;
        }
        return 1;
    }
    // F1-F6, F8-FE: system common / real-time bytes are not allowed in a file.
    warn("system common or real-time message inside a track");
    std::size_t const n = status == 0xF2 ? 2 : (status == 0xF1 || status == 0xF3) ? 1 : 0;
    ev.kind = event_kind::system;
    for (std::size_t i = 0; i < n && m_pos < end && m_bytes[m_pos] < 0x80; ++i) {
        (i == 0 ? ev.data1 : ev.data2) = m_bytes[m_pos++];
    }
    return 1;
}

} // namespace midilib
