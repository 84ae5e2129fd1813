// Over the whole corpus: every pair of different files that would merge into one work (LSH band
// candidates verified by the threshold, merged transitively), printed and judged.

#include "analyzers/drums.hpp"
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
/// Two files share a passage when this many consecutive steps of their top lines agree: the same
/// 25 notes in a row, transposition aside, is one tune (stock phrases of a style are shorter).
constexpr std::size_t SHARED_PASSAGE_STEPS = 24;

struct corpus_print
{
    std::string path;      ///< relative to the corpus
    std::string title;     ///< nottingham ground-truth title, "" elsewhere
    bytes notes_key;       ///< the file's bytes, to tell byte-identical copies
    std::vector<int> line; ///< top-line intervals (pitched) or drum role sets per onset: what a copy shares
    fingerprint print;
};

/// The top line of the pitched notes as intervals, or the drum keys per onset of a drums-only file.
std::vector<int> top_line(bytes const &data, fingerprint_kind kind)
{
    auto const r = read_smf(data);
    auto const notes = extract_notes(*r.file);
    std::uint16_t const drums = drum_channels(notes);
    std::vector<int> out;
    std::uint64_t tick = 0;
    int top = -1;
    int previous = -1;
    int keys = 0;
    auto close = [&] {
        if (kind == fingerprint_kind::drums && keys != 0) {
            out.push_back(keys);
        } else if (top >= 0 && previous >= 0) {
            out.push_back(top - previous);
        }
        previous = top >= 0 ? top : previous;
        top = -1;
        keys = 0;
    };
    for (auto const &n : notes.notes) {
        if (on_drum_channel(n, drums) != (kind == fingerprint_kind::drums)) {
            continue;
        }
        if (n.start_tick != tick) {
            close();
            tick = n.start_tick;
        }
        top = std::max<int>(top, n.pitch);
        keys = (keys * 31 + n.pitch) % 1000003;
    }
    close();
    return out;
}

/// Length of the longest run the two sequences share.
std::size_t longest_shared_run(std::vector<int> const &a, std::vector<int> const &b)
{
    std::vector<std::size_t> row(b.size() + 1, 0);
    std::size_t best = 0;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = 0;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const above = row[j];
            row[j] = a[i - 1] == b[j - 1] ? diagonal + 1 : 0;
            best = std::max(best, row[j]);
            diagonal = above;
        }
    }
    return best;
}

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
        } else if (longest_shared_run(prints[i].line, prints[j].line) >= SHARED_PASSAGE_STEPS) {
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
    EXPECT_GT(prints.size(), 3000U);
}

} // namespace
} // namespace midilib
