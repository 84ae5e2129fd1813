// The fingerprint sees through the edits copies of one piece show, alone and together, on a sample of
// every corpus folder; and it keeps apart different pieces that share key, meter, tempo and style.

#include "analyzers/drums.hpp"
#include "analyzers/fingerprint.hpp"
#include "fingerprint_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>

namespace midilib {
namespace {

using namespace midilib::test;

/// Files sampled per folder (every k-th, k = folder size / this): a few hundred files over the corpus.
constexpr std::size_t SAMPLE_PER_FOLDER = 40;
/// Share of copies found for the edits that lose notes or move them. Jitter on a performance (giantmidi,
/// groove-midi: nothing on a grid) and dropping the part that holds most of the notes are the misses;
/// docs/works.md lists them. Every other edit must find every copy.
constexpr double MIN_RECALL_LOSSY = 0.93;

/// Edits that keep every note and its place on the beat.
bool lossless(std::string const &edit) { return edit != "jitter" && edit != "drop_part" && edit != "all"; }

struct edit_tally
{
    std::size_t tried = 0;
    std::size_t same = 0;
    double lowest = 1.0;
};

// Every edit alone and all of them together leave each sampled file the same work as its original.
TEST(fingerprint_variants, corpus_sample_edits_are_the_same_work)
{
    std::map<std::string, edit_tally> tally;
    std::size_t sampled = 0;
    std::size_t unfingerprinted = 0;
    for_each_corpus_sample(SAMPLE_PER_FOLDER,
                           [&](std::filesystem::path const &path, smf_file const &file, std::size_t i) {
                               auto const original = analyze(file);
                               if (original.print.kind == fingerprint_kind::none) {
                                   ++unfingerprinted;
                                   return;
                               }
                               ++sampled;
                               std::uint16_t const drums = drum_channels(extract_notes(file));
                               int const parts = pitched_parts(file, drums);
                               for (auto const &edit : edit_set(parts, file.header.ppq, i + 1)) {
                                   auto const copy = analyze_smf(make_variant(file, edit.edits, drums));
                                   double const s = similarity(original.print, copy.print);
                                   bool const same = same_work(original.print, copy.print);
                                   auto &t = tally[edit.name];
                                   ++t.tried;
                                   t.same += same ? 1 : 0;
                                   t.lowest = std::min(t.lowest, s);
                                   if (!same) {
                                       std::cout << "[variants] missed " << path.lexically_relative(corpus_dir()) << " "
                                                 << edit.name << " similarity " << s << "\n";
                                   }
                                   EXPECT_TRUE(same || !lossless(edit.name)) << path << " " << edit.name;
                               }
                           });
    for (auto const &[name, t] : tally) {
        std::cout << "[variants] " << name << ": " << t.same << "/" << t.tried << " the same work, lowest similarity "
                  << t.lowest << "\n";
        EXPECT_GE(static_cast<double>(t.same), MIN_RECALL_LOSSY * static_cast<double>(t.tried)) << name;
    }
    std::cout << "[variants] " << sampled << " files fingerprinted, " << unfingerprinted << " too short or empty\n";
    EXPECT_GT(sampled, 180U);
}

/// Fingerprints of the files of @p folder whose ground-truth row passes @p keep.
template <typename Keep>
std::vector<std::pair<std::string, fingerprint>> prints_where(std::string const &folder, Keep keep)
{
    std::vector<std::pair<std::string, fingerprint>> out;
    for (auto const &row : read_csv(corpus_dir() / folder / "ground-truth.csv")) {
        if (keep(row)) {
            auto const a = analyze_smf(load_file(corpus_dir() / folder / row.at("file")));
            if (a.print.kind != fingerprint_kind::none) {
                out.emplace_back(row.at("file"), a.print);
            }
        }
    }
    return out;
}

/// Pairs of different pieces among @p prints that would merge, printed; the highest similarity seen.
std::size_t merged_pairs(std::vector<std::pair<std::string, fingerprint>> const &prints, double &highest)
{
    std::size_t merged = 0;
    for (std::size_t i = 0; i < prints.size(); ++i) {
        for (std::size_t j = i + 1; j < prints.size(); ++j) {
            double const s = similarity(prints[i].second, prints[j].second);
            highest = std::max(highest, s);
            if (same_work(prints[i].second, prints[j].second)) {
                std::cout << "[apart] merged " << prints[i].first << " " << prints[j].first << " " << s << "\n";
                ++merged;
            }
        }
    }
    return merged;
}

/// Pairs below this similarity are not checked for a shared passage (most pairs: the check is slow).
constexpr double UNRELATED_FLOOR = 0.1;

// Folk tunes in G major and 6/8 stay apart: a merged pair of different titles shares a passage (one tune
// under two names, such as "Red Cigar" and "Reg's Cigar").
TEST(fingerprint_variants, folk_tunes_of_one_key_and_meter_stay_apart)
{
    std::map<std::string, std::string> titles;
    std::map<std::string, std::vector<int>> lines;
    auto const prints = prints_where("nottingham", [&](auto const &row) {
        titles[row.at("file")] = row.at("title");
        return row.at("key") == "G:maj" && row.at("time_signature") == "6/8";
    });
    for (auto const &[file, print] : prints) {
        lines[file] = top_line(load_file(corpus_dir() / "nottingham" / file), print.kind);
    }
    double highest = 0.0;
    std::size_t different_titles = 0;
    std::size_t unrelated = 0;
    for (std::size_t i = 0; i < prints.size(); ++i) {
        for (std::size_t j = i + 1; j < prints.size(); ++j) {
            double const s = similarity(prints[i].second, prints[j].second);
            if (titles[prints[i].first] != titles[prints[j].first] && s >= UNRELATED_FLOOR) {
                bool const shared = share_a_passage(lines[prints[i].first], lines[prints[j].first]);
                highest = shared ? highest : std::max(highest, s);
                if (same_work(prints[i].second, prints[j].second)) {
                    ++different_titles;
                    unrelated += shared ? 0 : 1;
                    std::cout << "[apart] merged " << prints[i].first << " (" << titles[prints[i].first] << ") "
                              << prints[j].first << " (" << titles[prints[j].first] << ") " << s
                              << (shared ? " sharing a passage\n" : " UNRELATED\n");
                }
            }
        }
    }
    std::cout << "[apart] " << prints.size() << " G major 6/8 tunes, merged pairs of different titles "
              << different_titles << " (" << unrelated
              << " sharing no passage), highest similarity of tunes sharing no passage " << highest << "\n";
    EXPECT_GT(prints.size(), 100U);
    EXPECT_EQ(unrelated, 0U);
}

// Rock beats at 120 BPM by one drummer stay apart.
TEST(fingerprint_variants, rock_grooves_of_one_drummer_stay_apart)
{
    for (std::string const drummer : {"drummer3", "drummer7", "drummer9"}) {
        auto const prints = prints_where("groove-midi", [&](auto const &row) {
            return row.at("drummer") == drummer && row.at("style") == "rock" && row.at("tempo_bpm") == "120";
        });
        double highest = 0.0;
        std::size_t const merged = merged_pairs(prints, highest);
        std::cout << "[apart] " << drummer << ": " << prints.size() << " rock files at 120 BPM, merged pairs " << merged
                  << ", highest similarity " << highest << "\n";
        EXPECT_EQ(merged, 0U) << drummer;
    }
}

} // namespace
} // namespace midilib
