#pragma once
/// Drum detection and groove features: channel 10, plus channels that clearly play a GM drum kit.

#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace midilib {

/// The GM drum channel (channel 10, index 9).
constexpr std::uint8_t GM_DRUM_CHANNEL = 9;

/// True when @p n plays on a channel set in @p drum_mask (bit n = channel n, as drum_channels()).
constexpr bool on_drum_channel(note const &n, std::uint16_t drum_mask) noexcept
{
    return ((drum_mask >> n.channel) & 1U) != 0;
}

/// One kit piece used in the file.
struct drum_piece
{
    std::uint8_t note = 0; ///< GM key 35..81 (other keys are counted under their number, name "")
    char const *name = ""; ///< GM percussion name (static storage)
    std::uint64_t hits = 0;
};

/// Drum features of one file. All zero / empty when has_drums is false.
struct drum_result
{
    bool has_drums = false;
    std::uint16_t channels = 0;      ///< bit n = channel n (0-based) plays drums
    std::uint64_t hits = 0;          ///< drum note-ons
    std::vector<drum_piece> kit;     ///< pieces used, by key
    double hits_per_bar = 0.0;       ///< over the bars from the first to the last drum hit
    std::array<double, 16> groove{}; ///< mean hits per bar on each 16th step (bars of any meter scaled to 16 steps)
    double swing_8th = 0.0;          ///< long/short ratio of 8th pairs (1 straight, 2 triplet swing); 0 = unknown
    double swing_16th = 0.0;         ///< the same for 16th pairs; 0 = unknown
};

/**
 * Channels playing drums: channel 10 when it has notes, and any other channel with no Program Change
 * whose notes all lie in the GM kit range and look like a kit (short hits on kick, snare and hi-hat keys).
 * Conservative: a melodic or chord channel is never reported.
 */
std::uint16_t drum_channels(note_list const &notes);

/// Drum features over the channels in @p mask (from drum_channels()).
drum_result analyze_drums(note_list const &notes, std::vector<bar> const &bars, std::uint16_t mask);

} // namespace midilib
