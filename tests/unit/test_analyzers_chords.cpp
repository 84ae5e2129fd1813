// Chord templates: all 12 roots x 11 qualities, block and arpeggiated, in several inversions.

#include "analyzers/chords.hpp"
#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"
#include "test_analyzers_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace midilib {
namespace {

using namespace midilib::test;

/// Labels that name the same pitch-class set as (root, q): only dim7, aug and sus2/sus4 have others.
std::vector<chord> equivalents(int root, chord_quality q)
{
    std::vector<chord> out{{static_cast<std::int8_t>(root), q, 0.0}};
    auto add = [&](int r, chord_quality k) { out.push_back({static_cast<std::int8_t>((r + 12) % 12), k, 0.0}); };
    switch (q) {
    case chord_quality::dim7:
        add(root + 3, q);
        add(root + 6, q);
        add(root + 9, q);
        break;
    case chord_quality::aug:
        add(root + 4, q);
        add(root + 8, q);
        break;
    case chord_quality::sus2: add(root + 7, chord_quality::sus4); break;
    case chord_quality::sus4: add(root - 7, chord_quality::sus2); break;
    default: break;
    }
    return out;
}

/// Chord tones as MIDI pitches around C4, in inversion @p inversion (lowest tone moved up an octave).
std::vector<int> voicing(int root, chord_quality q, int inversion)
{
    std::vector<int> tones;
    std::uint16_t const t = chord_template(q);
    for (int i = 0; i < 12; ++i) {
        if (((t >> i) & 1U) != 0) {
            tones.push_back(48 + root + i);
        }
    }
    for (int k = 0; k < inversion; ++k) {
        tones.push_back(tones.front() + 12);
        tones.erase(tones.begin());
    }
    return tones;
}

/// Bar chords of a one-bar 4/4 file built from @p tones: block (all held) or arpeggiated (one after another).
std::vector<chord> bar_chords(std::vector<int> const &tones, bool arpeggio)
{
    constexpr std::uint32_t BAR = 1920; // ppq 480
    track_builder t;
    auto const step = static_cast<std::uint32_t>(BAR / tones.size());
    struct ev
    {
        std::uint32_t tick;
        bool on;
        int pitch;
    };
    std::vector<ev> evs;
    for (std::size_t i = 0; i < tones.size(); ++i) {
        std::uint32_t const start = arpeggio ? static_cast<std::uint32_t>(i) * step : 0;
        std::uint32_t const end = arpeggio ? start + step : BAR;
        evs.push_back({start, true, tones[i]});
        evs.push_back({end, false, tones[i]});
    }
    std::stable_sort(evs.begin(), evs.end(), [](ev const &a, ev const &b) { return a.tick < b.tick; });
    for (auto const &e : evs) {
        if (e.on) {
            t.on(e.tick, 0, e.pitch);
        } else {
            t.off(e.tick, 0, e.pitch);
        }
    }
    auto const file = smf(0, 480, {t.finish(BAR)});
    auto const r = read_smf(file);
    EXPECT_TRUE(r.file);
    tempo_map const map{*r.file};
    note_list notes;
    extract_notes(*r.file, map, notes);
    std::vector<bar> bars;
    bar_grid(notes, map, notes.end_tick - 1, bars);
    return analyze_chords(notes, bars, 0).bars;
}

// Every root and quality, block and arpeggio, root position and two inversions: the template's root
// and quality come out (for dim7, aug, sus2/sus4 any label of the same pitch-class set; in root
// position the bass tie-break must give exactly the written root).
TEST(analyzers_chords, all_templates_all_roots)
{
    int checked = 0;
    for (int root = 0; root < 12; ++root) {
        for (std::size_t q = 0; q < CHORD_QUALITIES; ++q) {
            auto const quality = static_cast<chord_quality>(q);
            for (int inversion = 0; inversion < 3; ++inversion) {
                for (bool arpeggio : {false, true}) {
                    auto const bars = bar_chords(voicing(root, quality, inversion), arpeggio);
                    ASSERT_EQ(bars.size(), 1U);
                    chord const expected{static_cast<std::int8_t>(root), quality, 0.0};
                    auto const ok = equivalents(root, quality);
                    std::string const what = chord_name(expected) + " inversion " + std::to_string(inversion) +
                                             (arpeggio ? " arpeggio" : " block") + " -> " + chord_name(bars[0]);
                    if (inversion == 0) {
                        EXPECT_EQ(bars[0], expected) << what;
                    } else {
                        EXPECT_NE(std::find(ok.begin(), ok.end(), bars[0]), ok.end()) << what;
                    }
                    EXPECT_NEAR(bars[0].score, 1.0, 1e-9) << what;
                    ++checked;
                }
            }
        }
    }
    EXPECT_EQ(checked, 12 * 11 * 3 * 2);
}

// Ambiguous sets follow the documented tie-break: the bass picks among identical sets.
TEST(analyzers_chords, tie_break_uses_bass_only_among_equal_sets)
{
    std::array<double, 12> w{};
    w[0] = w[2] = w[7] = 1.0; // C D G
    EXPECT_EQ(chord_name(match_chord(w, 0)), "Csus2");
    EXPECT_EQ(chord_name(match_chord(w, 7)), "Gsus4");
    EXPECT_EQ(chord_name(match_chord(w, 2)), "Csus2"); // bass is neither root: enum order decides
    std::array<double, 12> d{};
    d[2] = d[5] = d[8] = d[11] = 1.0; // B D F Ab
    EXPECT_EQ(chord_name(match_chord(d, 5)), "Fdim7");
    EXPECT_EQ(chord_name(match_chord(d, -1)), "Ddim7");
    std::array<double, 12> e{};
    e[9] = e[0] = e[4] = 1.0; // A C E with bass C: still A minor (the root is the template's)
    EXPECT_EQ(chord_name(match_chord(e, 0)), "Am");
}

// Held notes count in every beat they sound; silence and single notes give no chord; the summary counts changes.
TEST(analyzers_chords, progression_and_summary)
{
    track_builder t;
    std::vector<std::vector<int>> const prog{{48, 52, 55}, {53, 57, 60}, {55, 59, 62, 65}, {48, 52, 55}};
    std::uint32_t tick = 0;
    for (auto const &c : prog) {
        for (int p : c) {
            t.on(tick, 0, p);
        }
        for (int p : c) {
            t.off(tick + 384, 0, p);
        }
        tick += 384;
    }
    t.on(tick, 0, 60);
    t.off(tick + 384, 0, 60);
    tick += 384;
    auto const file = smf(0, 96, {t.finish(tick)});
    auto const r = read_smf(file);
    ASSERT_TRUE(r.file);
    tempo_map const map{*r.file};
    note_list notes;
    extract_notes(*r.file, map, notes);
    std::vector<bar> bars;
    bar_grid(notes, map, notes.end_tick - 1, bars);
    auto const c = analyze_chords(notes, bars, 0);
    ASSERT_EQ(c.bars.size(), 5U);
    EXPECT_EQ(chord_name(c.bars[0]), "C");
    EXPECT_EQ(chord_name(c.bars[1]), "F");
    EXPECT_EQ(chord_name(c.bars[2]), "G7");
    EXPECT_EQ(chord_name(c.bars[3]), "C");
    EXPECT_EQ(chord_name(c.bars[4]), "N");
    ASSERT_EQ(c.beats.size(), 20U);
    EXPECT_EQ(chord_name(c.beats[3]), "C"); // last beat of a held chord
    EXPECT_EQ(c.distinct, 3U);
    EXPECT_EQ(c.changes, 3U);
    EXPECT_NEAR(c.changes_per_bar, 0.75, 1e-9);
    EXPECT_NEAR(c.changes_per_minute, 3 / (8.0 / 60.0), 1e-6); // 4 bars of 4/4 at 120 BPM = 8 s
}

// Beat weights are built in windows of beats: notes held across a window's end, ending on its first
// beat, or sounding through many windows give the very labels (and scores, bit for bit) of weights
// summed over the whole file at once, as this reference does beat by beat.
TEST(analyzers_chords, windows_give_whole_file_weights)
{
    constexpr std::uint32_t BEAT = 4; // ppq 4: 1,300 beats in a short file
    constexpr std::uint32_t BEATS = 1300;
    struct span
    {
        std::uint32_t from;
        std::uint32_t to;
        int pitch;
    }; // in ticks
    std::vector<span> const spans{
        {0, BEATS * BEAT, 36},                  // a drone through every window
        {509 * BEAT + 1, 515 * BEAT + 3, 60},   // across the first window's end, off the beat grid
        {510 * BEAT, 512 * BEAT, 64},           // ends on the first tick of the second window
        {511 * BEAT + 2, 512 * BEAT + 1, 67},   // from the last beat of a window into the next
        {500 * BEAT, 1100 * BEAT, 43},          // through a whole window
        {1023 * BEAT + 3, 1024 * BEAT + 2, 71}, // across the second window's end
        {1020 * BEAT, 1030 * BEAT + 1, 40},     // a low note whose bass marks pass a window's end
        {700 * BEAT + 1, 700 * BEAT + 3, 62},   // inside one beat
        {1200 * BEAT, 1299 * BEAT, 65},
        {1200 * BEAT + 2, 1250 * BEAT, 69},
    };
    track_builder t;
    struct ev
    {
        std::uint32_t tick;
        bool on;
        int pitch;
    };
    std::vector<ev> evs;
    for (auto const &s : spans) {
        evs.push_back({s.from, true, s.pitch});
        evs.push_back({s.to, false, s.pitch});
    }
    std::stable_sort(evs.begin(), evs.end(), [](ev const &a, ev const &b) { return a.tick < b.tick; });
    for (auto const &e : evs) {
        if (e.on) {
            t.on(e.tick, 0, e.pitch);
        } else {
            t.off(e.tick, 0, e.pitch);
        }
    }
    auto const file = smf(0, BEAT, {t.finish(BEATS * BEAT)});
    auto const r = read_smf(file);
    ASSERT_TRUE(r.file);
    tempo_map const map{*r.file};
    note_list notes;
    extract_notes(*r.file, map, notes);
    std::vector<bar> bars;
    bar_grid(notes, map, notes.end_tick - 1, bars);
    auto const c = analyze_chords(notes, bars, 0);
    ASSERT_EQ(c.beats.size(), BEATS);

    // Reference: per beat, the partial shares in note order from 0, plus the notes covering it whole.
    for (std::size_t b = 0; b < BEATS; ++b) {
        std::uint64_t const from = b * BEAT;
        std::uint64_t const to = from + BEAT;
        std::array<double, 12> w{};
        std::array<int, 12> whole{};
        int bass = 0xFF;
        for (auto const &n : notes.notes) {
            std::uint64_t const b0 = n.start_tick / BEAT;
            std::uint64_t const b1 = (n.end_tick - 1) / BEAT;
            if (b < b0 || b > b1) {
                continue;
            }
            if (b0 < b && b < b1) {
                ++whole[n.pitch % 12];
            } else {
                w[n.pitch % 12] += static_cast<double>(std::min<std::uint64_t>(n.end_tick, to) -
                                                       std::max<std::uint64_t>(n.start_tick, from)) /
                                   BEAT;
            }
            if (b < b0 + 16) {
                bass = std::min<int>(bass, n.pitch);
            }
        }
        for (std::size_t pc = 0; pc < 12; ++pc) {
            w[pc] += static_cast<double>(whole[pc]);
        }
        chord const want = match_chord(w, bass == 0xFF ? -1 : bass % 12);
        ASSERT_EQ(c.beats[b], want) << "beat " << b << ": " << chord_name(c.beats[b]) << " vs " << chord_name(want);
        ASSERT_EQ(c.beats[b].score, want.score) << "beat " << b;
    }
}

} // namespace
} // namespace midilib
