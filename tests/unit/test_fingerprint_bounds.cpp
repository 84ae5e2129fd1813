// The fingerprint and the feature vector of degenerate and huge files: the right kind, finite numbers,
// within a time bound (their state is fixed-size arrays, so memory is the note list's).

#include "analyzers/analysis.hpp"
#include "fingerprint_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace midilib {
namespace {

using namespace midilib::test;

#ifdef MIDILIB_SANITIZED
constexpr double SLOWDOWN = 10.0; // the sanitizers' checks make every access slower
#else
constexpr double SLOWDOWN = 1.0;
#endif

/// Analyzes @p data, checking the time bound and that the feature vector is finite.
analysis_result bounded(bytes const &data, double max_seconds = 2.0)
{
    max_seconds *= SLOWDOWN;
    auto const start = std::chrono::steady_clock::now();
    auto a = analyze_smf(data);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), max_seconds);
    for (float v : a.features) {
        EXPECT_TRUE(std::isfinite(v));
        EXPECT_GE(v, 0.0F);
    }
    return a;
}

/// @p bars bars of a rock beat at 96 ticks a quarter: 8th hi-hats, snare on 2 and 4, kick on 1 and 3
/// and, when @p varied, on other 8ths that change from bar to bar as a drummer's do.
bytes rock_beat(std::uint32_t bars, bool varied)
{
    track_builder t;
    std::uint32_t state = 7;
    for (std::uint32_t eighth = 0; eighth < bars * 8; ++eighth) {
        std::uint32_t const tick = eighth * 48;
        state = state * 1103515245U + 12345U;
        t.on(tick, 9, 42);
        if (eighth % 4 == 0 || (varied && (state >> 16U) % 3 == 0)) {
            t.on(tick, 9, 36);
        }
        if (eighth % 4 == 2) {
            t.on(tick, 9, 38);
        }
        t.off(tick + 10, 9, 42);
        t.off(tick + 10, 9, 36);
        t.off(tick + 10, 9, 38);
    }
    return smf(0, 96, {t.finish(bars * 384)});
}

// An empty file and a single note have no fingerprint and an all-zero-or-finite vector.
TEST(fingerprint_bounds, empty_and_single_note)
{
    track_builder none;
    EXPECT_EQ(bounded(smf(0, 96, {none.finish(0)})).print.kind, fingerprint_kind::none);
    track_builder one;
    one.on(0, 0, 60);
    one.off(96, 0, 60);
    auto const a = bounded(smf(0, 96, {one.finish(96)}));
    EXPECT_EQ(a.print.kind, fingerprint_kind::none);
    EXPECT_EQ(similarity(a.print, a.print), 0.0);
    EXPECT_FALSE(same_work(a.print, a.print));
}

// A drums-only groove long and varied enough is fingerprinted by its drums; a two-bar groove is not,
// nor one bar looped 16 times (it says no more than the bar).
TEST(fingerprint_bounds, drums_only)
{
    auto const groove = bounded(rock_beat(16, true)).print;
    EXPECT_EQ(groove.kind, fingerprint_kind::drums);
    EXPECT_TRUE(same_work(groove, groove));
    EXPECT_EQ(bounded(rock_beat(2, true)).print.kind, fingerprint_kind::none);
    EXPECT_EQ(bounded(rock_beat(16, false)).print.kind, fingerprint_kind::none);
}

// Two million note-ons on one tick: the note list stops at MAX_NOTES, one onset identifies nothing.
TEST(fingerprint_bounds, note_storm_on_one_tick)
{
    track_builder t;
    for (int i = 0; i < 2'000'000; ++i) {
        t.on(0, i % 16 == 9 ? 0 : i % 16, 1 + i % 127);
    }
    auto const a = bounded(smf(0, 96, {t.finish(10)}), 5.0);
    EXPECT_TRUE(a.notes_truncated);
    EXPECT_EQ(a.print.kind, fingerprint_kind::none);
}

// A long melody (200,000 notes on four channels) is fingerprinted within the bound, and a copy matches it.
TEST(fingerprint_bounds, huge_file)
{
    track_builder t;
    std::uint32_t state = 12345;
    for (std::uint32_t i = 0; i < 50'000; ++i) {
        for (int ch = 0; ch < 4; ++ch) {
            state = state * 1103515245U + 12345U;
            int const pitch = 40 + static_cast<int>((state >> 16U) % 40) + ch;
            t.on(i * 48, ch, pitch);
            t.off(i * 48 + 40, ch, pitch);
        }
    }
    auto const data = smf(0, 96, {t.finish(50'000 * 48)});
    auto const a = bounded(data);
    EXPECT_EQ(a.print.kind, fingerprint_kind::pitched);
    EXPECT_EQ(a.print.filled, SIGNATURE_SLOTS);
    auto const parsed = read_smf(data);
    variant_edits edits;
    edits.transpose = 7;
    edits.ppq = 480;
    EXPECT_TRUE(same_work(a.print, bounded(make_variant(*parsed.file, edits, 0)).print));
}

} // namespace
} // namespace midilib
