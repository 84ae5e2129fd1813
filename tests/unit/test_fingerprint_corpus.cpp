// Over the whole corpus: every pair of different files that would merge into one work (LSH band
// candidates verified by the threshold, merged transitively), printed and judged.

#include "analyzers/fingerprint.hpp"
#include "fingerprint_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

namespace midilib {
namespace {

using namespace midilib::test;

/// Allowed false merges: 0.2 % of the fingerprinted files.
constexpr double MAX_FALSE_MERGE_SHARE = 0.002;

struct corpus_print
{
    std::string path;      ///< relative to the corpus
    std::string title;     ///< nottingham ground-truth title, "" elsewhere
    bytes notes_key;       ///< the file's bytes, to tell byte-identical copies
    std::vector<int> line; ///< top-line intervals (pitched) or drum role sets per onset: what a copy shares
    fingerprint print;
};

std::size_t find(std::vector<std::size_t> &parent, std::size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/// A title without case, punctuation or a trailing "(2)"-style number: one tune's spellings.
std::string normalized(std::string const &title)
{
    std::string out;
    for (char c : title) {
        if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

// Merged pairs over the corpus: the same nottingham title twice is one tune; others are false merges.
TEST(fingerprint_corpus, merges_are_true_duplicates)
{
    std::map<std::string, std::string> titles;
    for (auto const &row : read_csv(corpus_dir() / "nottingham" / "ground-truth.csv")) {
        titles["nottingham/" + row.at("file")] = row.at("title");
    }
    std::vector<corpus_print> prints;
    std::size_t files = 0;
    for (auto const &p : midi_files(corpus_dir())) {
        ++files;
        auto const data = load_file(p);
        auto const a = analyze_smf(data);
        if (a.print.kind == fingerprint_kind::none) {
            continue;
        }
        auto const rel = std::filesystem::relative(p, corpus_dir()).string();
        prints.push_back({rel, titles.contains(rel) ? titles[rel] : "", data, top_line(data, a.print.kind), a.print});
    }
    std::unordered_map<std::int64_t, std::vector<std::size_t>> buckets;
    for (std::size_t i = 0; i < prints.size(); ++i) {
        for (auto const key : band_keys(prints[i].print)) {
            buckets[key].push_back(i);
        }
    }
    std::set<std::pair<std::size_t, std::size_t>> candidates;
    for (auto const &[key, members] : buckets) {
        for (std::size_t a = 0; a < members.size(); ++a) {
            for (std::size_t b = a + 1; b < members.size(); ++b) {
                candidates.emplace(members[a], members[b]);
            }
        }
    }
    std::vector<std::size_t> parent(prints.size());
    std::iota(parent.begin(), parent.end(), 0);
    std::size_t merged = 0;
    std::size_t identical = 0;
    std::size_t same_title = 0;
    std::size_t shared = 0;
    std::size_t other = 0;
    for (auto const &[i, j] : candidates) {
        double const s = similarity(prints[i].print, prints[j].print);
        if (s < SAME_WORK_SIMILARITY) {
            continue;
        }
        ++merged;
        parent[find(parent, i)] = find(parent, j);
        char const *why = "FALSE";
        if (prints[i].notes_key == prints[j].notes_key) {
            why = "identical bytes";
            ++identical;
        } else if (!prints[i].title.empty() && normalized(prints[i].title) == normalized(prints[j].title)) {
            why = "same title";
            ++same_title;
        } else if (share_a_passage(prints[i].line, prints[j].line)) {
            why = "shared passage";
            ++shared;
        } else {
            ++other;
        }
        std::cout << "[works] " << prints[i].path << " ~ " << prints[j].path << " similarity " << s << " (" << why
                  << ")\n";
    }
    std::set<std::size_t> works;
    std::size_t in_groups = 0;
    for (std::size_t i = 0; i < prints.size(); ++i) {
        works.insert(find(parent, i));
    }
    in_groups = prints.size() - works.size();
    std::cout << "[works] " << files << " files, " << prints.size() << " fingerprinted, " << candidates.size()
              << " band candidate pairs, " << merged << " merged pairs (" << identical << " identical bytes, "
              << same_title << " same title, " << shared << " sharing a passage, " << other << " false), "
              << works.size() << " works (" << in_groups << " files joined another)\n";
    EXPECT_LE(static_cast<double>(other), MAX_FALSE_MERGE_SHARE * static_cast<double>(prints.size()));
    EXPECT_GT(prints.size(), 2500U);
}

} // namespace
} // namespace midilib
