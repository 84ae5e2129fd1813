#include "analyzers/meter.hpp"

#include <algorithm>

namespace midilib {

namespace {

bar make_bar(std::uint64_t start, std::uint32_t tpq, std::uint8_t num, std::uint8_t den)
{
    bar b;
    b.start_tick = start;
    b.numerator = num;
    b.denominator = den;
    std::uint64_t const unit = std::max<std::uint64_t>(1, (std::uint64_t{tpq} * 4 + den / 2) / den);
    bool const compound = den >= 8 && num >= 6 && num % 3 == 0;
    b.beat_ticks = compound ? unit * 3 : unit;
    b.length_ticks = std::max<std::uint64_t>(1, unit * num);
    return b;
}

} // namespace

void bar_grid(note_list const &notes, tempo_map const &map, std::uint64_t end, std::vector<bar> &out,
              std::size_t max_bars)
{
    out.clear();
    std::uint32_t const tpq = std::max<std::uint32_t>(1, notes.ticks_per_quarter);
    std::uint8_t num = 4;
    std::uint8_t den = 4;
    std::size_t next_ts = 0;
    std::uint64_t tick = 0;
    max_bars = std::max<std::size_t>(1, max_bars);
    while (out.size() < max_bars) {
        while (next_ts < notes.meter.size() && notes.meter[next_ts].tick <= tick) {
            num = notes.meter[next_ts].numerator;
            den = notes.meter[next_ts].denominator;
            ++next_ts;
        }
        bar b = make_bar(tick, tpq, num, den);
        if (next_ts < notes.meter.size() && notes.meter[next_ts].tick < tick + b.length_ticks) {
            b.length_ticks = notes.meter[next_ts].tick - tick; // cut short by a time signature change
        }
        b.start_seconds = map.seconds_at(tick);
        out.push_back(b);
        tick += b.length_ticks;
        if (tick > end) {
            break;
        }
    }
}

std::size_t bar_index(std::vector<bar> const &bars, std::uint64_t tick) noexcept
{
    auto it = std::upper_bound(bars.begin(), bars.end(), tick,
                               [](std::uint64_t t, bar const &b) { return t < b.start_tick; });
    return it == bars.begin() ? 0 : static_cast<std::size_t>(it - bars.begin()) - 1;
}

} // namespace midilib
