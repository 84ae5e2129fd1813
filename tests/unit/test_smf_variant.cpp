// The event list and the variant writer: a file written back unedited has the same notes, and each
// edit does what it says and nothing else (checked on the notes the analyzers extract).

#include "analyzers/drums.hpp"
#include "analyzers/notes.hpp"
#include "smf/event_list.hpp"
#include "smf/variant.hpp"
#include "test_analyzers_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

namespace midilib {
namespace {

using namespace midilib::test;

/// Files sampled from the corpus: every k-th, k = corpus size / this.
constexpr std::size_t SAMPLE = 120;

/// (start tick, channel, pitch) of every note, sorted.
std::vector<std::tuple<std::uint64_t, int, int>> notes_of(bytes const &data)
{
    auto const r = read_smf(data);
    EXPECT_TRUE(r.file) << r.error;
    std::vector<std::tuple<std::uint64_t, int, int>> out;
    if (r.file) {
        for (auto const &n : extract_notes(*r.file).notes) {
            out.emplace_back(n.start_tick, n.channel, n.pitch);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// Runs @p check on a sample of the clean ppq files of the corpus; the count checked.
template <typename Check>
std::size_t for_sample(Check check)
{
    std::size_t checked = 0;
    auto const files = midi_files(corpus_dir());
    for (std::size_t i = 0; i < files.size(); i += files.size() / SAMPLE) {
        auto const data = load_file(files[i]);
        auto const r = read_smf(data);
        if (r.file && r.file->header.division == division_kind::ppq && r.file->warnings.empty()) {
            check(data, *r.file, drum_channels(extract_notes(*r.file)));
            ++checked;
        }
    }
    return checked;
}

/// Files a test must see: most of the sample is clean.
constexpr std::size_t MIN_CHECKED = 100;

// Decoded and encoded again without edits, in every layout, a file keeps every note.
TEST(smf_variant, unedited_copy_keeps_every_note)
{
    std::size_t const checked = for_sample([](bytes const &data, smf_file const &file, std::uint16_t drums) {
        auto const original = notes_of(data);
        EXPECT_EQ(notes_of(encode_events(decode_events(file))), original);
        for (auto layout : {track_layout::format0, track_layout::split_reverse}) {
            variant_edits e;
            e.layout = layout;
            EXPECT_EQ(notes_of(make_variant(file, e, drums)), original);
        }
    });
    EXPECT_GE(checked, MIN_CHECKED);
}

// Transposition moves every pitched note and no drum note; a new resolution scales every start.
TEST(smf_variant, transpose_and_resolution)
{
    std::size_t const checked = for_sample([](bytes const &data, smf_file const &file, std::uint16_t drums) {
        auto expected = notes_of(data);
        double const scale = 960.0 / file.header.ppq;
        for (auto &[tick, channel, pitch] : expected) {
            pitch = ((drums >> channel) & 1U) != 0 ? pitch : std::clamp(pitch + 3, 0, 127);
            tick = static_cast<std::uint64_t>(std::llround(static_cast<double>(tick) * scale));
        }
        std::sort(expected.begin(), expected.end());
        variant_edits e;
        e.transpose = 3;
        e.ppq = 960;
        EXPECT_EQ(notes_of(make_variant(file, e, drums)), expected);
    });
    EXPECT_GE(checked, MIN_CHECKED);
}

// Renumbering keeps the drum channels and the notes per channel; a dropped part removes one channel.
TEST(smf_variant, renumber_and_drop)
{
    std::size_t const checked = for_sample([](bytes const &data, smf_file const &file, std::uint16_t drums) {
        auto const original = notes_of(data);
        // Notes per pitched channel (as a multiset: the numbers change) and per drum channel (they stay).
        auto per_channel = [&](auto const &notes) {
            std::array<std::size_t, 16> n{};
            for (auto const &note : notes) {
                ++n[static_cast<std::size_t>(std::get<1>(note))];
            }
            std::multiset<std::size_t> counts;
            for (std::size_t c = 0; c < 16; ++c) {
                counts.insert(((drums >> c) & 1U) != 0 ? (c + 1) << 32U | n[c] : n[c]);
            }
            return counts;
        };
        variant_edits e;
        e.renumber_channels = true;
        auto const renumbered = notes_of(make_variant(file, e, drums));
        EXPECT_EQ(per_channel(renumbered), per_channel(original));
        e = variant_edits{};
        e.drop_part = true;
        auto const dropped = notes_of(make_variant(file, e, drums));
        if (pitched_parts(file, drums) >= 3) {
            EXPECT_LT(dropped.size(), original.size());
            std::set<int> before;
            std::set<int> after;
            for (auto const &n : original) {
                before.insert(std::get<1>(n));
            }
            for (auto const &n : dropped) {
                after.insert(std::get<1>(n));
            }
            EXPECT_EQ(after.size() + 1, before.size());
        } else {
            EXPECT_EQ(dropped, original);
        }
    });
    EXPECT_GE(checked, MIN_CHECKED);
}

} // namespace
} // namespace midilib
