#include "analyzers/tempo_estimate.hpp"

#include "analyzers/drums.hpp"
#include "analyzers/gm_names.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <tuple>
#include <vector>

namespace midilib {

namespace {

/// Onsets closer than this are one event (a chord or a flam); human chords spread up to ~30 ms.
constexpr double MERGE_SECONDS = 0.025;
/// Onsets used by the estimator: 5,000 onsets is several minutes of dense music; the cap bounds the
/// pair loops below at MAX_ONSETS * MAX_PAIRS_PER_ONSET histogram updates.
constexpr std::size_t MAX_ONSETS = 5000;
constexpr std::size_t MAX_PAIRS_PER_ONSET = 128;
/// Fewer onsets than this carry no pulse worth reporting.
constexpr std::size_t MIN_ONSETS = 6;
/// Histogram resolution and reach. 5 ms bins are finer than human timing jitter (10-20 ms) and
/// 4 s reaches a full 4/4 bar at 60 BPM, which the harmonic score below needs.
constexpr double BIN_SECONDS = 0.005;
constexpr double MAX_LAG_SECONDS = 4.0;
/// Gaussian smoothing of the histogram, in bins: absorbs jitter without merging 8th and triplet lags.
constexpr double SMOOTH_BINS = 2.0;
/// Candidate tempi, on a log grid with 0.2 % steps (well inside the 4 % accuracy we aim for); each
/// local maximum of the pulse score is refined on a 0.05 % grid.
constexpr double MIN_BPM = 40.0;
constexpr double MAX_BPM = 240.0;
constexpr double GRID_STEP = 1.002;
constexpr double REFINE_SPAN = 0.005;
constexpr double REFINE_STEP = 0.0005;
/// Candidates scored in full: the strongest local maxima of pulse * prior (bounds the cost per file).
constexpr std::size_t MAX_CANDIDATES = 12;
/// Tempo prior: log2(bpm / PRIOR_CENTER_BPM) enters the score linearly and squared (see WEIGHTS).
constexpr double PRIOR_CENTER_BPM = 110.0;
/// A lag "is" a multiple of a period when it is within this fraction of a period of one.
constexpr double NEAR_PERIOD = 0.1;
/// Beats from time 0 over which the file start is taken as a downbeat (bounds drift and cost).
constexpr double ANCHOR_BEATS = 16.0;
/// Where the last note-off of a performance of whole 4-beat bars falls: in the bar's last beat or just
/// past the bar line (drum hits are short, so the last one ends before the next downbeat). Position
/// as a fraction of a bar, and the concentration of the von Mises-like kernel around it.
constexpr double BAR_END_POSITION = 0.91;
constexpr double BAR_END_KAPPA = 3.0;
/// Beyond this many bars the end position fades out (weight BAR_END_BARS / bars, 0 past 8x as many).
constexpr double BAR_END_BARS = 16.0;

/// Features of one candidate tempo; the score is their dot product with WEIGHTS.
enum feature : std::size_t {
    F_PULSE,       ///< log(pulse score / best pulse score of the file): how strongly onsets repeat
    F_LOG_TEMPO,   ///< log2(bpm / 110)
    F_LOG_TEMPO_2, ///< its square: a log-normal prior around 110 BPM
    F_BAR_END,     ///< the last note-off falls where a performance of whole 4-beat bars ends
    F_ANCHOR_ACC,  ///< kick/snare/pedal weight on beats counted from time 0 (the file starts on a beat)
    F_ANCHOR_ALL,  ///< all onset weight on beats counted from time 0
    F_ACC_REPEAT,  ///< share of kick/snare/pedal pairs whose lag is a whole number of beats
    F_BACKBEAT,    ///< share of kick-snare pairs whose lag is an odd number of beats (kick 1, snare 2)
    F_SUB_32ND,    ///< share of sub-beat lags at odd 32nds: a beat that is too slow
    F_SUB_OTHER,   ///< share of sub-beat lags on no simple subdivision (1/2, 1/4, 1/3, 1/8)
    FEATURES
};

/// Feature weights (raw units of the features above, scaled so the pulse weighs 1), fitted by softmax
/// regression over the candidates of the groove-midi rows with an even index and checked on the odd
/// rows: 76.3 % within 4 % on the even rows, 76.7 % on the odd ones (fitted on the odd rows instead,
/// the weights differ by up to a factor 2 in F_ANCHOR_ALL and F_BACKBEAT and give 76.4 / 76.3 %).
/// With the fade-out of F_BAR_END past BAR_END_BARS, set afterwards without refitting, the test
/// analyzers_tempo.groove_midi measures 77.2 % on the even rows and 77.4 % on the odd ones.
/// The prior terms amount to a log-normal around 98 BPM with a spread of 0.48 octave.
constexpr std::array<double, FEATURES> WEIGHTS{
    1.0,   // F_PULSE
    -0.73, // F_LOG_TEMPO
    -2.2,  // F_LOG_TEMPO_2
    1.5,   // F_BAR_END
    1.45,  // F_ANCHOR_ACC
    3.6,   // F_ANCHOR_ALL
    1.9,   // F_ACC_REPEAT
    1.1,   // F_BACKBEAT
    -3.0,  // F_SUB_32ND
    -2.7,  // F_SUB_OTHER
};

/// Distance of @p x from the nearest whole number (0..0.5); 0.5 for values too large to tell.
/// (Integer truncation instead of std::round: this runs in the inner loops and round is a libm call.)
double off_grid(double x) noexcept
{
    if (!(std::abs(x) < 1e15)) {
        return 0.5;
    }
    double const frac = std::abs(x - static_cast<double>(static_cast<std::int64_t>(x)));
    return std::min(frac, 1.0 - frac);
}

/// 1 at a whole number, falling to 0 at NEAR_PERIOD away: a cheap peak for "x is a multiple".
double near_whole(double x) noexcept
{
    double const d = off_grid(x) / NEAR_PERIOD;
    return d < 1.0 ? 1.0 - d * d : 0.0;
}

/// Weighted histogram of the lags between onsets, up to MAX_LAG_SECONDS (filled by build_histograms()).
class lag_histogram
{
public:
    static constexpr std::size_t BINS = static_cast<std::size_t>(MAX_LAG_SECONDS / BIN_SECONDS) + 2;

    lag_histogram() : m_raw(BINS, 0.0) {}

    /// Adds @p weight at @p pos bins (0 <= pos < BINS - 1), split linearly between the two nearest bins.
    void add(double pos, double weight) noexcept
    {
        auto const lo = static_cast<std::size_t>(pos);
        double const frac = pos - static_cast<double>(lo);
        m_raw[lo] += weight * (1.0 - frac);
        m_raw[lo + 1] += weight * frac;
    }

    /// Call once after the last add(): prefix sums (the weight in any lag window in O(1)) and,
    /// when @p smoothed, the Gaussian-smoothed copy that at() reads.
    void finish(bool smoothed)
    {
        m_cumulative.assign(BINS + 1, 0.0);
        for (std::size_t i = 0; i < BINS; ++i) {
            m_cumulative[i + 1] = m_cumulative[i] + m_raw[i];
        }
        if (smoothed) {
            smooth();
        }
    }

private:
    void smooth()
    {
        int const radius = static_cast<int>(std::ceil(3 * SMOOTH_BINS));
        std::vector<double> kernel;
        for (int k = -radius; k <= radius; ++k) {
            kernel.push_back(std::exp(-0.5 * k * k / (SMOOTH_BINS * SMOOTH_BINS)));
        }
        auto const bins = m_raw.size();
        m_smooth.assign(bins, 0.0);
        for (std::size_t b = 0; b < bins; ++b) {
            if (m_raw[b] == 0.0) {
                continue;
            }
            for (int k = -radius; k <= radius; ++k) {
                auto const at = static_cast<std::ptrdiff_t>(b) + k;
                if (at >= 0 && at < static_cast<std::ptrdiff_t>(bins)) {
                    m_smooth[static_cast<std::size_t>(at)] += m_raw[b] * kernel[static_cast<std::size_t>(k + radius)];
                }
            }
        }
    }

public:
    /// Smoothed pair weight at @p lag seconds (0 beyond the reach; finish(true) first).
    [[nodiscard]] double at(double lag) const noexcept
    {
        double const pos = lag / BIN_SECONDS;
        if (pos < 0 || pos >= static_cast<double>(m_smooth.size()) - 1) {
            return 0.0;
        }
        auto const lo = static_cast<std::size_t>(pos);
        double const frac = pos - static_cast<double>(lo);
        return m_smooth[lo] * (1.0 - frac) + m_smooth[lo + 1] * frac;
    }

    /// Pair weight with lags in [@p from, @p to) seconds.
    [[nodiscard]] double weight_between(double from, double to) const noexcept
    {
        auto index = [&](double lag) {
            double const pos = std::clamp(lag / BIN_SECONDS, 0.0, static_cast<double>(m_raw.size()));
            return static_cast<std::size_t>(pos);
        };
        return m_cumulative[index(to)] - m_cumulative[index(from)];
    }

    /// Share of the pair weight whose lag is within NEAR_PERIOD periods of (k + @p shift) * @p p,
    /// k = 0, 1, ...: with shift 0 a whole number of periods, with 0.5 a whole number and a half.
    [[nodiscard]] double share_near_multiple(double p, double shift = 0.0) const noexcept
    {
        double const total = m_cumulative.back();
        if (!(total > 0.0)) {
            return 0.0;
        }
        double sum = 0.0;
        for (double centre = shift * p; centre - NEAR_PERIOD * p < MAX_LAG_SECONDS; centre += p) {
            sum += weight_between(centre - NEAR_PERIOD * p, centre + NEAR_PERIOD * p);
        }
        return sum / total;
    }

    /// Shares of the pair weight with lags shorter than a beat @p p that sit on odd 32nds and on no
    /// simple subdivision (halves, quarters, thirds, eighths) of the beat.
    [[nodiscard]] std::pair<double, double> sub_beat_shares(double p) const noexcept
    {
        constexpr double TOL = 0.04; // of a beat: tighter than NEAR_PERIOD, subdivisions are close together
        double const total = weight_between(0.0, (1.0 - 1.5 * TOL) * p);
        if (!(total > 0.0)) {
            return {0.0, 0.0};
        }
        auto around = [&](double x) { return weight_between((x - TOL) * p, (x + TOL) * p); };
        double simple = weight_between(0.0, TOL * p); // flams and chords: lag near 0
        for (double x : {0.25, 0.5, 0.75, 1.0 / 3, 2.0 / 3}) {
            simple += around(x);
        }
        double odd_32nd = 0.0;
        for (double x : {0.125, 0.375, 0.625, 0.875}) {
            // Clipped where the window of a third (1/3 + TOL, 2/3 - TOL) overlaps: counted once, as simple.
            double const lo = x == 0.375 ? 1.0 / 3 + TOL : x - TOL;
            double const hi = x == 0.625 ? 2.0 / 3 - TOL : x + TOL;
            odd_32nd += weight_between(lo * p, hi * p);
        }
        double const other = std::max(0.0, total - simple - odd_32nd);
        return {odd_32nd / total, other / total};
    }

private:
    std::vector<double> m_raw;
    std::vector<double> m_smooth;
    std::vector<double> m_cumulative; ///< m_cumulative[i]: weight in bins 0..i-1
};
/// One pass over the onset pairs (each onset with its next MAX_PAIRS_PER_ONSET, up to MAX_LAG_SECONDS
/// apart) fills three histograms: all onsets (pair weight w[i] * w[j]), the beat-marking drums
/// (accent[i] * accent[j]) and kick against snare (kick[i] * snare[j] + snare[i] * kick[j]).
void build_histograms(tempo_onsets const &o, std::size_t n, lag_histogram &all, lag_histogram &accents,
                      lag_histogram &kick_snare)
{
    auto const &t = o.seconds;
    auto const limit = static_cast<double>(lag_histogram::BINS - 1);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t const last = std::min(n, i + 1 + MAX_PAIRS_PER_ONSET);
        bool const drum = o.accents[i] > 0.0;
        for (std::size_t j = i + 1; j < last; ++j) {
            double const pos = (t[j] - t[i]) / BIN_SECONDS;
            if (pos >= limit) {
                break;
            }
            if (!(pos >= 0.0)) { // unsorted input: not a lag
                continue;
            }
            all.add(pos, o.weights[i] * o.weights[j]);
            if (drum && o.accents[j] > 0.0) {
                accents.add(pos, o.accents[i] * o.accents[j]);
                double const ks = o.kicks[i] * o.snares[j] + o.snares[i] * o.kicks[j];
                if (ks > 0.0) {
                    kick_snare.add(pos, ks);
                }
            }
        }
    }
    all.finish(true);
    accents.finish(false);
    kick_snare.finish(false);
}

/// How strongly the onsets repeat with beat period @p p: the beat and its multiples up to the
/// histogram's reach, plus the half-beat subdivision at half weight.
double pulse_score(lag_histogram const &h, double p)
{
    double sum = 0.0;
    int count = 0;
    for (int k = 1; k * p <= MAX_LAG_SECONDS && k <= 4; ++k) {
        sum += h.at(k * p);
        ++count;
    }
    return sum / std::max(count, 1) + 0.5 * h.at(p / 2);
}

double log_tempo(double bpm) { return std::log2(bpm / PRIOR_CENTER_BPM); }

/// True when @p a and @p b are the same pulse or simple multiples of each other (2, 3, 3/2), within 5 %.
bool related(double a, double b)
{
    static constexpr std::array<double, 7> RATIOS{1.0, 2.0, 0.5, 3.0, 1.0 / 3.0, 1.5, 2.0 / 3.0};
    return std::any_of(RATIOS.begin(), RATIOS.end(), [&](double r) { return std::abs(a / b / r - 1.0) < 0.05; });
}

struct candidate
{
    double bpm = 0.0;
    double pulse = 0.0;
    std::array<double, FEATURES> features{};
    double score = 0.0;
};

/// Local maxima of the pulse score over the tempo grid, refined, strongest (with the prior) first.
std::vector<candidate> find_candidates(lag_histogram const &hist)
{
    static auto const GRID = [] { // immutable after first use
        std::vector<double> g;
        for (double bpm = MIN_BPM; bpm <= MAX_BPM; bpm *= GRID_STEP) {
            g.push_back(bpm);
        }
        return g;
    }();
    std::vector<double> pulse(GRID.size());
    for (std::size_t i = 0; i < GRID.size(); ++i) {
        pulse[i] = pulse_score(hist, 60.0 / GRID[i]);
    }
    auto prescore = [](double bpm, double pulse) {
        double const lt = log_tempo(bpm);
        return std::log(pulse) + WEIGHTS[F_LOG_TEMPO] * lt + WEIGHTS[F_LOG_TEMPO_2] * lt * lt;
    };
    std::vector<candidate> out;
    for (std::size_t i = 0; i < GRID.size(); ++i) {
        bool const left = i == 0 || pulse[i] > pulse[i - 1];
        bool const right = i + 1 == GRID.size() || pulse[i] >= pulse[i + 1];
        if (left && right && pulse[i] > 0) {
            candidate c;
            c.bpm = GRID[i];
            c.pulse = pulse[i];
            c.score = prescore(c.bpm, c.pulse);
            out.push_back(c);
        }
    }
    std::sort(out.begin(), out.end(), [](auto const &a, auto const &b) { return a.score > b.score; });
    if (out.size() > MAX_CANDIDATES) {
        out.resize(MAX_CANDIDATES);
    }
    for (auto &c : out) {
        double const centre = c.bpm;
        for (double f = 1.0 - REFINE_SPAN; f <= 1.0 + REFINE_SPAN; f += REFINE_STEP) {
            double const s = pulse_score(hist, 60.0 / (centre * f));
            if (s > c.pulse) {
                c.pulse = s;
                c.bpm = centre * f;
            }
        }
    }
    return out;
}

/// Share of @p w on beats counted from time 0 with period @p p, over the first ANCHOR_BEATS beats.
double anchored_share(std::span<double const> t, std::span<double const> w, double p)
{
    double on = 0.0;
    double total = 0.0;
    for (std::size_t i = 0; i < t.size() && t[i] < ANCHOR_BEATS * p; ++i) {
        on += w[i] * near_whole(t[i] / p);
        total += w[i];
    }
    return total > 0 ? on / total : 0.0;
}

/// Candidates with their features and scores, best first (empty when there are too few onsets).
std::vector<candidate> score_candidates(tempo_onsets const &o)
{
    std::size_t n = std::min(
        {o.seconds.size(), o.weights.size(), o.accents.size(), o.kicks.size(), o.snares.size(), MAX_ONSETS});
    if (n < MIN_ONSETS || !(o.seconds[n - 1] > o.seconds[0])) {
        return {};
    }
    std::span<double const> const t{o.seconds.data(), n};
    std::span<double const> const w{o.weights.data(), n};
    std::span<double const> const acc{o.accents.data(), n};
    lag_histogram all;
    lag_histogram accents;
    lag_histogram kick_snare;
    build_histograms(o, n, all, accents, kick_snare);

    auto cands = find_candidates(all);
    double best_pulse = 0.0;
    for (auto const &c : cands) {
        best_pulse = std::max(best_pulse, c.pulse);
    }
    double const end = std::max(o.end_seconds, o.seconds[n - 1]);
    for (auto &c : cands) {
        double const p = 60.0 / c.bpm;
        auto &f = c.features;
        f[F_PULSE] = std::log(c.pulse / best_pulse);
        f[F_LOG_TEMPO] = log_tempo(c.bpm);
        f[F_LOG_TEMPO_2] = f[F_LOG_TEMPO] * f[F_LOG_TEMPO];
        double const bars = end / (4 * p);
        // Past BAR_END_BARS bars a small tempo error (or drift) moves the end by a bar: fade out.
        f[F_BAR_END] = bars > BAR_END_BARS * 8
                           ? 0.0
                           : std::min(1.0, BAR_END_BARS / bars) *
                                 std::exp(BAR_END_KAPPA *
                                          (std::cos(2 * std::numbers::pi * (bars - BAR_END_POSITION)) - 1.0));
        f[F_ANCHOR_ACC] = anchored_share(t, acc, p);
        f[F_ANCHOR_ALL] = anchored_share(t, w, p);
        f[F_ACC_REPEAT] = accents.share_near_multiple(p);
        f[F_BACKBEAT] = kick_snare.share_near_multiple(2 * p, 0.5);
        std::tie(f[F_SUB_32ND], f[F_SUB_OTHER]) = all.sub_beat_shares(p);
        c.score = 0.0;
        for (std::size_t k = 0; k < FEATURES; ++k) {
            c.score += WEIGHTS[k] * f[k];
        }
    }
    std::sort(cands.begin(), cands.end(), [](auto const &a, auto const &b) { return a.score > b.score; });
    return cands;
}

} // namespace

declared_tempo summarize_declared_tempo(tempo_map const &map, std::uint64_t end_tick)
{
    declared_tempo d;
    auto const &points = map.points();
    d.declared = map.declared();
    d.first_bpm = 60e6 / points.front().us_per_quarter;
    d.min_bpm = d.max_bpm = d.mean_bpm = d.first_bpm;
    double weighted = 0.0;
    double total = 0.0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        double const bpm = 60e6 / points[i].us_per_quarter;
        d.min_bpm = std::min(d.min_bpm, bpm);
        d.max_bpm = std::max(d.max_bpm, bpm);
        if (i > 0 && points[i].us_per_quarter != points[i - 1].us_per_quarter) {
            ++d.changes;
        }
        if (points[i].tick < end_tick) {
            std::uint64_t const next = i + 1 < points.size() ? std::min(points[i + 1].tick, end_tick) : end_tick;
            double const seconds = map.seconds_at(next) - points[i].seconds;
            weighted += bpm * seconds;
            total += seconds;
        }
    }
    if (total > 0) {
        d.mean_bpm = weighted / total;
    }
    return d;
}

void tempo_onsets::clear() noexcept
{
    seconds.clear();
    weights.clear();
    accents.clear();
    kicks.clear();
    snares.clear();
    end_seconds = 0.0;
}

void collect_tempo_onsets(note_list const &notes, std::uint16_t drums, tempo_onsets &out)
{
    out.clear();
    // An onset is merged into the one before when it starts less than MERGE_SECONDS after it.
    auto const merges = [](double start, double onset) { return start - onset < MERGE_SECONDS; };
    // The five lists get exactly their onsets (a first walk counts them): grown by doubling they
    // briefly held the old and the new arrays, 1.44 MB at peak for a 45,000-note piano file whose
    // onsets take 1.09 MB.
    std::size_t count = 0;
    double last = 0.0;
    for (auto const &n : notes.notes) {
        if (count == 0 || !merges(n.start_seconds, last)) {
            ++count;
            last = n.start_seconds;
        }
    }
    for (auto *v : {&out.seconds, &out.weights, &out.accents, &out.kicks, &out.snares}) {
        v->reserve(count);
    }
    for (auto const &n : notes.notes) {
        double const w = n.velocity / 127.0;
        // The pieces that mark beats and backbeats: kick, snare (side stick too) and pedal hi-hat.
        auto const role = on_drum_channel(n, drums) ? gm_drum_role_of(n.pitch) : gm_drum_role::other;
        double const kick = role == gm_drum_role::kick ? w : 0.0;
        double const snare = role == gm_drum_role::snare || role == gm_drum_role::side_stick ? w : 0.0;
        double const accent = kick + snare + (role == gm_drum_role::pedal_hat ? w : 0.0);
        out.end_seconds = std::max(out.end_seconds, n.end_seconds);
        if (!out.seconds.empty() && merges(n.start_seconds, out.seconds.back())) {
            out.weights.back() += w;
            out.accents.back() += accent;
            out.kicks.back() += kick;
            out.snares.back() += snare;
        } else {
            out.seconds.push_back(n.start_seconds);
            out.weights.push_back(w);
            out.accents.push_back(accent);
            out.kicks.push_back(kick);
            out.snares.push_back(snare);
        }
    }
}

estimated_tempo estimate_tempo(tempo_onsets const &onsets)
{
    // Weights below 0 (or not finite) would turn pair products around: count them as 0. The copy is
    // made only for such input; collect_tempo_onsets() never produces it.
    auto bad = [](std::vector<double> const &v) {
        return std::any_of(v.begin(), v.end(), [](double x) { return !(x >= 0.0 && x <= 1e300); });
    };
    if (bad(onsets.weights) || bad(onsets.accents) || bad(onsets.kicks) || bad(onsets.snares)) {
        tempo_onsets clean = onsets;
        for (auto *v : {&clean.weights, &clean.accents, &clean.kicks, &clean.snares}) {
            for (auto &x : *v) {
                x = x >= 0.0 && x <= 1e300 ? x : 0.0;
            }
        }
        return estimate_tempo(clean);
    }
    estimated_tempo e;
    auto const cands = score_candidates(onsets);
    if (cands.empty()) {
        return e;
    }
    auto const &best = cands.front();
    double rival = -HUGE_VAL;
    for (auto const &c : cands) {
        if (!related(c.bpm, best.bpm)) {
            rival = std::max(rival, c.score);
        }
    }
    e.valid = true;
    e.bpm = best.bpm;
    e.confidence = 1.0 - std::exp(std::min(0.0, rival - best.score));
    return e;
}

estimated_tempo estimate_tempo_from_onsets(std::span<double const> seconds, std::span<double const> weights)
{
    tempo_onsets o;
    o.seconds.assign(seconds.begin(), seconds.end());
    o.weights.assign(seconds.size(), 1.0);
    if (weights.size() >= seconds.size()) {
        std::copy_n(weights.begin(), seconds.size(), o.weights.begin());
    }
    o.accents.assign(seconds.size(), 0.0);
    o.kicks.assign(seconds.size(), 0.0);
    o.snares.assign(seconds.size(), 0.0);
    o.end_seconds = seconds.empty() ? 0.0 : seconds.back();
    return estimate_tempo(o);
}

tempo_result analyze_tempo(tempo_map const &map, note_list const &notes, std::uint16_t drums)
{
    tempo_result r;
    r.declared = summarize_declared_tempo(map, notes.end_tick);
    auto const &points = map.points();
    r.estimate_needed = !map.declared() || (points.size() == 1 && points.front().us_per_quarter == 500000);
    if (r.estimate_needed) {
        tempo_onsets onsets;
        collect_tempo_onsets(notes, drums, onsets);
        r.estimate = estimate_tempo(onsets);
    }
    return r;
}

} // namespace midilib
