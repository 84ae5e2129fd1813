#include "analyzers/fingerprint.hpp"

#include "analyzers/drums.hpp"
#include "analyzers/gm_names.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace midilib {

namespace {

/// Onsets are rounded to twelfths of a beat: 16ths and triplets land on it, and a note moved by up to
/// 3 % of a beat still rounds to its grid point (half a step is 4.2 %).
constexpr std::uint64_t GRID_PER_BEAT = 12;
/// Notes of one channel starting within this share of a beat form one onset: a chord, also when
/// humanized or jittered (notes spread by up to 6 %), and the rolled chords of a performance; a 32nd
/// note (0.125) stays an onset of its own. 0.08 found fewer jittered performances (docs/works.md).
constexpr double CHORD_WINDOW_BEATS = 0.12;
/// Intervals beyond two octaves are counted as two octaves: such leaps are line changes, not melody.
constexpr int MAX_INTERVAL = 24;
/// Inter-onset gaps are capped at 8 beats (96 grid steps): a longer rest is one kind of rest.
constexpr std::uint32_t MAX_IOI = 96;
/// Shingle lengths. Pitch and rhythm: 4 tokens span 5 onsets. Pitch only: 6 intervals span 7 onsets,
/// long enough that scale runs shared by many tunes are rarely the whole shingle. Drums: 8 onsets,
/// about a bar of 8ths, so a pattern is seen with its neighbour.
constexpr std::size_t RHYTHM_GRAM = 4;
constexpr std::size_t PITCH_GRAM = 6;
constexpr std::size_t DRUM_GRAM = 8;
/// Pitch-only shingles enter the sketch twice (under two seeds), so they weigh double: they survive
/// jitter on unquantized (performed) files, where the rhythm tokens of the same notes change.
constexpr std::uint64_t PITCH_WEIGHT = 2;
/// Drum onsets are placed on 16th steps of their bar.
constexpr std::uint64_t DRUM_STEPS_PER_BEAT = 4;
/// Ring size of the token history (a power of two at least as long as the longest shingle).
constexpr std::size_t RING = 8;

/// Voices: the top line of each of the 16 channels, and the drum line. There is no line of all
/// channels merged: its top line changes wherever a dropped or added part was on top, which cost
/// more copies of a work (docs/works.md) than it found; layout edits keep the channel lines as they are.
constexpr std::size_t DRUM_VOICE = 16;
constexpr std::size_t VOICES = 17;

constexpr std::uint32_t EMPTY = std::numeric_limits<std::uint32_t>::max();

/// SplitMix64 finalizer: a fast, well-spread 64-bit mix.
constexpr std::uint64_t mix(std::uint64_t x) noexcept
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31U);
}

/// Shingle families: the same tokens in different families must not collide.
enum family : std::uint64_t { RHYTHM = 1, PITCH = 2, DRUM = 3, DRUM_ROLES = 4 };

/// Rhythm of an onset: the ratio of its inter-onset gap to the previous one, in half-octave steps
/// (-6..6), 7 when either gap is zero (two onsets on one grid point).
int ratio_class(std::uint32_t ioi, std::uint32_t previous) noexcept
{
    static auto const LOG2 = [] {
        std::array<double, MAX_IOI + 1> t{};
        for (std::size_t i = 1; i < t.size(); ++i) {
            t[i] = 2.0 * std::log2(static_cast<double>(i));
        }
        return t;
    }();
    if (ioi == 0 || previous == 0) {
        return 7;
    }
    return std::clamp(static_cast<int>(std::lround(LOG2[ioi] - LOG2[previous])), -6, 6);
}

/// One monophonic line being turned into shingles: its current onset cluster and token history.
struct voice
{
    std::uint64_t cluster_tick = 0;
    int top = -1; ///< highest pitch (or drum role mask) of the open cluster; -1 none open
    bool has_previous = false;
    std::uint64_t previous_grid = 0;
    int previous_pitch = 0;
    std::uint32_t previous_ioi = 0;
    std::uint32_t tokens = 0; ///< tokens pushed so far
    std::array<std::uint64_t, RING> rhythm{};
    std::array<std::uint64_t, RING> pitch{};
};

/// One-permutation MinHash: a shingle's hash picks a slot by its top bits and competes for its minimum.
struct sketch
{
    std::array<std::uint32_t, SIGNATURE_SLOTS> slots;

    void add(std::uint64_t h) noexcept
    {
        auto &s = slots[h >> 57U]; // the top 7 bits: 128 slots
        s = std::min(s, static_cast<std::uint32_t>(h));
    }
};
static_assert(SIGNATURE_SLOTS == 128, "sketch::add takes the slot from the top 7 bits");

/// Hash of the last @p n tokens of @p ring (tokens stored already mixed): each rotated by its place,
/// so the order counts, and one mix for the whole shingle.
std::uint64_t gram(std::array<std::uint64_t, RING> const &ring, std::uint32_t end, std::size_t n,
                   std::uint64_t seed) noexcept
{
    std::uint64_t h = seed;
    for (std::size_t k = 0; k < n; ++k) {
        h ^= std::rotl(ring[(end - n + k) % RING], static_cast<int>(7 * k));
    }
    return mix(h);
}

/// Role bit of a drum key: kick, snare, hi-hat, tom, cymbal, other percussion.
int drum_role_bit(std::uint8_t key) noexcept
{
    switch (gm_drum_role_of(key)) {
    case gm_drum_role::kick: return 1;
    case gm_drum_role::snare:
    case gm_drum_role::side_stick: return 2;
    case gm_drum_role::closed_hat:
    case gm_drum_role::pedal_hat:
    case gm_drum_role::open_hat: return 4;
    default: break;
    }
    switch (key) {
    case 41:
    case 43:
    case 45:
    case 47:
    case 48:
    case 50: return 8;
    case 49:
    case 51:
    case 52:
    case 53:
    case 55:
    case 57:
    case 59: return 16;
    default: return 32;
    }
}

class shingler
{
public:
    shingler(std::uint32_t ticks_per_quarter, std::vector<bar> const &bars)
    : m_tpq{std::max<std::uint32_t>(ticks_per_quarter, 1)},
      m_window{static_cast<std::uint64_t>(CHORD_WINDOW_BEATS * static_cast<double>(m_tpq))}, m_bars{bars}
    {
        m_sketch.slots.fill(EMPTY);
    }

    /// A pitched note on voice @p v, or a drum hit (pitch = role bit) on DRUM_VOICE; in start order.
    void note(std::size_t v, std::uint64_t tick, int pitch) noexcept
    {
        auto &s = m_voices[v];
        if (s.top >= 0 && tick - s.cluster_tick <= m_window) {
            s.top = v == DRUM_VOICE ? (s.top | pitch) : std::max(s.top, pitch);
            return;
        }
        flush(v);
        s.cluster_tick = tick;
        s.top = pitch;
    }

    /// Closes the open cluster of voice @p v.
    void flush(std::size_t v) noexcept
    {
        auto &s = m_voices[v];
        if (s.top < 0) {
            return;
        }
        if (v == DRUM_VOICE) {
            drum_onset(s);
        } else {
            pitched_onset(s);
        }
        s.top = -1;
    }

    [[nodiscard]] sketch const &result() const noexcept { return m_sketch; }
    [[nodiscard]] std::uint32_t onsets(std::size_t v) const noexcept { return m_voices[v].tokens; }

private:
    void pitched_onset(voice &s) noexcept
    {
        std::uint64_t const grid = (s.cluster_tick * GRID_PER_BEAT + m_tpq / 2) / m_tpq;
        if (s.has_previous) {
            int const interval = std::clamp(s.top - s.previous_pitch, -MAX_INTERVAL, MAX_INTERVAL);
            auto const ioi = static_cast<std::uint32_t>(std::min<std::uint64_t>(grid - s.previous_grid, MAX_IOI));
            auto const at = s.tokens % RING;
            s.pitch[at] = mix(static_cast<std::uint64_t>(interval + 64));
            s.rhythm[at] = mix(static_cast<std::uint64_t>(interval + 64) << 8U |
                               static_cast<std::uint64_t>(ratio_class(ioi, s.previous_ioi) + 8));
            s.previous_ioi = ioi;
            ++s.tokens;
            if (s.tokens >= RHYTHM_GRAM + 1) { // the first token has no previous gap
                m_sketch.add(gram(s.rhythm, s.tokens, RHYTHM_GRAM, RHYTHM));
            }
            if (s.tokens >= PITCH_GRAM) {
                for (std::uint64_t w = 0; w < PITCH_WEIGHT; ++w) {
                    m_sketch.add(gram(s.pitch, s.tokens, PITCH_GRAM, PITCH << (8U * w)));
                }
            }
        }
        s.has_previous = true;
        s.previous_grid = grid;
        s.previous_pitch = s.top;
    }

    /// A drum onset is its roles and its 16th step within the bar: each token rests on one onset only.
    /// The roles alone make a second shingle, which survives an onset moved across a step boundary.
    void drum_onset(voice &s) noexcept
    {
        while (m_bar + 1 < m_bars.size() && m_bars[m_bar + 1].start_tick <= s.cluster_tick) {
            ++m_bar;
        }
        std::uint64_t const offset = m_bars.empty() ? s.cluster_tick : s.cluster_tick - m_bars[m_bar].start_tick;
        std::uint64_t const step = (offset * DRUM_STEPS_PER_BEAT + m_tpq / 2) / m_tpq;
        s.rhythm[s.tokens % RING] = mix(static_cast<std::uint64_t>(s.top) << 16U |
                                        std::min<std::uint64_t>(step, 0xFFFF));
        s.pitch[s.tokens % RING] = mix(static_cast<std::uint64_t>(s.top));
        ++s.tokens;
        if (s.tokens >= DRUM_GRAM) {
            m_sketch.add(gram(s.rhythm, s.tokens, DRUM_GRAM, DRUM));
            m_sketch.add(gram(s.pitch, s.tokens, DRUM_GRAM, DRUM_ROLES));
        }
    }

    std::uint32_t m_tpq;
    std::uint64_t m_window;
    std::vector<bar> const &m_bars;
    std::size_t m_bar = 0;
    std::array<voice, VOICES> m_voices{};
    sketch m_sketch{};
};

/// Fills the empty slots of @p s from filled ones chosen by a fixed hash of the slot (optimal
/// densification, Shrivastava 2017): the same empty slot borrows from the same place in every file.
void densify(sketch &s) noexcept
{
    auto const original = s.slots;
    for (std::size_t i = 0; i < SIGNATURE_SLOTS; ++i) {
        if (original[i] != EMPTY) {
            continue;
        }
        for (std::uint64_t attempt = 0;; ++attempt) {
            std::size_t const j = mix(i << 32U | attempt) >> 57U;
            if (original[j] != EMPTY) {
                s.slots[i] = original[j];
                break;
            }
        }
    }
}

} // namespace

fingerprint compute_fingerprint(note_list const &notes, std::vector<bar> const &bars, std::uint16_t drum_mask)
{
    fingerprint f;
    std::size_t pitched = 0;
    for (auto const &n : notes.notes) {
        pitched += on_drum_channel(n, drum_mask) ? 0 : 1;
    }
    bool const use_pitched = pitched >= MIN_PITCHED_NOTES;
    shingler s{notes.ticks_per_quarter, bars};
    for (auto const &n : notes.notes) {
        if (!on_drum_channel(n, drum_mask)) {
            if (use_pitched) {
                s.note(n.channel, n.start_tick, n.pitch);
            }
        } else if (!use_pitched) {
            s.note(DRUM_VOICE, n.start_tick, drum_role_bit(n.pitch));
        }
    }
    for (std::size_t v = 0; v < VOICES; ++v) {
        s.flush(v);
    }
    if (!use_pitched) {
        std::uint64_t first = std::numeric_limits<std::uint64_t>::max();
        std::uint64_t last = 0;
        for (auto const &n : notes.notes) {
            if (on_drum_channel(n, drum_mask)) {
                first = std::min(first, n.start_tick);
                last = n.start_tick;
            }
        }
        bool const long_enough = last >= first && !bars.empty() &&
                                 bar_index(bars, last) - bar_index(bars, first) + 1 >= MIN_DRUM_BARS;
        if (s.onsets(DRUM_VOICE) < MIN_DRUM_ONSETS || !long_enough) {
            return f;
        }
    }
    sketch sk = s.result();
    auto const filled = static_cast<std::size_t>(
        std::count_if(sk.slots.begin(), sk.slots.end(), [](std::uint32_t v) { return v != EMPTY; }));
    if (filled < MIN_FILLED_SLOTS) {
        return f;
    }
    densify(sk);
    f.kind = use_pitched ? fingerprint_kind::pitched : fingerprint_kind::drums;
    f.filled = static_cast<std::uint32_t>(filled);
    f.signature = sk.slots;
    return f;
}

std::array<std::int64_t, BANDS> band_keys(fingerprint const &f) noexcept
{
    std::array<std::int64_t, BANDS> keys{};
    if (f.kind == fingerprint_kind::none) {
        return keys;
    }
    for (std::size_t b = 0; b < BANDS; ++b) {
        keys[b] = static_cast<std::int64_t>(std::uint64_t{f.signature[2 * b]} << 32U | f.signature[2 * b + 1]);
    }
    return keys;
}

std::array<std::int32_t, SIGNATURE_SLOTS> slot_keys(fingerprint const &f) noexcept
{
    std::array<std::int32_t, SIGNATURE_SLOTS> keys{};
    for (std::size_t i = 0; i < SIGNATURE_SLOTS; ++i) {
        keys[i] = static_cast<std::int32_t>(static_cast<std::uint32_t>(i) << 25U | (f.signature[i] & SLOT_VALUE_MASK));
    }
    std::sort(keys.begin(), keys.end());
    return keys;
}

fingerprint fingerprint_of_keys(fingerprint_kind kind, std::span<std::int64_t const, BANDS> keys) noexcept
{
    fingerprint f;
    f.kind = kind;
    f.filled = SIGNATURE_SLOTS;
    for (std::size_t b = 0; b < BANDS; ++b) {
        auto const k = static_cast<std::uint64_t>(keys[b]);
        f.signature[2 * b] = static_cast<std::uint32_t>(k >> 32U);
        f.signature[2 * b + 1] = static_cast<std::uint32_t>(k);
    }
    return f;
}

double similarity(fingerprint const &a, fingerprint const &b) noexcept
{
    if (a.kind == fingerprint_kind::none || a.kind != b.kind) {
        return 0.0;
    }
    std::size_t equal = 0;
    for (std::size_t i = 0; i < SIGNATURE_SLOTS; ++i) {
        equal += ((a.signature[i] ^ b.signature[i]) & SLOT_VALUE_MASK) == 0 ? 1 : 0;
    }
    return static_cast<double>(equal) / static_cast<double>(SIGNATURE_SLOTS);
}

bool same_work(fingerprint const &a, fingerprint const &b) noexcept
{
    if (similarity(a, b) < SAME_WORK_SIMILARITY) {
        return false;
    }
    for (std::size_t i = 0; i < SIGNATURE_SLOTS; i += BAND_ROWS) {
        if (a.signature[i] == b.signature[i] && a.signature[i + 1] == b.signature[i + 1]) {
            return true;
        }
    }
    return false;
}

} // namespace midilib
