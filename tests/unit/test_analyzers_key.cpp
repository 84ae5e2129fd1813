// Key finding: profile correlation on synthetic input and accuracy on the nottingham labels.

#include "analyzers/key.hpp"
#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"
#include "test_analyzers_support.hpp"

#include <gtest/gtest.h>

#include <iomanip>
#include <iostream>

namespace midilib {
namespace {

using namespace midilib::test;

/// "G:maj" -> (7, false); tonic -1 when the label is not major/minor.
std::pair<int, bool> parse_key(std::string const &label)
{
    auto const colon = label.find(':');
    if (colon == std::string::npos || colon == 0) {
        return {-1, false};
    }
    static constexpr int LETTERS[7] = {9, 11, 0, 2, 4, 5, 7}; // A..G
    char const letter = label[0];
    if (letter < 'A' || letter > 'G') {
        return {-1, false};
    }
    int pc = LETTERS[letter - 'A'];
    for (std::size_t i = 1; i < colon; ++i) {
        pc += label[i] == '#' ? 1 : label[i] == 'b' ? -1 : 0;
    }
    std::string const mode = label.substr(colon + 1);
    if (mode != "maj" && mode != "min") {
        return {-1, false};
    }
    return {(pc + 12) % 12, mode == "min"};
}

// A C-major scale with a cadence is found as C major with a clear margin; A-minor material as A minor.
TEST(analyzers_key, synthetic_scales)
{
    auto build = [](std::vector<int> const &pitches) {
        track_builder t;
        std::uint32_t tick = 0;
        for (int p : pitches) {
            t.on(tick, 0, p);
            t.off(tick + 96, 0, p);
            tick += 96;
        }
        return smf(0, 96, {t.finish(tick)});
    };
    auto const major = build({60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60, 55, 60, 64, 67, 72, 65, 62, 59, 60});
    auto const minor = build({57, 59, 60, 62, 64, 65, 68, 69, 64, 60, 57, 52, 57, 60, 64, 69, 62, 59, 56, 57});
    for (auto const &[b, tonic, is_minor] : {std::tuple{major, 0, false}, std::tuple{minor, 9, true}}) {
        auto const r = read_smf(b);
        ASSERT_TRUE(r.file);
        auto const notes = extract_notes(*r.file);
        auto const k = analyze_key(notes, {}, 0);
        EXPECT_EQ(k.key.tonic, tonic);
        EXPECT_EQ(k.key.minor, is_minor);
        EXPECT_GT(k.confidence, 0.0);
        EXPECT_FALSE(k.key.tonic == k.runner_up.tonic && k.key.minor == k.runner_up.minor);
    }
}

// No pitched notes: no key, no crash.
TEST(analyzers_key, empty_profile)
{
    std::array<double, 12> const flat{};
    auto const [best, second] = best_keys(flat, DEFAULT_KEY_PROFILE);
    EXPECT_EQ(best.tonic, -1);
    EXPECT_EQ(second.tonic, -1);
    std::array<double, 12> even{};
    even.fill(1.0);
    EXPECT_EQ(best_keys(even, DEFAULT_KEY_PROFILE).first.tonic, -1);
}

// A tune in C major for 16 bars then G major (with F#) for 16 bars reports one modulation to G major.
TEST(analyzers_key, modulation_needs_persistence)
{
    track_builder t;
    std::uint32_t tick = 0;
    std::vector<int> const c_major{60, 64, 67, 72, 65, 69, 62, 71};
    std::vector<int> const g_major{67, 71, 74, 79, 66, 72, 69, 78};
    for (int bar = 0; bar < 32; ++bar) {
        auto const &scale = bar < 16 ? c_major : g_major;
        for (int n = 0; n < 8; ++n) {
            int const p = scale[static_cast<std::size_t>((n + bar) % 8)];
            t.on(tick, 0, p);
            t.off(tick + 48, 0, p);
            tick += 48;
        }
    }
    auto const b = smf(0, 96, {t.finish(tick)});
    auto const r = read_smf(b);
    ASSERT_TRUE(r.file);
    tempo_map const map{*r.file};
    note_list notes;
    extract_notes(*r.file, map, notes);
    std::vector<bar> bars;
    bar_grid(notes, map, notes.end_tick, bars);
    auto const k = analyze_key(notes, bars, 0);
    ASSERT_EQ(k.modulations.size(), 1U);
    EXPECT_EQ(k.modulations[0].key.tonic, 7);
    EXPECT_FALSE(k.modulations[0].key.minor);
    EXPECT_GE(k.modulations[0].bar, 12U);
    EXPECT_LE(k.modulations[0].bar, 20U);
}

// Tonic + mode accuracy over every labelled nottingham file, per profile; the default must reach 90 %.
TEST(analyzers_key, nottingham_accuracy)
{
    auto const dir = corpus_dir() / "nottingham";
    auto const rows = read_csv(dir / "ground-truth.csv");
    ASSERT_GT(rows.size(), 3000U);
    constexpr std::array PROFILES{key_profile::krumhansl_kessler, key_profile::temperley,
                                  key_profile::albrecht_shanahan};
    constexpr std::array NAMES{"krumhansl_kessler", "temperley", "albrecht_shanahan"};
    enum { RIGHT, RELATIVE, PARALLEL, FIFTH, OTHER, NO_KEY };
    std::array<std::array<int, 6>, 3> counts{};
    int labelled = 0;
    int clear_files = 0;
    int clear_right = 0;
    for (auto const &row : rows) {
        auto const [tonic, minor] = parse_key(row.at("key"));
        if (tonic < 0) {
            continue;
        }
        auto const data = load_file(dir / row.at("file"));
        auto const r = read_smf(data);
        ASSERT_TRUE(r.file) << row.at("file");
        ++labelled;
        auto const notes = extract_notes(*r.file);
        auto const pcp = pitch_class_durations(notes, 1U << 9U);
        int const final_bass = final_bass_pitch_class(notes, 1U << 9U);
        for (std::size_t p = 0; p < PROFILES.size(); ++p) {
            auto const [k, second] = best_keys(pcp, PROFILES[p], final_bass);
            int const diff = (k.tonic - tonic + 12) % 12;
            int kind = OTHER;
            if (k.tonic < 0) {
                kind = NO_KEY;
            } else if (diff == 0 && k.minor == minor) {
                kind = RIGHT;
            } else if (diff == 0) {
                kind = PARALLEL;
            } else if (k.minor != minor && ((minor && diff == 3) || (!minor && diff == 9))) {
                kind = RELATIVE;
            } else if (k.minor == minor && (diff == 7 || diff == 5)) {
                kind = FIFTH;
            }
            ++counts[p][static_cast<std::size_t>(kind)];
            if (PROFILES[p] == DEFAULT_KEY_PROFILE && k.correlation - second.correlation >= CLEAR_KEY_MARGIN) {
                ++clear_files;
                clear_right += kind == RIGHT ? 1 : 0;
            }
        }
    }
    double default_accuracy = 0.0;
    for (std::size_t p = 0; p < PROFILES.size(); ++p) {
        double const acc = 100.0 * counts[p][RIGHT] / labelled;
        std::cout << std::fixed << std::setprecision(2) << "[key] " << NAMES[p] << ": " << acc << " % right of "
                  << labelled << " (relative " << counts[p][RELATIVE] << ", parallel " << counts[p][PARALLEL]
                  << ", fifth " << counts[p][FIFTH] << ", other " << counts[p][OTHER] << ", none " << counts[p][NO_KEY]
                  << ")" << (PROFILES[p] == DEFAULT_KEY_PROFILE ? "  <- default" : "") << '\n';
        if (PROFILES[p] == DEFAULT_KEY_PROFILE) {
            default_accuracy = acc;
        }
    }
    std::cout << "[key] default, clear files: " << clear_files << " of " << labelled << ", "
              << 100.0 * clear_right / std::max(clear_files, 1) << " % right\n";
    EXPECT_GE(default_accuracy, 90.0);
    EXPECT_GT(clear_right, 0);
}

} // namespace
} // namespace midilib
