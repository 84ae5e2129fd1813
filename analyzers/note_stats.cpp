#include "analyzers/note_stats.hpp"

#include "analyzers/drums.hpp"
#include "analyzers/gm_names.hpp"

#include <algorithm>
#include <cmath>

namespace midilib {

namespace {

/// End times kept by the per-thread scratch between files (64 KiB); a larger file's are given back.
constexpr std::size_t KEEP_ENDS = 8192;

struct polyphony
{
    std::uint32_t max = 0;
    double mean = 0.0;
    double overlap_share = 0.0; ///< share of sounding time with >= 2 notes
};

/// Sweeps note starts and ends in time order. @p include selects the notes; @p ends is scratch space.
/// Notes are sorted by start, so only the ends need sorting; at equal times ends come before starts.
template <typename Include>
polyphony sweep(std::vector<note> const &notes, Include include, std::vector<double> &ends)
{
    ends.clear();
    ends.reserve(notes.size()); // sized once: growth by doubling briefly held 1.75x the end times
    for (auto const &n : notes) {
        if (include(n) && n.end_seconds > n.start_seconds) {
            ends.push_back(n.end_seconds);
        }
    }
    std::sort(ends.begin(), ends.end());
    polyphony p;
    int sounding = 0;
    double sounding_time = 0.0;
    double weighted = 0.0;
    double overlap_time = 0.0;
    double last = 0.0;
    bool first = true;
    auto step = [&](double t, int delta) {
        if (first) {
            last = t;
            first = false;
        }
        double const dt = t - last;
        if (sounding > 0) {
            sounding_time += dt;
            weighted += dt * sounding;
            if (sounding > 1) {
                overlap_time += dt;
            }
        }
        last = t;
        sounding += delta;
        p.max = std::max(p.max, static_cast<std::uint32_t>(std::max(sounding, 0)));
    };
    auto end_at = ends.begin();
    for (auto const &n : notes) {
        if (!include(n) || !(n.end_seconds > n.start_seconds)) {
            continue;
        }
        for (; end_at != ends.end() && *end_at <= n.start_seconds; ++end_at) {
            step(*end_at, -1);
        }
        step(n.start_seconds, 1);
    }
    for (; end_at != ends.end(); ++end_at) {
        step(*end_at, -1);
    }
    if (sounding_time > 0) {
        p.mean = weighted / sounding_time;
        p.overlap_share = overlap_time / sounding_time;
    }
    return p;
}

} // namespace

note_stats compute_note_stats(note_list const &notes, std::uint16_t drum_mask)
{
    note_stats s;
    std::array<std::uint64_t, 16> per_channel{};
    s.min_pitch = 127;
    double sum = 0.0;
    double sum_sq = 0.0;
    double first = 0.0;
    double last = 0.0;
    for (auto const &n : notes.notes) {
        if (s.count == 0) {
            first = n.start_seconds;
        }
        ++s.count;
        ++per_channel[n.channel];
        s.min_pitch = std::min(s.min_pitch, n.pitch);
        s.max_pitch = std::max(s.max_pitch, n.pitch);
        sum += n.velocity;
        sum_sq += static_cast<double>(n.velocity) * n.velocity;
        last = std::max(last, n.end_seconds);
    }
    if (s.count == 0) {
        s.min_pitch = 0;
        return s;
    }
    auto const count = static_cast<double>(s.count);
    s.mean_velocity = sum / count;
    s.stdev_velocity = std::sqrt(std::max(0.0, sum_sq / count - s.mean_velocity * s.mean_velocity));
    s.notes_per_second = last > first ? count / (last - first) : 0.0;

    thread_local std::vector<double> ends; // scratch reused across calls; the result does not depend on it
    auto const all = sweep(
        notes.notes, [](note const &) { return true; }, ends);
    s.max_polyphony = std::max<std::uint32_t>(all.max, 1);
    s.mean_polyphony = all.mean;
    bool const any_drums = std::any_of(notes.notes.begin(), notes.notes.end(),
                                       [&](note const &n) { return on_drum_channel(n, drum_mask); });
    auto const pitched = any_drums
                             ? sweep(
                                   notes.notes, [&](note const &n) { return !on_drum_channel(n, drum_mask); }, ends)
                             : all;
    s.monophonic = pitched.overlap_share < MONOPHONIC_OVERLAP;
    // Like the note scratch in analyze(): one big file must not pin its end times in every thread.
    if (ends.capacity() > KEEP_ENDS) {
        std::vector<double>{}.swap(ends);
    }

    for (std::uint8_t ch = 0; ch < 16; ++ch) {
        if (per_channel[ch] == 0) {
            continue;
        }
        channel_stats c;
        c.channel = ch;
        c.program = notes.first_program[ch];
        c.drums = ((drum_mask >> ch) & 1U) != 0;
        c.notes = per_channel[ch];
        c.program_name = c.drums ? "" : gm_program_name(std::max<int>(c.program, 0));
        c.family = c.drums ? "Drums" : gm_family_name(std::max<int>(c.program, 0));
        s.channels.push_back(c);
    }
    return s;
}

} // namespace midilib
