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
    t.event(0, {0xC0, 40}); // program 40 (Violin) on channel 1
    t.on(0, 0, 60, 90);
    t.on(96, 0, 60, 80); // second C4 while the first sounds
    t.on(192, 0, 60, 0); // releases the first
    t.off(288, 0, 60);   // releases the second
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

// A file with more notes than the list can hold gets an array of exactly its notes (counted first,
// or told by the caller; not grown by doubling), and onset lists sized for its distinct start ticks;
// a list that already has room is reused as it is.
TEST(analyzers_notes, exact_capacity_for_large_files)
{
    constexpr int NOTES = 12000; // more than SCRATCH_NOTES
    track_builder t;
    for (int onset = 0; onset < NOTES / 2; ++onset) { // two notes per onset on channel 1
        auto const tick = static_cast<std::uint32_t>(onset * 48);
        t.on(tick, 0, 60);
        t.on(tick, 0, 64);
        t.off(tick + 40, 0, 60);
        t.off(tick + 40, 0, 64);
    }
    track_builder other;
    other.on(0, 3, 40);
    other.off(96, 3, 40);
    auto const file = smf(1, 96, {t.finish(NOTES / 2 * 48), other.finish(96)});
    auto const r = read_smf(file);
    ASSERT_TRUE(r.file);
    tempo_map const map{*r.file};
    note_list notes;
    extract_notes(*r.file, map, notes);
    ASSERT_EQ(notes.notes.size(), NOTES + 1U);
    EXPECT_EQ(notes.notes.capacity(), notes.notes.size());
    ASSERT_EQ(notes.onsets[0].size(), NOTES / 2U);
    EXPECT_EQ(notes.onsets[0].capacity(), notes.onsets[0].size());
    EXPECT_EQ(notes.onsets[3].size(), 1U);

    note_list hinted; // the count the import has from the file facts: no counting walk, same notes
    extract_notes(*r.file, map, hinted, NOTES + 1U);
    EXPECT_EQ(hinted.notes.capacity(), notes.notes.size());
    note_list misled; // a wrong count costs memory or time, never notes
    extract_notes(*r.file, map, misled, 10);
    EXPECT_EQ(misled.notes.size(), notes.notes.size());
    extract_notes(*r.file, map, misled, UNKNOWN_NOTE_ONS - 1);
    EXPECT_EQ(misled.notes.size(), notes.notes.size());
    EXPECT_LE(misled.notes.capacity(), file.size()); // bounded by what the track bytes can hold

    note_list roomy;
    roomy.notes.reserve(4 * NOTES);
    extract_notes(*r.file, map, roomy);
    EXPECT_EQ(roomy.notes.capacity(), 4U * NOTES);
    ASSERT_EQ(roomy.notes.size(), notes.notes.size());
    for (std::size_t i = 0; i < notes.notes.size(); ++i) {
        EXPECT_EQ(roomy.notes[i].start_tick, notes.notes[i].start_tick);
        EXPECT_EQ(roomy.notes[i].end_tick, notes.notes[i].end_tick);
        EXPECT_EQ(roomy.notes[i].pitch, notes.notes[i].pitch);
    }
}

} // namespace
} // namespace midilib
