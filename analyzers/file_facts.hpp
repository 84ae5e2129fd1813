#pragma once
/// The per-file metadata stored in midi_files: one pass over every event.

#include "analyzers/tempo_map.hpp"
#include "smf/reader.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace midilib {

/// Tempo map summary; BPM values are quarter notes per minute.
struct tempo_summary
{
    double first_bpm = 120.0;
    double min_bpm = 120.0;
    double max_bpm = 120.0;
    double mean_bpm = 120.0;        ///< time-weighted over the file's duration (not tick-weighted)
    std::uint32_t tempo_events = 0; ///< number of Set Tempo events
};

/// Everything the import stores about one file's content.
struct file_facts
{
    std::uint16_t format = 0;
    std::uint32_t track_count = 0;     ///< MTrk chunks actually present
    std::uint16_t declared_tracks = 0; ///< track count from MThd
    division_kind division = division_kind::ppq;
    std::uint16_t ppq = 0;
    std::uint8_t smpte_fps = 0;
    std::uint8_t ticks_per_frame = 0;

    std::uint64_t duration_ticks = 0; ///< last event tick over all tracks
    double duration_seconds = 0.0;    ///< through the tempo map
    tempo_summary tempo;

    std::vector<std::string> time_signatures; ///< "3/4@0", in order found (deduplicated consecutive)
    std::vector<std::string> key_signatures;  ///< "G major@0", "E minor@1920"

    std::uint64_t note_count = 0;            ///< note-on events with velocity > 0
    std::uint16_t channels_used = 0;         ///< bit n = channel n+1 had a note
    std::array<std::int16_t, 16> programs{}; ///< first program per channel, -1 when none (init fills -1)

    std::vector<std::string> track_names; ///< meta 0x03, UTF-8
    std::vector<std::string> texts;       ///< meta 0x01 (and 0x08-0x0F), UTF-8
    std::vector<std::string> lyrics;      ///< meta 0x05
    std::vector<std::string> copyrights;  ///< meta 0x02
    std::vector<std::string> markers;     ///< meta 0x06 and 0x07 (cue points)
    std::vector<std::string> warnings;    ///< reader warnings plus those found while walking events
};

/// Text kept per file and kind is capped so one odd file cannot bloat a batch.
constexpr std::size_t MAX_TEXT_BYTES_PER_KIND = 16 * 1024;

/// Walks every event of @p file once and fills file_facts (warnings start as a copy of file.warnings).
file_facts extract_facts(smf_file const &file);

/// The same, with the file's tempo map already built (the import builds it once for the facts
/// and the analysis).
file_facts extract_facts(smf_file const &file, tempo_map const &map);

} // namespace midilib
