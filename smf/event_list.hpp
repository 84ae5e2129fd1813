#pragma once
/// An SMF as one editable list of timed events, and back to SMF bytes: the base of the variant
/// writer that tests and tools/generate_library use to make edited copies of real files.

#include "smf/reader.hpp"

#include <cstdint>
#include <vector>

namespace midilib {

/// One event with its absolute tick and track.
struct timed_event
{
    std::uint64_t tick = 0;
    std::uint16_t track = 0;
    std::uint8_t status = 0;    ///< channel status, 0xFF meta, 0xF0 / 0xF7 SysEx
    std::uint8_t meta_type = 0; ///< meta type when status is 0xFF
    std::uint8_t data1 = 0;
    std::uint8_t data2 = 0;
    std::vector<std::uint8_t> payload; ///< meta or SysEx data

    [[nodiscard]] bool is_channel() const noexcept { return status >= 0x80 && status < 0xF0; }
    [[nodiscard]] std::uint8_t channel() const noexcept { return status & 0x0FU; }
    [[nodiscard]] std::uint8_t command() const noexcept { return status & 0xF0U; }
    [[nodiscard]] bool is_note_on() const noexcept { return command() == 0x90 && is_channel() && data2 > 0; }
    [[nodiscard]] bool is_note_off() const noexcept
    {
        return is_channel() && (command() == 0x80 || (command() == 0x90 && data2 == 0));
    }
};

/// A whole file: header fields and every event but End-of-Track, sorted by tick (file order on ties).
struct event_list
{
    std::uint16_t format = 1;
    std::uint16_t division = 480; ///< raw MThd division (ppq, or SMPTE when the top bit is set)
    std::uint16_t tracks = 1;
    std::vector<timed_event> events;
};

/// Every event of @p file (system bytes and End-of-Track left out).
event_list decode_events(smf_file const &file);

/// SMF bytes of @p list: one MTrk per track index below list.tracks (events sorted by tick, stable).
std::vector<std::uint8_t> encode_events(event_list list);

} // namespace midilib
