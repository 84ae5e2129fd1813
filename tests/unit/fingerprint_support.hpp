#pragma once
// Helpers of the fingerprint tests: a corpus file parsed and analyzed as the import does, and its edited copies.

#include "analyzers/analysis.hpp"
#include "smf/reader.hpp"
#include "smf/variant.hpp"
#include "test_analyzers_support.hpp"

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

/// The corpus files of one subfolder, sorted.
inline std::vector<std::filesystem::path> corpus_folder(std::string const &name)
{
    return midi_files(corpus_dir() / name);
}

} // namespace midilib::test
