// Note extraction and note statistics on hand-built files.

#include "analyzers/note_stats.hpp"
#include "analyzers/notes.hpp"
#include "test_analyzers_support.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace midilib {
namespace {

using namespace midilib::test;

note_list notes_of(bytes const &b)
{
    auto const r = read_smf(b);
    EXPECT_TRUE(r.file) << r.error;
    return r.file ? extract_notes(*r.file) : note_list{};
}

// Velocity-0 note-on ends a note; overlapping same pitch releases first-in first-out; seconds follow the tempo map.
TEST(analyzers_notes, fifo_and_velocity_zero)
{
    track_builder t;
    t.event(0, {0xC0, 40});       // program 40 (Violin) on channel 1
    t.on(0, 0, 60, 90);
    t.on(96, 0, 60, 80);          // second C4 while the first sounds
    t.on(192, 0, 60, 0);          // releases the first
    t.off(288, 0, 60);            // releases the second
    auto const n = notes_of(smf(0, 96, {t.finish(288)}));
    ASSERT_EQ(n.notes.size(), 2U);
    EXPECT_EQ(n.notes[0].end_tick, 192U);
    EXPECT_EQ(n.notes[0].velocity, 90);
    EXPECT_EQ(n.notes[1].end_tick, 288U);
    EXPECT_DOUBLE_EQ(n.notes[1].start_seconds, 0.5);
    EXPECT_DOUBLE_EQ(n.notes[1].end_seconds, 1.5);
    EXPECT_EQ(n.first_program[0], 40);
    EXPECT_EQ(n.first_program[1], -1);
    ASSERT_EQ(n.onsets[0].size(), 2U);
    EXPECT_EQ(n.unreleased, 0U);
}

// Zero-length notes are kept; unreleased notes end at the last event of the file.
TEST(analyzers_notes, zero_length_and_unreleased)
{
    track_builder t;
    t.on(0, 2, 64);
    t.off(0, 2, 64);
    t.on(10, 2, 67);
    auto const n = notes_of(smf(0, 96, {t.finish(500)}));
    ASSERT_EQ(n.notes.size(), 2U);
    EXPECT_EQ(n.notes[0].end_tick, n.notes[0].start_tick);
    EXPECT_EQ(n.notes[1].end_tick, 500U);
    EXPECT_EQ(n.unreleased, 1U);
}

// Statistics: counts, range, velocity, polyphony, monophony and GM names per channel.
TEST(analyzers_notes, statistics)
{
    track_builder t;
    t.event(0, {0xC1, 0});
    t.on(0, 1, 60, 100);
    t.on(0, 1, 64, 60);
    t.off(96, 1, 60);
    t.off(192, 1, 64);
    t.on(192, 9, 36, 80);
    t.off(200, 9, 36);
    auto const n = notes_of(smf(0, 96, {t.finish(200)}));
    auto const s = compute_note_stats(n, 1U << 9U);
    EXPECT_EQ(s.count, 3U);
    EXPECT_EQ(s.min_pitch, 36);
    EXPECT_EQ(s.max_pitch, 64);
    EXPECT_NEAR(s.mean_velocity, 80.0, 1e-9);
    EXPECT_NEAR(s.stdev_velocity, std::sqrt((400.0 + 400.0 + 0.0) / 3), 1e-9);
    EXPECT_EQ(s.max_polyphony, 2U);
    EXPECT_FALSE(s.monophonic);
    ASSERT_EQ(s.channels.size(), 2U);
    EXPECT_STREQ(s.channels[0].program_name, "Acoustic Grand Piano");
    EXPECT_STREQ(s.channels[0].family, "Piano");
    EXPECT_EQ(s.channels[0].notes, 2U);
    EXPECT_TRUE(s.channels[1].drums);
    EXPECT_STREQ(s.channels[1].family, "Drums");
}

} // namespace
} // namespace midilib
