#pragma once
/// Plain note statistics: counts, ranges, velocity, polyphony and per-channel instruments.

#include "analyzers/notes.hpp"

#include <cstdint>
#include <vector>

namespace midilib {

/// One channel that has notes.
struct channel_stats
{
    std::uint8_t channel = 0;      ///< 0..15
    std::int16_t program = -1;     ///< first Program Change, -1 when none (GM then assumes 0)
    char const *program_name = ""; ///< GM name of program (or of 0 when none); "" on drum channels
    char const *family = "";       ///< GM family; "Drums" on drum channels
    bool drums = false;            ///< channel is in the drum mask
    std::uint64_t notes = 0;
};

/// Statistics over all notes of a file.
struct note_stats
{
    std::uint64_t count = 0;
    std::uint8_t min_pitch = 0; ///< 0 when there are no notes
    std::uint8_t max_pitch = 0;
    double mean_velocity = 0.0;
    double stdev_velocity = 0.0;         ///< population standard deviation
    std::uint32_t max_polyphony = 0;     ///< most notes sounding at once
    double mean_polyphony = 0.0;         ///< time-weighted over the time at least one note sounds
    double notes_per_second = 0.0;       ///< count / seconds from first onset to last release
    bool monophonic = false;             ///< pitched notes overlap less than MONOPHONIC_OVERLAP of the time
    std::vector<channel_stats> channels; ///< channels with notes, ascending
};

/// Share of the sounding time with two or more pitched notes that still counts as monophonic:
/// legato playing overlaps neighbours by a few milliseconds, which must not make a melody polyphonic.
constexpr double MONOPHONIC_OVERLAP = 0.05;

/// Computes note_stats; @p drum_mask marks drum channels (excluded from "monophonic").
note_stats compute_note_stats(note_list const &notes, std::uint16_t drum_mask);

} // namespace midilib
