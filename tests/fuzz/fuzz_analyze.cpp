// libFuzzer target: the import's parse stage on arbitrary bytes, as pipeline/stages.cpp runs it:
// read_smf -> tempo_map -> extract_facts + analyze.
//
// Besides "no crash, no sanitizer report, no hang": every string of file_facts goes to PostgreSQL,
// so it must be valid UTF-8 without NUL and within the per-kind caps; the numbers stored must be
// finite (the same contract as tests/unit/test_analyzers_robustness.cpp); the tempo map is sorted.

#include "analyzers/analysis.hpp"
#include "analyzers/file_facts.hpp"
#include "analyzers/meter.hpp"
#include "analyzers/tempo_map.hpp"
#include "smf/reader.hpp"
#include "smf/text.hpp"

#include "fuzz_check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

bool database_text(std::string const &s)
{
    return s.find('\0') == std::string::npos &&
           midilib::is_valid_utf8({reinterpret_cast<std::uint8_t const *>(s.data()), s.size()});
}

/// Valid strings whose bytes add up to at most @p cap (0 for no cap).
bool text_list_ok(std::vector<std::string> const &list, std::size_t cap)
{
    std::size_t total = 0;
    for (auto const &s : list) {
        if (!database_text(s)) {
            return false;
        }
        total += s.size();
    }
    return cap == 0 || total <= cap;
}

void check_facts(midilib::file_facts const &f, midilib::smf_file const &file)
{
    using midilib::MAX_TEXT_BYTES_PER_KIND;
    FUZZ_CHECK(f.track_count == file.tracks.size());
    FUZZ_CHECK(text_list_ok(f.track_names, MAX_TEXT_BYTES_PER_KIND));
    FUZZ_CHECK(text_list_ok(f.texts, MAX_TEXT_BYTES_PER_KIND));
    FUZZ_CHECK(text_list_ok(f.lyrics, MAX_TEXT_BYTES_PER_KIND));
    FUZZ_CHECK(text_list_ok(f.copyrights, MAX_TEXT_BYTES_PER_KIND));
    FUZZ_CHECK(text_list_ok(f.markers, MAX_TEXT_BYTES_PER_KIND));
    FUZZ_CHECK(text_list_ok(f.warnings, 0));
    FUZZ_CHECK(text_list_ok(f.time_signatures, 0) && f.time_signatures.size() <= 64);
    FUZZ_CHECK(text_list_ok(f.key_signatures, 0) && f.key_signatures.size() <= 64);
    FUZZ_CHECK(std::isfinite(f.duration_seconds) && f.duration_seconds >= 0);
    FUZZ_CHECK(std::isfinite(f.tempo.first_bpm) && std::isfinite(f.tempo.min_bpm) && std::isfinite(f.tempo.max_bpm) &&
               std::isfinite(f.tempo.mean_bpm));
    FUZZ_CHECK(f.tempo.min_bpm <= f.tempo.first_bpm && f.tempo.first_bpm <= f.tempo.max_bpm);
    for (auto const p : f.programs) {
        FUZZ_CHECK(p >= -1 && p < 128);
    }
}

void check_map(midilib::tempo_map const &map)
{
    auto const &points = map.points();
    FUZZ_CHECK(!points.empty() && points.front().tick == 0 && points.front().seconds == 0.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
        FUZZ_CHECK(points[i].us_per_quarter > 0 && std::isfinite(points[i].seconds));
        if (i > 0) {
            FUZZ_CHECK(points[i - 1].tick < points[i].tick && points[i - 1].seconds <= points[i].seconds);
        }
    }
}

void check_analysis(midilib::analysis_result const &a)
{
    // The fields tests/unit/test_analyzers_robustness.cpp requires to be finite, and a few more.
    FUZZ_CHECK(std::isfinite(a.notes.mean_polyphony) && std::isfinite(a.notes.notes_per_second) &&
               std::isfinite(a.key.confidence) && std::isfinite(a.tempo.declared.mean_bpm) &&
               std::isfinite(a.tempo.estimate.bpm) && std::isfinite(a.chords.changes_per_minute) &&
               std::isfinite(a.drums.hits_per_bar) && std::isfinite(a.drums.swing_8th));
    FUZZ_CHECK(std::isfinite(a.notes.mean_velocity) && std::isfinite(a.notes.stdev_velocity) &&
               std::isfinite(a.tempo.estimate.confidence) && std::isfinite(a.chords.changes_per_bar) &&
               std::isfinite(a.drums.swing_16th));
    FUZZ_CHECK(a.bars >= 1 && a.bars <= midilib::MAX_BARS);
    FUZZ_CHECK(a.key.key.tonic >= -1 && a.key.key.tonic < 12);
    FUZZ_CHECK(a.chords.bars.size() <= a.bars);
    for (auto const &c : a.chords.bars) {
        FUZZ_CHECK(c.root >= -1 && c.root < 12);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    auto const result = midilib::read_smf({data, size});
    if (!result.file) {
        return 0;
    }
    midilib::tempo_map const map{*result.file}; // one pass over the events, shared by facts and analysis
    check_map(map);
    auto const facts = midilib::extract_facts(*result.file, map);
    check_facts(facts, *result.file);
    auto const analysis = midilib::analyze(*result.file, map);
    check_analysis(analysis);
    return 0;
}
