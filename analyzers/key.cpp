#include "analyzers/key.hpp"

#include "analyzers/drums.hpp"

#include <algorithm>
#include <cmath>

namespace midilib {

namespace {

using profile_pair = std::array<std::array<double, 12>, 2>;

constexpr profile_pair KRUMHANSL_KESSLER{{{6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88},
                                          {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17}}};
constexpr profile_pair TEMPERLEY{
    {{0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400},
     {0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330}}};
constexpr profile_pair ALBRECHT_SHANAHAN{
    {{0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081},
     {0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052}}};

/// Window length and hop for modulations, in bars. Eight bars is one phrase in most tunes; a hop of
/// half a window places a change within four bars while keeping the window count small.
constexpr std::size_t WINDOW_BARS = 8;
constexpr std::size_t HOP_BARS = 4;
/// A window's key must beat the current key's correlation in that window by this much: smaller
/// margins turn passing secondary dominants into "modulations".
constexpr double MODULATION_MARGIN = 0.15;
/// Consecutive windows that must agree on a new key (persistence against noise).
constexpr int MODULATION_WINDOWS = 2;

/// Zero-mean, unit-norm copies of a profile pair so a correlation is one dot product.
std::array<std::array<double, 12>, 2> normalized(profile_pair const &p) noexcept
{
    std::array<std::array<double, 12>, 2> out{};
    for (std::size_t m = 0; m < 2; ++m) {
        double mean = 0.0;
        for (double v : p[m]) {
            mean += v / 12.0;
        }
        double norm = 0.0;
        for (std::size_t i = 0; i < 12; ++i) {
            out[m][i] = p[m][i] - mean;
            norm += out[m][i] * out[m][i];
        }
        norm = std::sqrt(norm);
        for (auto &v : out[m]) {
            v /= norm;
        }
    }
    return out;
}

key_estimate estimate_of(std::array<double, 24> const &corr, std::size_t index) noexcept
{
    return {static_cast<std::int8_t>(index % 12), index >= 12, corr[index]};
}

bool same_key(key_estimate const &a, key_estimate const &b) noexcept
{
    return a.tonic == b.tonic && a.minor == b.minor;
}

std::size_t key_index(key_estimate const &k) noexcept { return static_cast<std::size_t>(k.tonic) + (k.minor ? 12 : 0); }

/// Seconds per pitch class and bar: each note's duration is spread over the bars it overlaps.
std::vector<std::array<double, 12>> bar_profiles(note_list const &notes, std::vector<bar> const &bars,
                                                 std::uint16_t drum_mask)
{
    std::vector<std::array<double, 12>> per_bar(bars.size(), std::array<double, 12>{});
    // Full bars inside a long note get rate * bar length, via a difference array of rates per pitch class.
    std::vector<std::array<double, 12>> rate_delta(bars.size() + 1, std::array<double, 12>{});
    for (auto const &n : notes.notes) {
        if (on_drum_channel(n, drum_mask) || n.end_tick <= n.start_tick) {
            continue;
        }
        std::size_t const pc = n.pitch % 12;
        double const rate = (n.end_seconds - n.start_seconds) / static_cast<double>(n.end_tick - n.start_tick);
        std::size_t const b0 = bar_index(bars, n.start_tick);
        std::size_t const b1 = bar_index(bars, n.end_tick - 1);
        if (b0 == b1) {
            per_bar[b0][pc] += n.end_seconds - n.start_seconds;
            continue;
        }
        per_bar[b0][pc] += rate * static_cast<double>(bars[b0].start_tick + bars[b0].length_ticks - n.start_tick);
        per_bar[b1][pc] += rate *
                           static_cast<double>(std::min(n.end_tick, bars[b1].start_tick + bars[b1].length_ticks) -
                                               bars[b1].start_tick);
        rate_delta[b0 + 1][pc] += rate;
        rate_delta[b1][pc] -= rate;
    }
    std::array<double, 12> rate{};
    for (std::size_t b = 0; b < bars.size(); ++b) {
        for (std::size_t pc = 0; pc < 12; ++pc) {
            rate[pc] += rate_delta[b][pc];
            per_bar[b][pc] += rate[pc] * static_cast<double>(bars[b].length_ticks);
        }
    }
    return per_bar;
}

void find_modulations(std::vector<std::array<double, 12>> const &per_bar, std::vector<bar> const &bars,
                      key_profile profile, key_result &r)
{
    if (per_bar.size() < WINDOW_BARS + HOP_BARS) {
        return;
    }
    key_estimate current = r.key;
    key_estimate pending;
    int agree = 0;
    std::size_t pending_bar = 0;
    for (std::size_t start = 0; start + WINDOW_BARS <= per_bar.size(); start += HOP_BARS) {
        std::array<double, 12> pcp{};
        for (std::size_t b = start; b < start + WINDOW_BARS; ++b) {
            for (std::size_t pc = 0; pc < 12; ++pc) {
                pcp[pc] += per_bar[b][pc];
            }
        }
        auto const corr = key_correlations(pcp, profile);
        auto const [best, second] = best_keys(pcp, profile);
        (void)second;
        if (best.tonic < 0) {
            agree = 0;
            continue;
        }
        if (start == 0) {
            current = best; // the piece's opening key is where changes are counted from
            continue;
        }
        bool const change = !same_key(best, current) &&
                            best.correlation - corr[key_index(current)] >= MODULATION_MARGIN;
        if (!change) {
            agree = 0;
            continue;
        }
        if (agree > 0 && same_key(best, pending)) {
            ++agree;
        } else {
            pending = best;
            agree = 1;
            pending_bar = start + HOP_BARS; // the second half of the first window that hears the new key
        }
        if (agree >= MODULATION_WINDOWS) {
            std::size_t const at = std::min(pending_bar, bars.size() - 1);
            r.modulations.push_back({bars[at].start_seconds, static_cast<std::uint32_t>(at), pending});
            current = pending;
            agree = 0;
        }
    }
}

} // namespace

std::array<double, 24> key_correlations(std::array<double, 12> const &pcp, key_profile profile) noexcept
{
    static auto const TABLE = std::array{normalized(KRUMHANSL_KESSLER), normalized(TEMPERLEY),
                                         normalized(ALBRECHT_SHANAHAN)}; // immutable after first use
    auto const &p = TABLE[static_cast<std::size_t>(profile)];
    std::array<double, 24> corr{};
    double mean = 0.0;
    for (double v : pcp) {
        mean += v / 12.0;
    }
    std::array<double, 12> x{};
    double norm = 0.0;
    for (std::size_t i = 0; i < 12; ++i) {
        x[i] = pcp[i] - mean;
        norm += x[i] * x[i];
    }
    if (!(norm > 1e-18)) {
        return corr;
    }
    norm = std::sqrt(norm);
    for (std::size_t m = 0; m < 2; ++m) {
        for (std::size_t tonic = 0; tonic < 12; ++tonic) {
            double dot = 0.0;
            for (std::size_t i = 0; i < 12; ++i) {
                dot += x[(tonic + i) % 12] * p[m][i];
            }
            corr[m * 12 + tonic] = dot / norm;
        }
    }
    return corr;
}

std::pair<key_estimate, key_estimate> best_keys(std::array<double, 12> const &pcp, key_profile profile,
                                                int final_bass_pc) noexcept
{
    auto corr = key_correlations(pcp, profile);
    if (std::all_of(corr.begin(), corr.end(), [](double c) { return c == 0.0; })) {
        return {};
    }
    if (final_bass_pc >= 0 && final_bass_pc < 12) {
        corr[static_cast<std::size_t>(final_bass_pc)] += FINAL_TONIC_BONUS;
        corr[static_cast<std::size_t>(final_bass_pc) + 12] += FINAL_TONIC_BONUS;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < corr.size(); ++i) {
        if (corr[i] > corr[best]) {
            best = i;
        }
    }
    std::size_t second = best == 0 ? 1 : 0;
    for (std::size_t i = 0; i < corr.size(); ++i) {
        if (i != best && corr[i] > corr[second]) {
            second = i;
        }
    }
    return {estimate_of(corr, best), estimate_of(corr, second)};
}

std::array<double, 12> pitch_class_durations(note_list const &notes, std::uint16_t drum_mask) noexcept
{
    std::array<double, 12> pcp{};
    for (auto const &n : notes.notes) {
        if (!on_drum_channel(n, drum_mask)) {
            pcp[n.pitch % 12] += n.end_seconds - n.start_seconds;
        }
    }
    return pcp;
}

key_result analyze_key(note_list const &notes, std::vector<bar> const &bars, std::uint16_t drum_mask,
                       key_profile profile)
{
    key_result r;
    r.profile = pitch_class_durations(notes, drum_mask);
    auto const [best, second] = best_keys(r.profile, profile, final_bass_pitch_class(notes, drum_mask));
    r.key = best;
    r.runner_up = second;
    if (best.tonic < 0) {
        return r;
    }
    r.confidence = best.correlation - second.correlation;
    r.clear = r.confidence >= CLEAR_KEY_MARGIN;
    if (!bars.empty()) {
        find_modulations(bar_profiles(notes, bars, drum_mask), bars, profile, r);
    }
    return r;
}

int final_bass_pitch_class(note_list const &notes, std::uint16_t drum_mask) noexcept
{
    int bass = -1;
    std::uint64_t last_tick = 0;
    for (auto it = notes.notes.rbegin(); it != notes.notes.rend(); ++it) {
        if (((drum_mask >> it->channel) & 1U) != 0) {
            continue;
        }
        if (bass >= 0 && it->start_tick != last_tick) {
            break;
        }
        last_tick = it->start_tick;
        bass = bass < 0 ? it->pitch : std::min<int>(bass, it->pitch);
    }
    return bass < 0 ? -1 : bass % 12;
}

char const *pitch_class_name(int pc) noexcept
{
    static constexpr std::array<char const *, 12> NAMES{"C",  "C#", "D",  "Eb", "E",  "F",
                                                        "F#", "G",  "Ab", "A",  "Bb", "B"};
    return pc >= 0 && pc < 12 ? NAMES[static_cast<std::size_t>(pc)] : "";
}

} // namespace midilib
