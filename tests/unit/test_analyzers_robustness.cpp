// Every analyzer survives the whole corpus and hostile hand-made files, within a time bound.

#include "analyzers/analysis.hpp"
#include "test_analyzers_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>

namespace midilib {
namespace {

using namespace midilib::test;

bool finite(analysis_result const &a)
{
    return std::isfinite(a.notes.mean_polyphony) && std::isfinite(a.notes.notes_per_second) &&
           std::isfinite(a.key.confidence) && std::isfinite(a.tempo.declared.mean_bpm) &&
           std::isfinite(a.tempo.estimate.bpm) && std::isfinite(a.chords.changes_per_minute) &&
           std::isfinite(a.drums.hits_per_bar) && std::isfinite(a.drums.swing_8th);
}

// Every corpus file the reader accepts analyzes in under 1 s with finite numbers.
TEST(analyzers_robustness, whole_corpus)
{
    std::size_t analyzed = 0;
    double slowest = 0.0;
    for (auto const &p : midi_files(corpus_dir())) {
        auto const data = load_file(p);
        auto const r = read_smf(data);
        if (!r.file) {
            continue;
        }
        auto const start = std::chrono::steady_clock::now();
        auto const a = analyze(*r.file);
        double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        slowest = std::max(slowest, seconds);
        EXPECT_LT(seconds, 1.0) << p;
        EXPECT_TRUE(finite(a)) << p;
        ++analyzed;
    }
    std::cout << "[robustness] analyzed " << analyzed << " corpus files, slowest " << slowest * 1000 << " ms\n";
    EXPECT_GT(analyzed, 4400U);
}

analysis_result analyze_bytes(bytes const &b)
{
    auto const r = read_smf(b);
    EXPECT_TRUE(r.file) << r.error;
    auto const start = std::chrono::steady_clock::now();
    auto a = r.file ? analyze(*r.file) : analysis_result{};
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
    EXPECT_TRUE(finite(a));
    return a;
}

// ppq 1 and ppq 0, zero-length and unreleased notes, empty tracks, a note at tick 2^28, SMPTE division.
TEST(analyzers_robustness, hostile_inputs)
{
    for (std::uint16_t division : {std::uint16_t{1}, std::uint16_t{0}, std::uint16_t{0xE728}}) {
        track_builder t;
        t.on(0, 0, 60);
        t.off(0, 0, 60); // zero length
        t.on(1, 0, 64);  // never released
        t.on(1, 9, 36);
        t.off(1, 9, 36);
        t.on(1U << 28U, 0, 67); // far away
        t.off((1U << 28U) + 1, 0, 67);
        track_builder empty;
        auto const a = analyze_bytes(smf(1, division, {t.finish((1U << 28U) + 1), empty.finish(0)}));
        EXPECT_EQ(a.notes.count, 4U) << division;
        EXPECT_LE(a.bars, MAX_BARS);
        EXPECT_LE(a.chords.beats.size(), MAX_CHORD_BEATS);
    }
    track_builder none;
    auto const a = analyze_bytes(smf(0, 96, {none.finish(0)}));
    EXPECT_EQ(a.notes.count, 0U);
    EXPECT_EQ(a.key.key.tonic, -1);
    EXPECT_FALSE(a.drums.has_drums);
    EXPECT_FALSE(a.tempo.estimate.valid);

    track_builder dense; // 20,000 notes all at tick 0, none released
    for (int i = 0; i < 20000; ++i) {
        dense.on(0, i % 16, i % 128 == 0 ? 1 : i % 128);
    }
    auto const d = analyze_bytes(smf(0, 96, {dense.finish(10)}));
    EXPECT_EQ(d.notes.count, 20000U);
}

} // namespace
} // namespace midilib
