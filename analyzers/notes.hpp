#pragma once
/// One pass over an smf_file: notes with start/end in ticks and seconds, programs, onsets and meter.

#include "analyzers/tempo_map.hpp"
#include "smf/reader.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace midilib {

/// One sounding note. Times are absolute; end >= start (zero-length notes are kept).
struct note
{
    std::uint64_t start_tick = 0;
    std::uint64_t end_tick = 0;
    double start_seconds = 0.0;
    double end_seconds = 0.0;
    std::uint8_t pitch = 0;
    std::uint8_t velocity = 0;
    std::uint8_t channel = 0; ///< 0..15 (9 is the GM drum channel)
    std::uint16_t track = 0;  ///< index of the MTrk chunk (capped at 65535)
};

/// A time signature change: numerator / 2^denominator_power from @c tick on.
struct time_signature
{
    std::uint64_t tick = 0;
    std::uint8_t numerator = 4;
    std::uint8_t denominator = 4; ///< 1, 2, 4, 8, ... (already the power of two)
};

/// Notes kept per file: at 40 bytes a note, 10 MB, so that one hostile file (a 64 MiB file of
/// notes, millions on one tick) stays within a few tens of MB beside its bytes. Real files hold far
/// fewer (the largest piano transcriptions tens of thousands); past the cap the analysis covers the
/// first MAX_NOTES notes and says so (notes_truncated).
constexpr std::size_t MAX_NOTES = 250'000;

/// Notes a reused note_list keeps room for between files (320 KiB); most files have fewer. Files
/// whose bytes could hold more get exactly their notes, and the room is given back after them.
constexpr std::size_t SCRATCH_NOTES = 8192;

/// Time signatures kept per file; more are ignored (real files hold a handful, the cap bounds bar maths).
constexpr std::size_t MAX_TIME_SIGNATURES = 1024;

/// Everything the musical analyzers need, extracted once per file.
struct note_list
{
    std::vector<note> notes;                      ///< sorted by (start_tick, pitch, channel, track)
    std::array<std::int16_t, 16> first_program{}; ///< first Program Change per channel, -1 when none
    std::array<std::vector<double>, 16> onsets;   ///< per channel: distinct note-on times in seconds, sorted
    std::vector<time_signature> meter;            ///< time signatures sorted by tick; empty means 4/4
    std::uint64_t end_tick = 0;                   ///< last event tick over all tracks
    double end_seconds = 0.0;                     ///< end_tick through the tempo map
    std::uint32_t ticks_per_quarter = 0;          ///< from the header; for SMPTE the ticks in 0.5 s (at least 1)
    std::uint64_t unreleased = 0;                 ///< notes still sounding at the file end (closed at end_tick)
    bool truncated = false;                       ///< MAX_NOTES reached; later notes were dropped

    /// Empties every list but keeps the capacity (reuse one note_list across files).
    void clear() noexcept;
};

/// extract_notes() without a note-on count from the caller: it counts them itself when it needs to.
constexpr std::uint64_t UNKNOWN_NOTE_ONS = std::numeric_limits<std::uint64_t>::max();

/**
 * Walks every track of @p file once and fills @p out (cleared first).
 * Note-on with velocity 0 is a note-off; overlapping notes of the same pitch and channel
 * are released first-in first-out; notes never released end at the file's last tick.
 * The note array gets exactly the room of the file's notes when its capacity is short: from
 * @p note_ons (note-ons with velocity > 0, as file_facts::note_count counts them) when known, else
 * from an extra walk that counts them. A wrong @p note_ons only costs memory or time, never notes.
 */
void extract_notes(smf_file const &file, tempo_map const &map, note_list &out,
                   std::uint64_t note_ons = UNKNOWN_NOTE_ONS);

/// Convenience: builds the tempo map and a fresh note_list.
note_list extract_notes(smf_file const &file);

} // namespace midilib
