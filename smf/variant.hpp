#pragma once
/// Edited copies of a MIDI file, the edits a collection shows between copies of one piece:
/// transposed, re-tempo'd, re-saved at another resolution or layout, re-voiced, humanized, a part more or less.

#include "smf/event_list.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace midilib {

/// How the tracks of the copy are laid out.
enum class track_layout : std::uint8_t {
    keep,         ///< as the original
    format0,      ///< every event merged into one track (format 0)
    split_reverse ///< format 1: metas in track 0, one track per channel, in reverse channel order
};

/// The edits of one copy; the defaults change nothing.
struct variant_edits
{
    int transpose = 0;         ///< semitones added to every note outside the kept channels
    double tempo_factor = 1.0; ///< tempo events scaled (1.1 plays 10 % faster)
    std::uint16_t ppq = 0;     ///< new ticks per quarter, every time rescaled (0 keeps it; ppq files only)
    bool programs = false;     ///< every Program Change outside the kept channels moves to another program
    bool velocities = false;   ///< note-on velocities compressed and raised
    bool track_names = false;  ///< every track name replaced
    track_layout layout = track_layout::keep;
    bool renumber_channels = false; ///< channels outside the kept ones permuted among themselves
    double jitter_beats = 0.0;      ///< each note moved by up to this share of a beat, either way
    bool drop_part = false;         ///< one pitched channel removed (when three or more play)
    bool add_part = false;          ///< a bass part added on a free channel: the lowest note of each beat
    std::uint64_t seed = 1;         ///< picks the jitter, the permutation and the dropped part
};

/**
 * The bytes of @p original edited by @p edits. Channels in @p keep_channels (bit n = channel n; the
 * drum channels) are never transposed, renumbered, given programs, dropped or used for an added part.
 */
std::vector<std::uint8_t> make_variant(smf_file const &original, variant_edits const &edits,
                                       std::uint16_t keep_channels);

/// Pitched channels (outside @p keep_channels) that play at least one note in @p file.
int pitched_parts(smf_file const &file, std::uint16_t keep_channels);

} // namespace midilib
