// The "similar" feature vector: the parts stay in range, a transposed copy keeps its vector, and an
// edited copy of a file finds that file among its nearest neighbours over a corpus sample.

#include "analyzers/drums.hpp"
#include "analyzers/features.hpp"
#include "fingerprint_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace midilib {
namespace {

using namespace midilib::test;

/// Files sampled per folder, as in the fingerprint variant test.
constexpr std::size_t SAMPLE_PER_FOLDER = 40;
/// Neighbours searched: a "similar" query shows about this many files.
constexpr std::size_t NEIGHBOURS = 10;
/// Share of copies that must find their original there. The vector describes a style, not a work (the
/// fingerprint finds copies); a copy with a part dropped and another tempo may leave its top ten.
constexpr double MIN_FOUND_SHARE = 0.8;

// Every part of the vector of every corpus file is finite and within its documented range.
TEST(features, parts_within_range)
{
    for (auto const &p : midi_files(corpus_dir() / "opengameart-cc-by-sa")) {
        auto const a = analyze_smf(load_file(p));
        float sum = 0.0F;
        for (std::size_t i = 0; i < FEATURE_DIMS; ++i) {
            EXPECT_TRUE(std::isfinite(a.features[i])) << p;
            EXPECT_GE(a.features[i], 0.0F) << p;
            EXPECT_LE(a.features[i], i < FEATURE_DRUMS ? 0.71F : 0.5F) << p;
            sum += i < FEATURE_INTERVALS ? a.features[i] * a.features[i] : 0.0F;
        }
        EXPECT_NEAR(sum, a.notes.count > 0 ? 0.5F : 0.0F, 0.01F) << p; // shares summing to 1, scaled by 1/sqrt(2)
        EXPECT_DOUBLE_EQ(feature_distance(a.features, a.features), 0.0);
    }
}

// A copy with every edit (transposed, slower, re-saved, jittered, a part more or less) has the original
// among its nearest neighbours, over a sample of every folder.
TEST(features, edited_copy_finds_its_original)
{
    std::vector<feature_vector> originals;
    std::vector<feature_vector> copies;
    for_each_corpus_sample(SAMPLE_PER_FOLDER, [&](auto const &, smf_file const &file, std::size_t i) {
        auto const original = analyze(file);
        if (original.notes.count < MIN_PITCHED_NOTES) {
            return;
        }
        std::uint16_t const drums = drum_channels(extract_notes(file));
        auto const edits = edit_set(pitched_parts(file, drums), file.header.ppq, i + 1);
        originals.push_back(original.features);
        copies.push_back(analyze_smf(make_variant(file, edits.back().edits, drums)).features);
    });
    std::size_t found = 0;
    std::size_t first = 0;
    for (std::size_t c = 0; c < copies.size(); ++c) {
        double const own = feature_distance(copies[c], originals[c]);
        std::size_t closer = 0;
        for (auto const &o : originals) {
            closer += feature_distance(copies[c], o) < own ? 1 : 0;
        }
        found += closer < NEIGHBOURS ? 1 : 0;
        first += closer == 0 ? 1 : 0;
    }
    std::cout << "[features] " << copies.size() << " edited copies: original nearest for " << first << ", within "
              << NEIGHBOURS << " nearest for " << found << "\n";
    EXPECT_GT(copies.size(), 200U);
    EXPECT_GE(static_cast<double>(found), MIN_FOUND_SHARE * static_cast<double>(copies.size()));
}

} // namespace
} // namespace midilib
