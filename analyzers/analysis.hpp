#pragma once
/// All musical analyzers of one file, run once over notes extracted once.

#include "analyzers/chords.hpp"
#include "analyzers/drums.hpp"
#include "analyzers/features.hpp"
#include "analyzers/fingerprint.hpp"
#include "analyzers/key.hpp"
#include "analyzers/note_stats.hpp"
#include "analyzers/notes.hpp"
#include "analyzers/tempo_estimate.hpp"
#include "analyzers/tempo_map.hpp"
#include "smf/reader.hpp"

#include <cstdint>

namespace midilib {

/// Bumped whenever an analyzer's output changes for the same input (stored rows can then be redone).
/// 2: onset tempo estimate with a narrower prior; 3: drum roles, bar and downbeat evidence;
/// 4: the tempo estimate reads drum roles on every kit channel, not channel 10 only;
/// 5: the content fingerprint and the feature vector.
constexpr int ANALYZER_VERSION = 5;

/// Everything the analyzers say about one file.
struct analysis_result
{
    note_stats notes;
    key_result key;
    tempo_result tempo;
    chord_result chords;
    drum_result drums;
    fingerprint print;            ///< content fingerprint (kind none when too short or empty to identify)
    feature_vector features{};    ///< the "similar" vector
    std::uint32_t bars = 0;       ///< bars in the grid the analyzers used (capped at MAX_BARS)
    bool notes_truncated = false; ///< MAX_NOTES reached: the analysis covers the first MAX_NOTES notes
};

/// Runs every analyzer over @p file. Never throws on odd input; reuses per-thread scratch between calls.
analysis_result analyze(smf_file const &file);

/// The same, with the file's tempo map already built and, when known, its note-ons with velocity > 0
/// (file_facts::note_count: it saves a walk over the events that sizes the note array of a large file).
analysis_result analyze(smf_file const &file, tempo_map const &map, std::uint64_t note_ons = UNKNOWN_NOTE_ONS);

} // namespace midilib
