#include "analyzers/drums.hpp"

#include "analyzers/gm_names.hpp"

#include <algorithm>

namespace midilib {

namespace {

/// A non-drum channel needs this many notes before it can be called a kit: fewer hits say too little.
constexpr std::size_t MIN_KIT_NOTES = 16;
/// Share of notes on kick, snare and hi-hat keys. Drum parts are built on them (groove-midi: > 80 %);
/// a chord track that happens to sit in the kit range rarely stays on these seven keys.
constexpr double MIN_CORE_SHARE = 0.7;
/// Hits each of kick, snare and hi-hat needs: a kit plays all three repeatedly.
constexpr std::size_t MIN_FAMILY_HITS = 4;
/// Median note length of a kit channel. Drum hits are short triggers; melodies and chords of the
/// same keys last a beat or more (0.5 s at 120 BPM), so 0.15 s leaves a wide margin.
constexpr double MAX_KIT_MEDIAN_SECONDS = 0.15;
/// Off-beat samples needed before a swing ratio is reported (fewer give a noisy ratio).
constexpr std::size_t MIN_SWING_SAMPLES = 8;
/// Phase window (fraction of the beat or half beat) holding off-beat notes, from straight (0.5)
/// to beyond triplet swing (0.667); it stops short of 0.75 where the next 16th sits.
constexpr double SWING_LOW = 0.4;
constexpr double SWING_HIGH = 0.72;

enum kit_family { KICK, SNARE, HAT, OTHER };

kit_family family_of(std::uint8_t key)
{
    switch (gm_drum_role_of(key)) {
    case gm_drum_role::kick: return KICK;
    case gm_drum_role::snare: return SNARE;
    case gm_drum_role::closed_hat:
    case gm_drum_role::pedal_hat:
    case gm_drum_role::open_hat: return HAT;
    default: return OTHER; // a side stick is no snare hit for telling a kit from a chord track
    }
}

bool looks_like_kit(note_list const &notes, std::uint8_t channel)
{
    std::array<std::size_t, 4> family{};
    std::vector<double> lengths;
    for (auto const &n : notes.notes) {
        if (n.channel != channel) {
            continue;
        }
        if (n.pitch < GM_DRUM_FIRST || n.pitch > GM_DRUM_LAST) {
            return false;
        }
        ++family[family_of(n.pitch)];
        lengths.push_back(n.end_seconds - n.start_seconds);
    }
    if (lengths.size() < MIN_KIT_NOTES) {
        return false;
    }
    std::size_t const core = family[KICK] + family[SNARE] + family[HAT];
    if (static_cast<double>(core) < MIN_CORE_SHARE * static_cast<double>(lengths.size()) ||
        family[KICK] < MIN_FAMILY_HITS || family[SNARE] < MIN_FAMILY_HITS || family[HAT] < MIN_FAMILY_HITS) {
        return false;
    }
    auto mid = lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2);
    std::nth_element(lengths.begin(), mid, lengths.end());
    return *mid <= MAX_KIT_MEDIAN_SECONDS;
}

/// Mean phase of the samples turned into a long/short ratio, 0 when there are too few.
double swing_ratio(double phase_sum, std::size_t samples)
{
    if (samples < MIN_SWING_SAMPLES) {
        return 0.0;
    }
    double const p = phase_sum / static_cast<double>(samples);
    return p / (1.0 - p);
}

} // namespace

std::uint16_t drum_channels(note_list const &notes)
{
    std::uint16_t mask = 0;
    if (!notes.onsets[GM_DRUM_CHANNEL].empty()) {
        mask |= 1U << GM_DRUM_CHANNEL;
    }
    for (std::uint8_t ch = 0; ch < 16; ++ch) {
        if (ch != GM_DRUM_CHANNEL && notes.first_program[ch] < 0 && notes.onsets[ch].size() >= MIN_KIT_NOTES &&
            looks_like_kit(notes, ch)) {
            mask = static_cast<std::uint16_t>(mask | (1U << ch));
        }
    }
    return mask;
}

drum_result analyze_drums(note_list const &notes, std::vector<bar> const &bars, std::uint16_t mask)
{
    drum_result r;
    r.channels = mask;
    if (mask == 0 || bars.empty()) {
        return r;
    }
    std::array<std::uint64_t, 128> per_key{};
    std::size_t bar_at = 0;
    std::size_t first_bar = bars.size();
    std::size_t last_bar = 0;
    double phase8 = 0.0;
    double phase16 = 0.0;
    std::size_t samples8 = 0;
    std::size_t samples16 = 0;
    for (auto const &n : notes.notes) {
        if (!on_drum_channel(n, mask)) {
            continue;
        }
        ++r.hits;
        ++per_key[n.pitch];
        while (bar_at + 1 < bars.size() && bars[bar_at + 1].start_tick <= n.start_tick) {
            ++bar_at;
        }
        auto const &b = bars[bar_at];
        first_bar = std::min(first_bar, bar_at);
        last_bar = bar_at;
        std::uint64_t const offset = n.start_tick - b.start_tick;
        double const pos = static_cast<double>(offset) / static_cast<double>(b.length_ticks);
        auto const step = static_cast<std::size_t>(std::min(pos * 16.0 + 0.5, 16.0)) % 16;
        r.groove[step] += 1.0;
        if (b.denominator == 4) { // swing is measured against quarter-note beats only
            double const beat = static_cast<double>(b.beat_ticks);
            double const f = static_cast<double>(offset % b.beat_ticks) / beat;
            if (f > SWING_LOW && f < SWING_HIGH) {
                phase8 += f;
                ++samples8;
            }
            double const g = f < 0.5 ? f * 2.0 : f * 2.0 - 1.0;
            if (g > SWING_LOW && g < SWING_HIGH) {
                phase16 += g;
                ++samples16;
            }
        }
    }
    if (r.hits == 0) {
        return r;
    }
    r.has_drums = true;
    double const bar_count = static_cast<double>(last_bar - first_bar + 1);
    r.hits_per_bar = static_cast<double>(r.hits) / bar_count;
    for (auto &g : r.groove) {
        g /= bar_count;
    }
    for (std::size_t key = 0; key < per_key.size(); ++key) {
        if (per_key[key] > 0) {
            r.kit.push_back({static_cast<std::uint8_t>(key), gm_drum_name(static_cast<int>(key)), per_key[key]});
        }
    }
    r.swing_8th = swing_ratio(phase8, samples8);
    r.swing_16th = swing_ratio(phase16, samples16);
    return r;
}

} // namespace midilib
