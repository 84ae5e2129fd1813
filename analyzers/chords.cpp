#include "analyzers/chords.hpp"

#include <algorithm>
#include <cmath>

namespace midilib {

namespace {

/// A pitch class counts towards "is there a chord" when it has this share of the strongest one;
/// below it, passing notes and release tails do not make a single note into a chord.
constexpr double PRESENT_SHARE = 0.1;
/// Cosine scores closer than this are equal (the tie-break decides).
constexpr double TIE_EPSILON = 1e-9;
/// Beats a long note marks as bass candidate; drones longer than this only count towards weights.
constexpr std::size_t BASS_SPAN_BEATS = 16;
constexpr std::uint8_t NO_BASS = 0xFF;

constexpr std::array<char const *, CHORD_QUALITIES> SUFFIX{"", "m", "dim", "aug", "sus2", "sus4",
                                                           "7", "maj7", "m7", "m7b5", "dim7"};

/// Intervals of a template above its root (size 3 or 4), in enum order.
struct chord_shape
{
    std::array<std::uint8_t, 4> interval{};
    std::uint8_t size = 3;
};

constexpr std::array<chord_shape, CHORD_QUALITIES> TEMPLATES{{
    {{0, 4, 7, 0}, 3}, {{0, 3, 7, 0}, 3}, {{0, 3, 6, 0}, 3}, {{0, 4, 8, 0}, 3}, {{0, 2, 7, 0}, 3},
    {{0, 5, 7, 0}, 3}, {{0, 4, 7, 10}, 4}, {{0, 4, 7, 11}, 4}, {{0, 3, 7, 10}, 4}, {{0, 3, 6, 10}, 4},
    {{0, 3, 6, 9}, 4}}};

struct beat_grid
{
    std::vector<std::uint64_t> start;
    std::vector<std::uint64_t> length;
    std::vector<std::uint32_t> bar;
};

beat_grid make_beats(std::vector<bar> const &bars)
{
    beat_grid g;
    for (std::size_t b = 0; b < bars.size() && g.start.size() < MAX_CHORD_BEATS; ++b) {
        auto const &br = bars[b];
        for (std::uint64_t at = 0; at < br.length_ticks && g.start.size() < MAX_CHORD_BEATS; at += br.beat_ticks) {
            g.start.push_back(br.start_tick + at);
            g.length.push_back(std::min(br.beat_ticks, br.length_ticks - at));
            g.bar.push_back(static_cast<std::uint32_t>(b));
        }
    }
    return g;
}

/// Beat holding @p tick, searching from beat @p from on (the caller knows the beat is not earlier).
std::size_t beat_of(beat_grid const &g, std::uint64_t tick, std::size_t from = 0) noexcept
{
    auto const first = g.start.begin() + static_cast<std::ptrdiff_t>(from);
    auto it = std::upper_bound(first, g.start.end(), tick);
    return it == g.start.begin() ? 0 : static_cast<std::size_t>(it - g.start.begin()) - 1;
}

void summarize(chord_result &r, std::vector<bar> const &bars, double end_seconds)
{
    std::array<bool, 12 * CHORD_QUALITIES> seen{};
    chord previous;
    std::size_t first = bars.size();
    std::size_t last = 0;
    std::uint32_t chord_bars = 0;
    for (std::size_t b = 0; b < r.bars.size(); ++b) {
        auto const &c = r.bars[b];
        if (c.root < 0) {
            continue;
        }
        ++chord_bars;
        first = std::min(first, b);
        last = b;
        auto const code = static_cast<std::size_t>(c.root) * CHORD_QUALITIES + static_cast<std::size_t>(c.quality);
        if (!seen[code]) {
            seen[code] = true;
            ++r.distinct;
        }
        if (previous.root >= 0 && !(previous == c)) {
            ++r.changes;
        }
        previous = c;
    }
    if (chord_bars == 0) {
        return;
    }
    r.changes_per_bar = static_cast<double>(r.changes) / chord_bars;
    double const end = last + 1 < bars.size() ? bars[last + 1].start_seconds : end_seconds;
    double const minutes = (end - bars[first].start_seconds) / 60.0;
    r.changes_per_minute = minutes > 0 ? r.changes / minutes : 0.0;
}

} // namespace

std::uint16_t chord_template(chord_quality q) noexcept
{
    auto const &t = TEMPLATES[static_cast<std::size_t>(q)];
    std::uint16_t b = 0;
    for (std::size_t i = 0; i < t.size; ++i) {
        b = static_cast<std::uint16_t>(b | (1U << t.interval[i]));
    }
    return b;
}

chord match_chord(std::array<double, 12> const &weights, int bass_pc) noexcept
{
    chord best;
    double const strongest = *std::max_element(weights.begin(), weights.end());
    if (!(strongest > 0)) {
        return best;
    }
    double norm = 0.0;
    int present = 0;
    for (double w : weights) {
        norm += w * w;
        present += w >= PRESENT_SHARE * strongest ? 1 : 0;
    }
    if (present < 2) {
        return best;
    }
    norm = std::sqrt(norm);
    // Weights doubled so every template's intervals index without a modulo. All 132 scores are
    // computed first (a branch-free loop the compiler vectorizes), then scanned with the tie rule.
    std::array<double, 24> w2{};
    std::copy(weights.begin(), weights.end(), w2.begin());
    std::copy(weights.begin(), weights.end(), w2.begin() + 12);
    std::array<double, 12 * CHORD_QUALITIES> scores{};
    for (std::size_t q = 0; q < CHORD_QUALITIES; ++q) {
        auto const &t = TEMPLATES[q];
        double const scale = 1.0 / (std::sqrt(static_cast<double>(t.size)) * norm);
        double const *a = w2.data() + t.interval[0];
        double const *b = w2.data() + t.interval[1];
        double const *c = w2.data() + t.interval[2];
        double const *d = w2.data() + t.interval[3];
        double const fourth = t.size == 4 ? 1.0 : 0.0;
        for (std::size_t root = 0; root < 12; ++root) {
            scores[q * 12 + root] = (a[root] + b[root] + c[root] + fourth * d[root]) * scale;
        }
    }
    double best_score = -1.0;
    bool best_on_bass = false;
    for (std::size_t q = 0; q < CHORD_QUALITIES; ++q) {
        for (int root = 0; root < 12; ++root) {
            double const score = scores[q * 12 + static_cast<std::size_t>(root)];
            bool const on_bass = root == bass_pc;
            // Iteration runs in (quality, root) order, so a tie only switches to a template on the bass.
            if (score > best_score + TIE_EPSILON || (score >= best_score - TIE_EPSILON && on_bass && !best_on_bass)) {
                best_score = score;
                best_on_bass = on_bass;
                best.root = static_cast<std::int8_t>(root);
                best.quality = static_cast<chord_quality>(q);
            }
        }
    }
    best.score = best_score;
    return best;
}

std::string chord_name(chord const &c)
{
    static constexpr std::array<char const *, 12> ROOTS{"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
    if (c.root < 0 || c.root > 11) {
        return "N";
    }
    return std::string{ROOTS[static_cast<std::size_t>(c.root)]} + SUFFIX[static_cast<std::size_t>(c.quality)];
}

chord_result analyze_chords(note_list const &notes, std::vector<bar> const &bars, std::uint16_t drum_mask)
{
    chord_result r;
    beat_grid const g = make_beats(bars);
    if (g.start.empty()) {
        return r;
    }
    std::size_t const beats = g.start.size();
    std::uint64_t const grid_end = g.start.back() + g.length.back();
    std::vector<std::array<double, 12>> weight(beats, std::array<double, 12>{});
    std::vector<std::array<double, 12>> full_delta(beats + 1, std::array<double, 12>{});
    std::vector<std::uint8_t> bass(beats, NO_BASS);
    std::size_t start_beat = 0; // notes come sorted by start tick, so their start beat only moves forward
    for (auto const &n : notes.notes) {
        if (((drum_mask >> n.channel) & 1U) != 0 || n.end_tick <= n.start_tick || n.start_tick >= grid_end) {
            continue;
        }
        std::size_t const pc = n.pitch % 12;
        std::uint64_t const end = std::min(n.end_tick, grid_end);
        while (start_beat + 1 < beats && g.start[start_beat + 1] <= n.start_tick) {
            ++start_beat;
        }
        std::size_t const b0 = start_beat;
        std::size_t const b1 = b0 + 1 < beats && g.start[b0 + 1] <= end - 1 ? beat_of(g, end - 1, b0 + 1) : b0;
        auto share = [&](std::size_t b, std::uint64_t from, std::uint64_t to) {
            weight[b][pc] += static_cast<double>(to - from) / static_cast<double>(g.length[b]);
        };
        if (b0 == b1) {
            share(b0, n.start_tick, end);
        } else {
            share(b0, n.start_tick, g.start[b0] + g.length[b0]);
            share(b1, g.start[b1], end);
            full_delta[b0 + 1][pc] += 1.0; // every beat strictly between b0 and b1 is fully covered
            full_delta[b1][pc] -= 1.0;
        }
        for (std::size_t b = b0; b <= b1 && b < b0 + BASS_SPAN_BEATS; ++b) {
            bass[b] = std::min(bass[b], n.pitch);
        }
    }
    std::array<double, 12> running{};
    r.beats.reserve(beats);
    r.bars.assign(bars.size(), chord{});
    std::array<double, 12> bar_weight{};
    std::uint8_t bar_bass = NO_BASS;
    for (std::size_t b = 0; b < beats; ++b) {
        for (std::size_t pc = 0; pc < 12; ++pc) {
            running[pc] += full_delta[b][pc];
            weight[b][pc] += running[pc];
            bar_weight[pc] += weight[b][pc] * static_cast<double>(g.length[b]);
        }
        bar_bass = std::min(bar_bass, bass[b]);
        if (b > 0 && weight[b] == weight[b - 1] && bass[b] == bass[b - 1]) {
            r.beats.push_back(r.beats.back()); // a held chord: same input, same label
        } else {
            r.beats.push_back(match_chord(weight[b], bass[b] == NO_BASS ? -1 : bass[b] % 12));
        }
        if (b + 1 == beats || g.bar[b + 1] != g.bar[b]) {
            r.bars[g.bar[b]] = match_chord(bar_weight, bar_bass == NO_BASS ? -1 : bar_bass % 12);
            bar_weight = {};
            bar_bass = NO_BASS;
        }
    }
    r.bars.resize(g.bar.back() + 1U);
    summarize(r, bars, notes.end_seconds);
    return r;
}

} // namespace midilib
