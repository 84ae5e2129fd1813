#pragma once
/// Bars and beats from the time signatures of a note_list (4/4 when the file declares none).

#include "analyzers/notes.hpp"
#include "analyzers/tempo_map.hpp"

#include <cstdint>
#include <vector>

namespace midilib {

/// One bar of the grid.
struct bar
{
    std::uint64_t start_tick = 0;
    double start_seconds = 0.0;
    std::uint64_t length_ticks = 1; ///< > 0
    std::uint64_t beat_ticks = 1;   ///< > 0; a dotted quarter in 6/8, 9/8 and 12/8
    std::uint8_t numerator = 4;
    std::uint8_t denominator = 4;
};

/// Bars built per file are capped: 100,000 bars is over 3 hours of 4/4 at 120 BPM, and the cap
/// keeps a file with a note at tick 2^28 and ppq 1 from making millions of empty bars.
constexpr std::size_t MAX_BARS = 100'000;

/**
 * Fills @p out with the bars that cover ticks [0, end] (at least one bar, at most @p max_bars).
 * A time signature change starts a new bar even if the previous bar is incomplete.
 */
void bar_grid(note_list const &notes, tempo_map const &map, std::uint64_t end, std::vector<bar> &out,
              std::size_t max_bars = MAX_BARS);

/// Index of the bar holding @p tick (the last bar when past the grid); @p bars must not be empty.
std::size_t bar_index(std::vector<bar> const &bars, std::uint64_t tick) noexcept;

} // namespace midilib
