#include "analyzers/chords.hpp"

#include "analyzers/drums.hpp"

#include <algorithm>
#include <cmath>
#include <map>

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
/// Beats whose weights are held at once (96 KiB of scratch): minutes of music, so few notes sound
/// across a window's end; at least BASS_SPAN_BEATS, so a note's bass marks reach one window ahead at most.
constexpr std::size_t WINDOW_BEATS = 512;
static_assert(WINDOW_BEATS >= BASS_SPAN_BEATS);

constexpr std::array<char const *, CHORD_QUALITIES> SUFFIX{"",  "m",    "dim", "aug",  "sus2", "sus4",
                                                           "7", "maj7", "m7",  "m7b5", "dim7"};

/// Intervals of a template above its root (size 3 or 4), in enum order.
struct chord_shape
{
    std::array<std::uint8_t, 4> interval{};
    std::uint8_t size = 3;
};

constexpr std::array<chord_shape, CHORD_QUALITIES> TEMPLATES{{{{0, 4, 7, 0}, 3},
                                                              {{0, 3, 7, 0}, 3},
                                                              {{0, 3, 6, 0}, 3},
                                                              {{0, 4, 8, 0}, 3},
                                                              {{0, 2, 7, 0}, 3},
                                                              {{0, 5, 7, 0}, 3},
                                                              {{0, 4, 7, 10}, 4},
                                                              {{0, 4, 7, 11}, 4},
                                                              {{0, 3, 7, 10}, 4},
                                                              {{0, 3, 6, 10}, 4},
                                                              {{0, 3, 6, 9}, 4}}};

struct beat_grid
{
    std::vector<std::uint64_t> start;
    std::vector<std::uint64_t> length;
    std::vector<std::uint32_t> bar;
};

/// What notes of earlier windows add to a beat of a later one: their end shares, summed in note
/// order from 0 as the beat's own weights would be, and the end of their full coverage. Kept per
/// beat, so even a hostile file holds no more of them than the whole-file arrays had beats.
struct beat_carry
{
    std::array<double, 12> share{};
    std::array<double, 12> full_delta{};
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
    static constexpr std::array<char const *, 12> ROOTS{"C",  "C#", "D",  "Eb", "E",  "F",
                                                        "F#", "G",  "Ab", "A",  "Bb", "B"};
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
    // Beat weights are built one window of beats at a time, not for the whole file at once (a
    // large file's two whole-file arrays took 1.4 MB). Each beat's weights get the same additions
    // in the same order as with whole-file arrays, so the labels do not change: notes come sorted,
    // and what a note adds past the window (its end share, and the end of its full coverage) is
    // kept in @c later until that window, where it comes first, as those notes came first.
    std::size_t const window = std::min(beats, WINDOW_BEATS);
    std::vector<std::array<double, 12>> weight(window);
    std::vector<std::array<double, 12>> full_delta(window + 1); ///< change in notes covering the whole beat
    std::vector<std::uint8_t> bass(window, NO_BASS);
    std::array<std::uint8_t, BASS_SPAN_BEATS> bass_ahead{}; ///< bass of the beats just past the window
    bass_ahead.fill(NO_BASS);
    std::map<std::size_t, beat_carry> later;
    std::array<double, 12> full_from_start{}; ///< full_delta carried to the first beat of the next window
    std::array<double, 12> running{};         ///< notes covering the beat whole (whole numbers: exact in any order)
    std::array<double, 12> previous_weight{}; ///< of the last beat of the previous window
    std::uint8_t previous_bass = NO_BASS;
    r.beats.reserve(beats);
    r.bars.assign(bars.size(), chord{});
    std::array<double, 12> bar_weight{};
    std::uint8_t bar_bass = NO_BASS;
    std::size_t start_beat = 0; // notes come sorted by start tick, so their start beat only moves forward
    std::size_t next_note = 0;
    for (std::size_t w0 = 0; w0 < beats; w0 += window) {
        std::size_t const w1 = std::min(w0 + window, beats);
        if (w0 > 0) { // the arrays start zeroed (one window is all most files need)
            std::fill(weight.begin(), weight.end(), std::array<double, 12>{});
            std::fill(full_delta.begin(), full_delta.end(), std::array<double, 12>{});
            full_delta[0] = full_from_start;
            std::fill(bass.begin(), bass.end(), NO_BASS);
            std::copy_n(bass_ahead.begin(), std::min(bass_ahead.size(), w1 - w0), bass.begin());
            bass_ahead.fill(NO_BASS);
        }
        for (auto it = later.begin(); it != later.end() && it->first < w1; it = later.erase(it)) {
            weight[it->first - w0] = it->second.share; // both summed from 0 in note order
            for (std::size_t pc = 0; pc < 12; ++pc) {
                full_delta[it->first - w0][pc] += it->second.full_delta[pc];
            }
        }
        for (; next_note < notes.notes.size(); ++next_note) {
            auto const &n = notes.notes[next_note];
            if (on_drum_channel(n, drum_mask) || n.end_tick <= n.start_tick || n.start_tick >= grid_end) {
                continue;
            }
            while (start_beat + 1 < beats && g.start[start_beat + 1] <= n.start_tick) {
                ++start_beat;
            }
            std::size_t const b0 = start_beat;
            if (b0 >= w1) {
                break; // the note starts in a later window
            }
            std::size_t const pc = n.pitch % 12;
            std::uint64_t const end = std::min(n.end_tick, grid_end);
            std::size_t const b1 = b0 + 1 < beats && g.start[b0 + 1] <= end - 1 ? beat_of(g, end - 1, b0 + 1) : b0;
            auto share = [&](std::size_t b, std::uint64_t from, std::uint64_t to) {
                return static_cast<double>(to - from) / static_cast<double>(g.length[b]);
            };
            if (b0 == b1) {
                weight[b0 - w0][pc] += share(b0, n.start_tick, end);
            } else {
                weight[b0 - w0][pc] += share(b0, n.start_tick, g.start[b0] + g.length[b0]);
                double const end_share = share(b1, g.start[b1], end);
                if (b1 < w1) {
                    weight[b1 - w0][pc] += end_share;
                    full_delta[b1 - w0][pc] -= 1.0;
                } else {
                    auto &c = later[b1];
                    c.share[pc] += end_share;
                    c.full_delta[pc] -= 1.0;
                }
                full_delta[b0 + 1 - w0][pc] += 1.0; // every beat strictly between b0 and b1 is fully covered
            }
            for (std::size_t b = b0; b <= b1 && b < b0 + BASS_SPAN_BEATS; ++b) {
                auto &at = b < w1 ? bass[b - w0] : bass_ahead[b - w1];
                at = std::min(at, n.pitch);
            }
        }
        for (std::size_t b = w0; b < w1; ++b) {
            auto &w = weight[b - w0];
            std::uint8_t const beat_bass = bass[b - w0];
            for (std::size_t pc = 0; pc < 12; ++pc) {
                running[pc] += full_delta[b - w0][pc];
                w[pc] += running[pc];
                bar_weight[pc] += w[pc] * static_cast<double>(g.length[b]);
            }
            bar_bass = std::min(bar_bass, beat_bass);
            auto const &before = b > w0 ? weight[b - w0 - 1] : previous_weight;
            std::uint8_t const bass_before = b > w0 ? bass[b - w0 - 1] : previous_bass;
            if (b > 0 && w == before && beat_bass == bass_before) {
                r.beats.push_back(r.beats.back()); // a held chord: same input, same label
            } else {
                r.beats.push_back(match_chord(w, beat_bass == NO_BASS ? -1 : beat_bass % 12));
            }
            if (b + 1 == beats || g.bar[b + 1] != g.bar[b]) {
                r.bars[g.bar[b]] = match_chord(bar_weight, bar_bass == NO_BASS ? -1 : bar_bass % 12);
                bar_weight = {};
                bar_bass = NO_BASS;
            }
        }
        full_from_start = full_delta[w1 - w0];
        previous_weight = weight[w1 - w0 - 1];
        previous_bass = bass[w1 - w0 - 1];
    }
    r.bars.resize(g.bar.back() + 1U);
    summarize(r, bars, notes.end_seconds);
    return r;
}

} // namespace midilib
