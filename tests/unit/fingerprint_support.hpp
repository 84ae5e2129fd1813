#pragma once
// What the fingerprint tests share: a corpus file parsed and analyzed as the import does, its edited
// copies, and an exact test of shared material.

#include "analyzers/analysis.hpp"
#include "analyzers/drums.hpp"
#include "smf/reader.hpp"
#include "smf/variant.hpp"
#include "test_analyzers_support.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace midilib::test {

/// Analysis of SMF bytes, as the import runs it (empty result when the reader refuses them).
inline analysis_result analyze_smf(bytes const &data)
{
    auto const r = read_smf(data);
    return r.file ? analyze(*r.file) : analysis_result{};
}

/// One named edit (or combination) of the copies the fingerprint must see through.
struct named_edit
{
    std::string name;
    variant_edits edits;
};

/// The edits, alone and all together, for a file with @p parts pitched parts and @p ppq ticks per quarter.
inline std::vector<named_edit> edit_set(int parts, std::uint16_t ppq, std::uint64_t seed)
{
    std::uint16_t const other_ppq = ppq == 384 ? 960 : 384;
    std::vector<named_edit> out;
    auto add = [&](std::string name, auto &&change) {
        variant_edits e;
        e.seed = seed;
        change(e);
        out.push_back({std::move(name), e});
    };
    add("transpose", [](variant_edits &e) { e.transpose = 5; });
    add("tempo", [](variant_edits &e) { e.tempo_factor = 1.13; });
    add("ppq", [&](variant_edits &e) { e.ppq = other_ppq; });
    add("programs_velocities_names", [](variant_edits &e) { e.programs = e.velocities = e.track_names = true; });
    add("format0", [](variant_edits &e) { e.layout = track_layout::format0; });
    add("split_reorder", [](variant_edits &e) { e.layout = track_layout::split_reverse; });
    add("renumber", [](variant_edits &e) { e.renumber_channels = true; });
    add("jitter", [](variant_edits &e) { e.jitter_beats = 0.03; });
    if (parts >= 3) {
        add("drop_part", [](variant_edits &e) { e.drop_part = true; });
    }
    if (parts >= 2) {
        add("add_part", [](variant_edits &e) { e.add_part = true; });
    }
    add("all", [&](variant_edits &e) {
        e.transpose = -3;
        e.tempo_factor = 0.9;
        e.ppq = other_ppq;
        e.programs = e.velocities = e.track_names = true;
        e.layout = seed % 2 == 0 ? track_layout::format0 : track_layout::split_reverse;
        e.renumber_channels = true;
        e.jitter_beats = 0.03;
        e.drop_part = parts >= 3;
        e.add_part = parts == 2;
    });
    return out;
}

/// Two files share a passage when this many consecutive steps of their top lines agree: the same
/// 25 notes in a row, transposition aside, is one tune (stock phrases of a style are shorter).
constexpr std::size_t SHARED_PASSAGE_STEPS = 24;

/// The top line of the pitched notes as intervals, or the drum keys per onset of a drums-only file.
inline std::vector<int> top_line(bytes const &data, fingerprint_kind kind)
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
inline std::size_t longest_shared_run(std::vector<int> const &a, std::vector<int> const &b)
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

/// True when the two lines share SHARED_PASSAGE_STEPS steps in a row: an independent, exact sign of one work.
inline bool share_a_passage(std::vector<int> const &a, std::vector<int> const &b)
{
    return longest_shared_run(a, b) >= SHARED_PASSAGE_STEPS;
}

} // namespace midilib::test
