// Drum detection (channel 10 and kit-like channels) and groove features.

#include "analyzers/drums.hpp"
#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"
#include "test_analyzers_support.hpp"

#include <gtest/gtest.h>

#include <iostream>

namespace midilib {
namespace {

using namespace midilib::test;

drum_result drums_of(bytes const &b)
{
    auto const r = read_smf(b);
    EXPECT_TRUE(r.file);
    tempo_map const map{*r.file};
    note_list notes;
    extract_notes(*r.file, map, notes);
    std::vector<bar> bars;
    bar_grid(notes, map, notes.end_tick, bars);
    return analyze_drums(notes, bars, drum_channels(notes));
}

// A swung 4/4 hi-hat/kick/snare pattern on channel 10: kit names, hits per bar, 16-step groove, swing 2:1.
TEST(analyzers_drums, swung_pattern_on_channel_10)
{
    track_builder t;
    constexpr std::uint32_t Q = 480;
    std::uint32_t tick = 0;
    for (int bar = 0; bar < 4; ++bar) {
        for (int beat = 0; beat < 4; ++beat) {
            std::uint32_t const on = tick + static_cast<std::uint32_t>(beat) * Q;
            t.on(on, 9, beat % 2 == 0 ? 36 : 38);
            t.on(on, 9, 42);
            t.off(on + 30, 9, beat % 2 == 0 ? 36 : 38);
            t.off(on + 30, 9, 42);
            t.on(on + 320, 9, 42); // swung off-beat 8th at 2/3 of the beat
            t.off(on + 350, 9, 42);
        }
        tick += 4 * Q;
    }
    auto const d = drums_of(smf(0, Q, {t.finish(tick)}));
    ASSERT_TRUE(d.has_drums);
    EXPECT_EQ(d.channels, 1U << 9U);
    EXPECT_EQ(d.hits, 4U * 12U);
    ASSERT_EQ(d.kit.size(), 3U);
    EXPECT_STREQ(d.kit[0].name, "Bass Drum 1");
    EXPECT_STREQ(d.kit[1].name, "Acoustic Snare");
    EXPECT_STREQ(d.kit[2].name, "Closed Hi-Hat");
    EXPECT_NEAR(d.hits_per_bar, 12.0, 1e-9);
    EXPECT_NEAR(d.groove[0], 2.0, 1e-9); // kick + hat on beat 1
    EXPECT_NEAR(d.groove[3], 1.0, 1e-9); // swung 8th rounds to the 4th 16th step
    EXPECT_NEAR(d.groove[1], 0.0, 1e-9);
    EXPECT_NEAR(d.swing_8th, 2.0, 0.01);
}

// A melody without program change in the kit range on channel 1 is not drums; a kit-like channel is.
TEST(analyzers_drums, conservative_detection_off_channel_10)
{
    track_builder melody;
    std::uint32_t tick = 0;
    for (int i = 0; i < 64; ++i) {
        int const p = 38 + (i * 5) % 12;
        melody.on(tick, 0, p);
        melody.off(tick + 400, 0, p);
        tick += 480;
    }
    EXPECT_FALSE(drums_of(smf(0, 480, {melody.finish(tick)})).has_drums);

    track_builder kit;
    tick = 0;
    for (int i = 0; i < 32; ++i) {
        int const p = i % 4 == 0 ? 36 : i % 4 == 2 ? 38 : 42;
        kit.on(tick, 3, p);
        kit.off(tick + 20, 3, p);
        tick += 240;
    }
    auto const d = drums_of(smf(0, 480, {kit.finish(tick)}));
    EXPECT_TRUE(d.has_drums);
    EXPECT_EQ(d.channels, 1U << 3U);
}

// Whole folders: no nottingham file has drums; every groove-midi file has drums.
TEST(analyzers_drums, corpus_folders)
{
    std::size_t nottingham = 0;
    std::size_t false_drums = 0;
    for (auto const &p : midi_files(corpus_dir() / "nottingham")) {
        auto const data = load_file(p);
        auto const r = read_smf(data);
        ASSERT_TRUE(r.file) << p;
        ++nottingham;
        if (drum_channels(extract_notes(*r.file)) != 0) {
            ++false_drums;
            ADD_FAILURE() << "drums in " << p;
        }
    }
    std::size_t groove = 0;
    std::size_t with_drums = 0;
    for (auto const &p : midi_files(corpus_dir() / "groove-midi")) {
        auto const data = load_file(p);
        auto const r = read_smf(data);
        ASSERT_TRUE(r.file) << p;
        ++groove;
        with_drums += drums_of(data).has_drums ? 1 : 0;
    }
    std::cout << "[drums] nottingham " << false_drums << " of " << nottingham << " with drums; groove-midi "
              << with_drums << " of " << groove << " with drums\n";
    EXPECT_EQ(nottingham, 3089U);
    EXPECT_EQ(false_drums, 0U);
    EXPECT_EQ(groove, 1150U);
    EXPECT_EQ(with_drums, groove);
}

} // namespace
} // namespace midilib
