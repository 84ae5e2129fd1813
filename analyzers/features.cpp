#include "analyzers/features.hpp"

#include "analyzers/drums.hpp"

#include <algorithm>
#include <cmath>

namespace midilib {

namespace {

/// 1/sqrt(2): the largest Hellinger distance between two histograms is sqrt(2).
constexpr double HISTOGRAM_SCALE = 0.70710678118654752;
/// Weight of a single value: half a histogram part.
constexpr double SCALAR_WEIGHT = 0.5;
/// Onsets per second mapped to 0..1 over 2^-2 .. 2^5 (a slow chorale to a fast run).
constexpr double MIN_LOG_DENSITY = -2.0;
constexpr double MAX_LOG_DENSITY = 5.0;
/// Tempo mapped to 0..1 over 40 .. 240 BPM, the tempo estimate's range.
constexpr double MIN_BPM = 40.0;
constexpr double MAX_BPM = 240.0;

/// GM programs 16..23 (organs) and 40..95 (strings, ensembles, brass, reeds, pipes, synth leads and pads) hold notes.
bool sustained_program(int program) noexcept
{
    return (program >= 16 && program <= 23) || (program >= 40 && program <= 95);
}

/// Writes sqrt(share) * HISTOGRAM_SCALE of @p counts into @p out from @p at.
template <std::size_t N>
void put_histogram(feature_vector &out, std::size_t at, std::array<double, N> const &counts)
{
    double total = 0.0;
    for (double c : counts) {
        total += c;
    }
    for (std::size_t i = 0; i < N; ++i) {
        out[at + i] = total > 0 ? static_cast<float>(std::sqrt(counts[i] / total) * HISTOGRAM_SCALE) : 0.0F;
    }
}

double unit(double v, double lo, double hi) noexcept { return std::clamp((v - lo) / (hi - lo), 0.0, 1.0); }

} // namespace

feature_vector compute_features(note_list const &notes, std::uint16_t drum_mask, key_result const &key, double bpm)
{
    feature_vector f{};
    std::array<double, 12> pcs{};
    int const tonic = std::max<int>(key.key.tonic, 0);
    for (std::size_t pc = 0; pc < 12; ++pc) {
        pcs[pc] = key.profile[(pc + static_cast<std::size_t>(tonic)) % 12];
    }
    put_histogram(f, FEATURE_PITCH_CLASSES, pcs);

    std::array<double, 4> steps{};
    std::array<double, 4> places{};
    std::uint64_t const tpq = std::max<std::uint32_t>(notes.ticks_per_quarter, 1);
    std::size_t drums = 0;
    std::size_t sustained = 0;
    std::size_t onsets = 0;
    std::uint64_t onset_tick = 0;
    std::uint64_t top_tick = 0;
    int top = -1;
    int previous_top = -1;
    auto close_top = [&] {
        if (top >= 0 && previous_top >= 0) {
            int const step = std::abs(top - previous_top);
            ++steps[step == 0 ? 0 : step <= 2 ? 1 : step <= 5 ? 2 : 3];
        }
        previous_top = top >= 0 ? top : previous_top;
        top = -1;
    };
    for (auto const &n : notes.notes) {
        if (onsets == 0 || n.start_tick != onset_tick) {
            ++onsets;
            onset_tick = n.start_tick;
            std::uint64_t const grid = (n.start_tick * 12 + tpq / 2) / tpq % 12;
            ++places[grid == 0 ? 0 : grid == 6 ? 1 : grid % 3 == 0 ? 2 : 3];
        }
        if (on_drum_channel(n, drum_mask)) {
            ++drums;
            continue;
        }
        sustained += sustained_program(notes.first_program[n.channel]) ? 1 : 0;
        if (top >= 0 && n.start_tick != top_tick) {
            close_top();
        }
        top_tick = n.start_tick;
        top = std::max<int>(top, n.pitch);
    }
    close_top();
    put_histogram(f, FEATURE_INTERVALS, steps);
    put_histogram(f, FEATURE_ONSETS, places);

    auto const count = static_cast<double>(notes.notes.size());
    auto const pitched = count - static_cast<double>(drums);
    f[FEATURE_DRUMS] = static_cast<float>(count > 0 ? SCALAR_WEIGHT * static_cast<double>(drums) / count : 0.0);
    f[FEATURE_SUSTAINED] = static_cast<float>(pitched > 0 ? SCALAR_WEIGHT * static_cast<double>(sustained) / pitched
                                                          : 0.0);
    double const seconds = notes.notes.empty() ? 0.0 : notes.end_seconds - notes.notes.front().start_seconds;
    if (seconds > 0 && onsets > 0) {
        double const density = std::log2(static_cast<double>(onsets) / seconds);
        f[FEATURE_DENSITY] = static_cast<float>(SCALAR_WEIGHT * unit(density, MIN_LOG_DENSITY, MAX_LOG_DENSITY));
    }
    if (bpm > 0 && std::isfinite(bpm)) {
        f[FEATURE_TEMPO] = static_cast<float>(SCALAR_WEIGHT *
                                              unit(std::log2(bpm), std::log2(MIN_BPM), std::log2(MAX_BPM)));
    }
    return f;
}

double feature_distance(feature_vector const &a, feature_vector const &b) noexcept
{
    double sum = 0.0;
    for (std::size_t i = 0; i < FEATURE_DIMS; ++i) {
        double const d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
        sum += d * d;
    }
    return std::sqrt(sum);
}

} // namespace midilib
